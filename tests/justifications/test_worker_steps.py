"""A justification job's steps called directly, as a broker delivering twice would call
them: each dimension is drafted by one delivery and written once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from orgair_auth import Role
from orgair_config import Settings
from orgair_worker import claims, justification_jobs
from orgair_worker.runtime import WorkerResources
from tests.api_v2.helpers import V2, company, submitted_assessment
from tests.justifications.conftest import ClientWith
from tests.llm.fake_providers import FakeProvider, answer

GOOD = {"justification": "Backed by [E1].", "citations": ["E1"]}


@pytest.fixture
def steps(
    client_with: ClientWith,
    llm_overrides: dict[str, Any],
    migrated: Settings,
    openai_server: FakeProvider,
) -> Iterator[tuple[TestClient, WorkerResources]]:
    openai_server.default = answer(payload=GOOD)
    settings = Settings(_env_file=None, **{**migrated.model_dump(), **llm_overrides})
    worker = WorkerResources.from_settings(settings)
    yield client_with(Role.ANALYST, **llm_overrides), worker
    worker.close()


def test_a_duplicate_delivery_pays_for_no_second_call(
    steps: tuple[TestClient, WorkerResources], openai_server: FakeProvider
) -> None:
    client, worker = steps
    subject = company(client)
    assessment = submitted_assessment(client, subject["id"], {"ai_governance": 50})
    body = {"kind": "note", "title": "Policy", "text": "An AI policy exists.",
            "dimensions": ["ai_governance"]}  # fmt: skip
    assert client.post(f"{V2}/companies/{subject['id']}/evidence", json=body).status_code == 201
    job_id = uuid.UUID(
        client.post(f"{V2}/assessments/{assessment['id']}/justifications").json()["id"]
    )

    assert justification_jobs.start_job(worker, job_id) == ["ai_governance"]
    # Another delivery holds the dimension: this one stands aside, calling nothing.
    assert claims.claim(worker, job_id, "ai_governance") is True
    skipped = justification_jobs.justify_dimension(worker, job_id, "ai_governance")
    assert (skipped.written, openai_server.calls) == (False, 0)
    claims.release(worker, job_id, "ai_governance")

    done = justification_jobs.justify_dimension(worker, job_id, "ai_governance")
    assert done.written and done.status == "justified" and openai_server.calls == 1
    again = justification_jobs.justify_dimension(worker, job_id, "ai_governance")
    assert again.written is False and openai_server.calls == 1  # written: not asked again
    job = client.get(f"{V2}/jobs/{job_id}").json()
    assert (job["state"], job["scored"], job["failed"]) == ("succeeded", 1, 0)
    assert justification_jobs.start_job(worker, job_id) is None  # ended: nothing to start
