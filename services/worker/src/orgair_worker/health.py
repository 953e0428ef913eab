"""Reading and writing the worker's heartbeat file (standard library only).

Kept free of Celery and the service's imports: `python -m orgair_worker healthcheck`
runs every few seconds in the container and should cost milliseconds, not the
seconds a full import takes.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

# Missing this many beats in a row means the worker is stuck or cut off.
STALE_AFTER_BEATS = 3


def write_heartbeat(path: Path) -> None:
    """Replace the file atomically, so a reader never sees half a heartbeat."""
    path.parent.mkdir(parents=True, exist_ok=True)
    beat = {"pid": os.getpid(), "hostname": socket.gethostname(), "written_at": time.time()}
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(json.dumps(beat))
    partial.replace(path)


@dataclass(frozen=True)
class HeartbeatStatus:
    healthy: bool
    detail: str


def check_heartbeat(
    path: Path, max_age_seconds: float, *, now: float | None = None
) -> HeartbeatStatus:
    try:
        beat = json.loads(path.read_text())
        written_at = float(beat["written_at"])
    except FileNotFoundError:
        return HeartbeatStatus(False, f"no heartbeat file at {path} (worker not connected yet?)")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return HeartbeatStatus(False, f"unreadable heartbeat file {path}: {type(exc).__name__}")
    age = (time.time() if now is None else now) - written_at
    if age > max_age_seconds:
        return HeartbeatStatus(
            False, f"last heartbeat {age:.1f}s ago (limit {max_age_seconds:g}s): stuck or no broker"
        )
    return HeartbeatStatus(True, f"heartbeat {age:.1f}s ago from pid {beat.get('pid')}")
