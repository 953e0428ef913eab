"""Typed FastAPI dependencies: what an endpoint needs, built once per process in the lifespan."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from orgair_cache import Cache
from orgair_config import Settings
from orgair_database import Database
from orgair_objectstore import ObjectStore
from orgair_scoring_api.jobs.events import JobEventPublisher, JobEventReader
from orgair_scoring_api.jobs.queue import JobQueue


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


def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]


def get_settings_dep(resources: ResourcesDep) -> Settings:
    return resources.settings


def get_cache(resources: ResourcesDep) -> Cache:
    return resources.cache


def get_session(resources: ResourcesDep) -> Iterator[Session]:
    """A session per request; services commit their writes, anything left is rolled back."""
    session = resources.database.sessions()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
CacheDep = Annotated[Cache, Depends(get_cache)]
SessionDep = Annotated[Session, Depends(get_session)]
