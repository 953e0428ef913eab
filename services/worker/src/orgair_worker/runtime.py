"""What a worker process uses: settings, database, cache, S3, job events, the LLM client.

Built lazily, once per process and after the fork: database connections, Redis
sockets and boto3 clients must never be shared between prefork pool processes.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import redis

from orgair_cache import Cache
from orgair_config import Settings, get_settings
from orgair_database import Database
from orgair_domain.jobs.events import JobEventPublisher
from orgair_llm import LLMClient, SqlLedgerSink
from orgair_objectstore import ObjectStore
from orgair_observability.instrumentation import instrument_redis, instrument_sqlalchemy


@dataclass(frozen=True)
class WorkerResources:
    settings: Settings
    database: Database
    cache: Cache
    objects: ObjectStore
    events: JobEventPublisher
    # Plain Redis (the cache fails soft, which a claim must not): who is drafting what.
    redis: redis.Redis
    # Every worker process spends the one daily budget in Redis; its ledger rows go to
    # the database. Without provider keys it refuses calls (LLMNotConfigured).
    llm: LLMClient

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkerResources:
        database = Database.from_settings(settings)
        instrument_sqlalchemy(database.engine)
        instrument_redis()
        return cls(
            settings=settings,
            database=database,
            cache=Cache.from_url(settings.REDIS_URL),
            objects=ObjectStore.from_settings(settings),
            events=JobEventPublisher.from_settings(settings),
            redis=redis.Redis.from_url(
                settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=5
            ),
            llm=LLMClient.from_settings(settings, ledger=SqlLedgerSink(database)),
        )

    def close(self) -> None:
        self.llm.close()
        self.redis.close()
        self.events.close()
        self.cache.close()
        self.database.dispose()


_lock = threading.Lock()
_resources: WorkerResources | None = None
_owner_pid: int | None = None


def resources() -> WorkerResources:
    """This process's resources (built on first use; rebuilt in a forked child)."""
    global _resources, _owner_pid
    with _lock:
        if _resources is None or _owner_pid != os.getpid():
            _resources = WorkerResources.from_settings(get_settings())
            _owner_pid = os.getpid()
        return _resources


def close_resources() -> None:
    global _resources
    with _lock:
        if _resources is not None and _owner_pid == os.getpid():
            _resources.close()
        _resources = None
