"""Uploaded documents on SQLite and PostgreSQL: what is read from each type, and what is
refused — with a problem naming the reason, and nothing stored, neither rows nor the
original in S3, whichever step failed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from orgair_auth import Role
from orgair_config import Settings
from orgair_domain.evidence.models import Evidence, EvidenceChunk, EvidenceDimension
from orgair_scoring_api.app import create_app
from tests.api.helpers import assert_problem
from tests.conftest import signed_client
from tests.evidence.documents import PNG, encrypted_pdf, malformed_pdf, pdf_with_text
from tests.evidence.helpers import new_company, stored_objects, upload
from tests.support.servers import free_port

PROBLEMS = "https://errors.pe-orgair.example/"


def stored_rows(settings: Settings) -> dict[str, int]:
    engine = create_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            return {
                model.__tablename__: connection.scalar(select(func.count()).select_from(model)) or 0
                for model in (Evidence, EvidenceDimension, EvidenceChunk)
            }
    finally:
        engine.dispose()


def assert_nothing_stored(settings: Settings, company: str) -> None:
    assert stored_rows(settings) == {"evidence": 0, "evidence_dimensions": 0, "evidence_chunks": 0}
    assert stored_objects(settings, company) == []


@pytest.fixture
def client_with(migrated: Settings) -> Iterator[object]:
    """`client_with(EVIDENCE_MAX_UPLOAD_BYTES=...)`: the scoring app with other settings."""
    opened: list[TestClient] = []

    def build(**overrides: object) -> TestClient:
        test_client = signed_client(
            create_app(migrated.model_copy(update=overrides)), Role.ANALYST,
            raise_server_exceptions=False,
        )  # fmt: skip
        opened.append(test_client.__enter__())
        return test_client

    yield build
    for test_client in opened:
        test_client.__exit__(None, None, None)


def test_html_is_stored_as_what_a_reader_sees(client: TestClient, settings: Settings) -> None:
    company = new_company(client)
    page = (b"<!DOCTYPE html><html><head><meta charset='windows-1252'><title>AI at Acme"
            b"</title><script>steal()</script><style>b{}</style></head><body><h1>Use cases"
            b"</h1><p>Pricing engine &amp; demand forecasting \x96 live since 2025.</p>"
            b"</body></html>")  # fmt: skip
    response = upload(client, company, page, filename="ai.html", content_type="text/html",
                      dimensions=("use_case_portfolio",))  # fmt: skip
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["title"] == "AI at Acme" and document["media_type"] == "text/html"
    detail = client.get(document["links"]["self"]).json()
    assert (
        detail["text"] == "Use cases\n\nPricing engine & demand forecasting \u2013 live since 2025."
    )
    assert stored_objects(settings, company) == [f"evidence/{company}/{document['id']}/original"]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"Data team: 12 engineers.\n", "Data team: 12 engineers."),
        ("Caf\u00e9 na\u00efve r\u00e9sum\u00e9 d\u00e9j\u00e0 vu, mod\u00e8les et donn\u00e9es "
         "g\u00e9r\u00e9es.".encode("cp1252"),
         "Caf\u00e9 na\u00efve r\u00e9sum\u00e9 d\u00e9j\u00e0 vu, mod\u00e8les et donn\u00e9es "
         "g\u00e9r\u00e9es."),
        ("\u00dcberblick: KI-Strategie".encode("utf-16"), "\u00dcberblick: KI-Strategie"),
    ],
)  # fmt: skip
def test_plain_text_in_its_charset(client: TestClient, content: bytes, expected: str) -> None:
    company = new_company(client)
    # No declared type (curl's default for an unknown extension): the content decides.
    response = upload(client, company, content, filename="notes.txt")
    assert response.status_code == 201, response.text
    assert response.json()["media_type"] == "text/plain"
    assert response.json()["title"] == "notes.txt"
    assert client.get(response.json()["links"]["self"]).json()["text"] == expected


@pytest.mark.parametrize(
    ("content", "declared", "status", "code"),
    [
        (PNG, "image/png", 415, "evidence-unsupported-type"),
        (PNG, "text/plain", 415, "evidence-unsupported-type"),  # the header lies
        (b"MZ\x90\x00\x03" + b"\x00" * 60, "application/pdf", 415, "evidence-unsupported-type"),
        (pdf_with_text("x"), "text/plain", 415, "evidence-type-mismatch"),
        (b"Quarterly notes", "application/pdf", 415, "evidence-type-mismatch"),
        (b"Quarterly notes", "application/zip", 415, "evidence-unsupported-type"),
        (encrypted_pdf("Confidential plan"), "application/pdf", 422, "evidence-encrypted"),
        (malformed_pdf(), "application/pdf", 422, "evidence-malformed"),
        (pdf_with_text(""), "application/pdf", 422, "evidence-no-text"),
        (b"", "text/plain", 422, "evidence-no-text"),
        (b"\xef\xbb\xbfbroken \xff utf-8", "text/plain", 422, "evidence-undecodable"),
    ],
    ids=["png", "png-as-text", "exe-as-pdf", "pdf-as-text", "text-as-pdf", "zip-declared",
         "encrypted-pdf", "malformed-pdf", "pdf-without-text", "empty", "bad-utf8"],
)  # fmt: skip
def test_bad_files_are_refused_and_nothing_is_stored(
    client: TestClient, settings: Settings, content: bytes, declared: str, status: int, code: str
) -> None:
    company = new_company(client)
    problem = assert_problem(upload(client, company, content, content_type=declared), status)
    assert problem["type"] == PROBLEMS + code
    assert problem["detail"]  # names the reason
    assert_nothing_stored(settings, company)


def test_too_large_is_413(client_with: object, settings: Settings) -> None:
    small = client_with(EVIDENCE_MAX_UPLOAD_BYTES=2048)  # type: ignore[operator]
    company = new_company(small)
    accepted = upload(small, company, b"a" * 2048, content_type="text/plain")
    assert accepted.status_code == 201, accepted.text
    problem = assert_problem(upload(small, company, b"a" * 2049, content_type="text/plain"), 413)
    assert problem["type"] == PROBLEMS + "evidence-too-large"
    assert problem["max_bytes"] == 2048 and problem["title"] == "Content Too Large"
    assert stored_rows(settings)["evidence"] == 1 and len(stored_objects(settings, company)) == 1


def test_text_over_the_limit_is_422(client_with: object, settings: Settings) -> None:
    limited = client_with(EVIDENCE_MAX_TEXT_CHARS=1000)  # type: ignore[operator]
    company = new_company(limited)
    problem = assert_problem(upload(limited, company, b"word " * 400, content_type="text/plain"),
                             422)  # fmt: skip
    assert problem["type"] == PROBLEMS + "evidence-text-too-long"
    assert_nothing_stored(settings, company)


def test_s3_down_is_503_and_no_row_is_written(client_with: object, settings: Settings) -> None:
    dead = client_with(S3_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}")  # type: ignore[operator]
    company = new_company(dead)
    assert_problem(upload(dead, company, b"notes", content_type="text/plain"), 503)
    assert stored_rows(settings)["evidence"] == 0


FAILING_CHUNKS = {
    "sqlite": (
        "CREATE TRIGGER chunks_fail BEFORE INSERT ON evidence_chunks "
        "BEGIN SELECT RAISE(ABORT, 'disk full'); END",
    ),
    "postgresql": (
        "CREATE FUNCTION chunks_fail() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
        "CREATE TRIGGER chunks_fail BEFORE INSERT ON evidence_chunks "
        "FOR EACH ROW EXECUTE FUNCTION chunks_fail()",
    ),
}


def test_database_failure_after_the_upload_deletes_the_original(
    client: TestClient, settings: Settings
) -> None:
    """The original is in S3 before the rows are written; a failing write removes it."""
    company = new_company(client)
    engine = create_engine(settings.database_url)
    with engine.begin() as connection:
        for statement in FAILING_CHUNKS[engine.dialect.name]:
            connection.execute(text(statement))
    engine.dispose()
    response = upload(client, company, pdf_with_text("Roadmap"), content_type="application/pdf")
    assert response.status_code == 500
    assert_nothing_stored(settings, company)
