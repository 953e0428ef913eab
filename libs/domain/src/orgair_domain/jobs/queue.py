"""The job queue between scoring (producer) and the worker (consumer): Celery on Redis.

Both sides build their Celery configuration from `celery_config`, so broker, transport
options (the visibility timeout above all) and task names cannot drift apart. Scoring
only publishes, by task name (`send_task`): it never imports the worker's code.

Reliability on Redis, where a message is "unacknowledged" rather than held by a
broker-side consumer:
- `task_acks_late`: a message is acknowledged after its task ran, so a worker that
  dies mid-task leaves it unacknowledged;
- `task_reject_on_worker_lost`: a pool process killed mid-task returns its message
  to the queue at once (the main process notices);
- a whole worker that dies leaves its messages in Redis' `unacked` set; after
  `visibility_timeout` any other worker restores them to the queue. The timeout is
  longer than the hard time limit (enforced by the settings), so a task that is
  still running is never handed to a second worker;
- `worker_prefetch_multiplier=1`: a worker reserves one task per process, so a
  dead worker strands as little as possible.
The tasks themselves are idempotent, so a redelivered task is harmless.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import redis
from celery import Celery
from opentelemetry.propagate import inject

from orgair_config import Settings
from orgair_domain.jobs.kinds import JobKind

# One queue for every kind of job (the name stays what deployed workers consume).
QUEUE = "orgair.fund-jobs"
START_FUND_JOB = "orgair.fund_jobs.start"
SCORE_CHUNK = "orgair.fund_jobs.score_chunk"
FINALIZE_FUND_JOB = "orgair.fund_jobs.finalize"
START_JUSTIFICATIONS = "orgair.justifications.start"
JUSTIFY_DIMENSION = "orgair.justifications.justify_dimension"
DRAFT_IC_MEMO = "orgair.ic_memos.draft"
# The first task of each kind of job: what scoring publishes once the job row exists.
FIRST_TASK = {
    JobKind.FUND_SCORING: START_FUND_JOB,
    JobKind.JUSTIFICATIONS: START_JUSTIFICATIONS,
    JobKind.IC_MEMO: DRAFT_IC_MEMO,
}
# Celery's own `correlation_id` message property is the task id; ours needs another name.
CORRELATION_HEADER = "orgair_correlation_id"

# kombu's Redis transport keeps a queue with priorities as one list per priority step.
_PRIORITY_SUFFIXES = ("", "\x06\x163", "\x06\x166", "\x06\x169")
_UNACKED_KEY = "unacked"
# A POST must answer even when the broker is down: give up publishing after ~1 s.
_PUBLISH_RETRY_POLICY = {"max_retries": 3, "interval_start": 0, "interval_step": 0.2,
                         "interval_max": 0.5}  # fmt: skip


def celery_config(settings: Settings) -> dict[str, Any]:
    """The Celery settings shared by producer and worker."""
    visibility = settings.CELERY_VISIBILITY_TIMEOUT_SECONDS
    transport = {
        "visibility_timeout": visibility,
        # kombu sweeps for messages left unacknowledged by a dead worker every
        # interval * throttle seconds (100 s by default); sweep at a tenth of the
        # visibility timeout instead (at most every minute) so recovery takes about
        # the timeout, not the timeout plus minutes.
        "unacked_restore_interval": max(1, min(60, visibility // 10)),
        "unacked_restore_throttle": 1,
        "socket_connect_timeout": 5,
        "socket_timeout": 30,
        "socket_keepalive": True,
    }
    return {
        "broker_url": settings.CELERY_BROKER_URL,
        "result_backend": settings.CELERY_RESULT_BACKEND,
        "broker_transport_options": transport,
        "result_backend_transport_options": {"visibility_timeout": visibility},
        "broker_connection_retry_on_startup": True,
        "task_default_queue": QUEUE,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        # Job state lives in the database; nothing reads task results.
        "task_ignore_result": True,
        "result_expires": 86400,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_soft_time_limit": settings.CELERY_TASK_SOFT_TIME_LIMIT_SECONDS,
        "task_time_limit": settings.CELERY_TASK_TIME_LIMIT_SECONDS,
        # With late acks, a task cut off from the broker will be redelivered anyway:
        # stop it rather than let two copies run.
        "worker_cancel_long_running_tasks_on_connection_loss": True,
        "worker_hijack_root_logger": False,
        "worker_redirect_stdouts": False,
        "worker_send_task_events": False,
        "task_send_sent_event": False,
        "enable_utc": True,
        "timezone": "UTC",
    }


def trace_headers(correlation_id: str | None) -> dict[str, str]:
    """Message headers carrying the correlation id and the W3C trace context."""
    headers: dict[str, str] = {}
    inject(headers)
    if correlation_id:
        headers[CORRELATION_HEADER] = correlation_id
    return headers


@dataclass(frozen=True)
class QueueDepth:
    waiting: int
    in_flight: int


class JobQueue:
    """Publishes job tasks and reports the queue's depth."""

    def __init__(self, app: Celery, broker: redis.Redis) -> None:
        self._app = app
        self._broker = broker

    @classmethod
    def from_settings(cls, settings: Settings) -> JobQueue:
        app = Celery("orgair-scoring", set_as_current=False)
        config = celery_config(settings)
        # A request publishes: a black-holed broker must cost it seconds, not minutes.
        config["broker_transport_options"] = {
            **config["broker_transport_options"],
            "socket_connect_timeout": 2,
            "socket_timeout": 5,
        }
        app.conf.update(config)
        broker = redis.Redis.from_url(
            settings.CELERY_BROKER_URL, socket_connect_timeout=1, socket_timeout=1
        )
        return cls(app, broker)

    def enqueue_start(
        self, job_id: uuid.UUID, *, kind: JobKind, correlation_id: str | None
    ) -> None:
        """Publish the job's first task; raises when the broker cannot be reached."""
        self._app.send_task(
            FIRST_TASK[kind],
            args=[str(job_id)],
            queue=QUEUE,
            headers=trace_headers(correlation_id),
            retry=True,
            retry_policy=_PUBLISH_RETRY_POLICY,
        )

    def depth(self) -> QueueDepth:
        pipe = self._broker.pipeline(transaction=False)
        for suffix in _PRIORITY_SUFFIXES:
            pipe.llen(QUEUE + suffix)
        pipe.hlen(_UNACKED_KEY)
        *lengths, in_flight = pipe.execute()
        return QueueDepth(waiting=int(sum(lengths)), in_flight=int(in_flight))

    def close(self) -> None:
        self._broker.close()
        self._app.close()
