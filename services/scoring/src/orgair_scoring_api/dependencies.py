"""Typed FastAPI dependencies: what an endpoint needs, built once per process in the lifespan.

Every dependency here is an ``async def`` that does no I/O: FastAPI runs a plain
``def`` dependency in the thread pool, and a hop there and back costs more than
the whole of a cached read (measured: nine hops per request before, most of the
time of `GET /companies/{id}`). Database work still runs in the thread pool, in
the sync endpoints and in `run_in_threadpool` calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import Depends, Query, Request
from sqlalchemy.orm import Session

from orgair_auth import IdentityVerifier, ReplayGuard
from orgair_cache import Cache
from orgair_config import Settings
from orgair_database import Database
from orgair_database.values import PageNumber
from orgair_domain.jobs.events import JobEventPublisher, JobEventReader
from orgair_domain.jobs.queue import JobQueue
from orgair_domain.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PageRequest
from orgair_llm import LLMClient
from orgair_objectstore import ObjectStore


@dataclass(frozen=True)
class Resources:
    """The process-wide clients, created in the app's lifespan."""

    settings: Settings
    database: Database
    cache: Cache
    objects: ObjectStore
    job_queue: JobQueue
    job_events: JobEventPublisher
    job_event_reader: JobEventReader
    # Its signing key is derived from SECRET_KEY once, not per request.
    identity_verifier: IdentityVerifier
    # Starting justification and memo jobs checks it (provider keys, today's budget);
    # `/readyz` reports its budget. The calls themselves run in the worker.
    llm: LLMClient
    # Remembers the identity nonces every replica has seen (single-use signatures).
    replay_guard: ReplayGuard


async def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


async def get_settings_dep(resources: ResourcesDep) -> Settings:
    return resources.settings


async def get_cache(resources: ResourcesDep) -> Cache:
    return resources.cache


def _end_session(session: Session) -> None:
    session.rollback()
    session.close()


async def get_session(resources: ResourcesDep) -> AsyncIterator[Session]:
    """A session per request; services commit their writes, anything left is rolled back.

    Creating a `Session` opens no connection (that happens at its first statement),
    so it is created here, on the event loop. Ending it is I/O only when it still
    holds a transaction (a read, or a failed write): then the rollback runs in the
    thread pool, shielded from cancellation so the connection always goes back to
    the pool, and not limited by the pool's capacity (FastAPI's rule for exits: a
    full pool must not keep a connection from being released).
    """
    session = resources.database.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(
                    _end_session, session, limiter=anyio.CapacityLimiter(1)
                )
        else:
            session.close()  # nothing begun: no statement to send


async def page_request(
    page: Annotated[PageNumber, Query(description="1-based page number")] = 1,
    page_size: Annotated[
        int, Query(ge=1, le=MAX_PAGE_SIZE, description="items per page")
    ] = DEFAULT_PAGE_SIZE,
) -> PageRequest:
    """`?page=&page_size=` of a paginated list (CS1: page from 1, 1..100 items, default 20)."""
    return PageRequest(page=page, page_size=page_size)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
CacheDep = Annotated[Cache, Depends(get_cache)]
SessionDep = Annotated[Session, Depends(get_session)]
PageDep = Annotated[PageRequest, Depends(page_request)]
