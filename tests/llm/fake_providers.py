"""Fake OpenAI- and Anthropic-compatible HTTP servers on loopback, scriptable per request.

The only fakes the suite allows are the LLM providers themselves: everything in front
of them (the official SDKs, their HTTP clients, real sockets) is the real thing. Each
server answers `/v1/chat/completions` (OpenAI) or `/v1/messages` (Anthropic) in the
provider's wire format. A test queues one `Reply` per expected request; when the
queue is empty the server answers with its `default` reply. Every request that
reached the server is kept in `requests`, so a test can prove that no provider call
was made.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from orgair_cli.devstack import free_port

ReplyKind = Literal["answer", "status", "stall", "drop", "raw"]


@dataclass(frozen=True)
class Reply:
    """What the server does with one request."""

    kind: ReplyKind
    text: str = "fake answer"
    payload: dict[str, Any] | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    input_tokens: int = 100
    output_tokens: int = 20
    body: str = ""


def answer(
    text: str = "fake answer",
    *,
    payload: dict[str, Any] | None = None,
    input_tokens: int = 100,
    output_tokens: int = 20,
    delay: float = 0.0,
) -> Reply:
    """A successful completion (after `delay` seconds); `payload` is the structured answer
    (the JSON content for OpenAI, the tool input for Anthropic)."""
    return Reply(
        "answer",
        text=text,
        payload=payload,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        seconds=delay,
    )


def fail(status: int, *, retry_after: float | None = None) -> Reply:
    """An error status in the provider's error format (optionally with Retry-After)."""
    headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
    return Reply("status", status=status, headers=headers)


def stall(seconds: float) -> Reply:
    """Accept the request and say nothing for `seconds` (past the client's timeout)."""
    return Reply("stall", seconds=seconds)


def drop() -> Reply:
    """Close the connection without answering."""
    return Reply("drop")


def raw(body: str, *, status: int = 200) -> Reply:
    """A 200 (or `status`) whose body is `body` verbatim, JSON or not."""
    return Reply("raw", body=body, status=status)


@dataclass(frozen=True)
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class FakeProvider:
    """One provider's server; `flavor` picks the wire format."""

    def __init__(self, flavor: Literal["openai", "anthropic"]) -> None:
        self.flavor = flavor
        self.default = answer()
        self.requests: list[ReceivedRequest] = []
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self.port = free_port()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        # The OpenAI SDK's base URL includes /v1; the Anthropic SDK appends it itself.
        root = f"http://127.0.0.1:{self.port}"
        return f"{root}/v1" if self.flavor == "openai" else root

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.requests)

    def script(self, *replies: Reply) -> None:
        with self._lock:
            self._script.extend(replies)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.requests.clear()
            self.default = answer()

    def _next_reply(self, request: ReceivedRequest) -> Reply:
        with self._lock:
            self.requests.append(request)
            return self._script.popleft() if self._script else self.default

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        reply = self._next_reply(
            ReceivedRequest(
                request.path,
                {name.lower(): value for name, value in request.headers.items()},
                body if isinstance(body, dict) else {},
            )
        )
        if reply.kind == "stall":
            await asyncio.sleep(reply.seconds)
            return web.Response(status=504, text="stalled")
        if reply.kind == "drop":
            transport = request.transport
            if transport is not None:
                transport.abort()
            raise asyncio.CancelledError
        if reply.kind == "answer" and reply.seconds:
            await asyncio.sleep(reply.seconds)
        if reply.kind == "raw":
            return web.Response(
                status=reply.status, text=reply.body, content_type="application/json"
            )
        if reply.kind == "status":
            return web.json_response(
                self._error_body(reply.status), status=reply.status, headers=reply.headers
            )
        return web.json_response(self._completion(body, reply))

    def _error_body(self, status: int) -> dict[str, Any]:
        kind = {
            400: "invalid_request_error",
            401: "authentication_error",
            429: "rate_limit_error",
        }.get(status, "api_error")
        if self.flavor == "anthropic":
            return {"type": "error", "error": {"type": kind, "message": f"fake {status}"}}
        return {"error": {"message": f"fake {status}", "type": kind, "code": None, "param": None}}

    def _completion(self, request: dict[str, Any], reply: Reply) -> dict[str, Any]:
        number = next(self._ids)
        model = str(request.get("model", "unknown"))
        if self.flavor == "anthropic":
            tools = request.get("tools") or []
            if reply.payload is not None and tools:
                content: list[dict[str, Any]] = [
                    {
                        "type": "tool_use",
                        "id": f"toolu_{number}",
                        "name": tools[0]["name"],
                        "input": reply.payload,
                    }
                ]
                stop = "tool_use"
            else:
                content = [{"type": "text", "text": reply.text}]
                stop = "end_turn"
            return {
                "id": f"msg_{number}",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": content,
                "stop_reason": stop,
                "stop_sequence": None,
                "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
            }
        text = json.dumps(reply.payload) if reply.payload is not None else reply.text
        return {
            "id": f"chatcmpl-{number}",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": reply.input_tokens,
                "completion_tokens": reply.output_tokens,
                "total_tokens": reply.input_tokens + reply.output_tokens,
            },
        }

    def start(self) -> None:
        ready = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            app = web.Application()
            path = "/v1/messages" if self.flavor == "anthropic" else "/v1/chat/completions"
            app.router.add_post(path, self._handle)
            self._runner = web.AppRunner(
                app, handle_signals=False, access_log=None, shutdown_timeout=0.1
            )
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, "127.0.0.1", self.port)
            loop.run_until_complete(site.start())
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._runner.cleanup())
            loop.close()

        self._thread = threading.Thread(target=serve, name=f"fake-{self.flavor}", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError(f"fake {self.flavor} server did not start")

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)


@contextmanager
def running_fake(flavor: Literal["openai", "anthropic"]) -> Iterator[FakeProvider]:
    server = FakeProvider(flavor)
    server.start()
    try:
        yield server
    finally:
        server.stop()
