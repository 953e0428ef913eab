"""Cache-aside reads answered from the event loop.

A hit is one Redis GET on the loop and the stored bytes sent as they are: no
thread-pool hop, no session, no JSON decode, no response-model validation and
re-encoding. That is safe because the bytes are exactly what the endpoint's
response model produced when the value was cached (`model_dump(mode="json")` of
the model, stored by orjson: byte for byte what FastAPI would send, which
tests/api/test_cached_reads.py checks). A miss runs the loader in the thread
pool, with its own session, and stores the result; FastAPI then validates and
serializes it as for any endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from fastapi import Response
from starlette.concurrency import run_in_threadpool

from orgair_cache import Cache

__all__ = ["JSON_MEDIA_TYPE", "read_through"]

T = TypeVar("T")
JSON_MEDIA_TYPE = "application/json"


async def read_through(
    cache: Cache,
    key: str,
    ttl_seconds: int,
    load: Callable[[], T | None],
    *,
    headers: Mapping[str, str] | None = None,
) -> Response | T | None:
    """The cached JSON as a response, else `load()` (run in the thread pool) stored
    for `ttl_seconds`; None when `load` finds nothing. `headers` go on a cached
    response (set them on the injected `Response` too, for the miss)."""
    raw = await cache.aget_raw(key)
    if raw is not None:
        return Response(raw, media_type=JSON_MEDIA_TYPE, headers=headers)
    return await run_in_threadpool(cache.load_and_store, key, ttl_seconds, load)
