"""Cache-aside reads: the HTTP layer's, in front of the domain's use cases.

The domain returns models and invalidates what its writes change
(`orgair_domain.cache_keys`); which reads are cached, and how, is decided here.

`read_through` answers from the event loop: a hit is one Redis GET on the loop and
the stored bytes sent as they are: no thread-pool hop, no session, no JSON decode,
no response-model validation and re-encoding. That is safe because the bytes are
exactly what the endpoint's response model produced when the value was cached
(`model_dump(mode="json")` of the model, stored by orjson: byte for byte what
FastAPI would send, which tests/api/test_cached_reads.py checks). A miss runs the
loader in the thread pool, with its own session, and stores the result; FastAPI then
validates and serializes it as for any endpoint. `read_cached` is the same for an
endpoint already running in the thread pool, with the request's session.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from fastapi import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from orgair_cache import Cache
from orgair_scoring_api.dependencies import Resources

__all__ = ["JSON_MEDIA_TYPE", "read_cached", "read_model", "read_through"]

T = TypeVar("T")
JSON_MEDIA_TYPE = "application/json"
Read = Callable[[Session], BaseModel | Sequence[BaseModel]]


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


def as_json(value: BaseModel | Sequence[BaseModel]) -> Any:
    """JSON data of a model (or a list of them), as the response model dumps it."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    return [item.model_dump(mode="json") for item in value]


async def read_model(
    resources: Resources,
    key: str,
    ttl_seconds: int,
    read: Read,
    *,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """`read_through` of a domain read: `read(session)` runs on a miss, with a session
    of its own; its errors (a `NotFound`) propagate and nothing is stored."""

    def load() -> Any:
        with resources.database.sessions() as session:
            return as_json(read(session))

    return await read_through(resources.cache, key, ttl_seconds, load, headers=headers)


def read_cached(
    cache: Cache, key: str, ttl_seconds: int, read: Callable[[], BaseModel | Sequence[BaseModel]]
) -> Any:
    """The cached JSON data, else `read()` stored (for endpoints in the thread pool)."""
    return cache.get_or_load(key, ttl_seconds, lambda: as_json(read()))
