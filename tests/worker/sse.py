"""A small Server-Sent Events reader for the tests (httpx streaming, bounded waits)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class Event:
    id: str | None
    kind: str
    data: dict[str, Any]


@dataclass
class Stream:
    events: list[Event] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    ended: bool = False  # the server closed the response


def read_stream(
    client: httpx.Client,
    url: str,
    *,
    last_event_id: str | None = None,
    timeout: float = 60.0,
    stop_after_seconds: float | None = None,
) -> Stream:
    """Read until the server ends the stream, or for `stop_after_seconds` at most.

    Fails when neither happens within `timeout` seconds.
    """
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    stream = Stream()
    started = time.monotonic()
    fields: dict[str, str] = {}
    with client.stream(
        "GET", url, headers=headers, timeout=httpx.Timeout(10.0, read=10.0)
    ) as response:
        assert response.status_code == 200, response.read().decode()
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith(":"):
                stream.comments.append(line[1:].strip())
            elif line == "":
                if "event" in fields:
                    stream.events.append(
                        Event(fields.get("id"), fields["event"], json.loads(fields["data"]))
                    )
                fields = {}
            else:
                name, _, value = line.partition(":")
                fields[name] = value.removeprefix(" ")
            elapsed = time.monotonic() - started
            if stop_after_seconds is not None and elapsed >= stop_after_seconds:
                return stream
            assert elapsed < timeout, f"stream still open after {timeout:g}s: {stream.events}"
        stream.ended = True
    return stream


def event_position(event_id: str) -> tuple[int, int]:
    milliseconds, sequence = event_id.split("-")
    return int(milliseconds), int(sequence)
