"""Evidence over HTTP on SQLite and PostgreSQL: notes, excerpts and documents; ranking by
relevance with each database's own full-text index; reads, deletes and roles."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from orgair_auth import Role
from orgair_config import Settings
from tests.api.helpers import V1, assert_problem
from tests.evidence.documents import pdf_with_text
from tests.evidence.helpers import V2, add_note, new_company, search, stored_objects, upload


def titles(found: dict[str, object]) -> list[str]:
    items = found["items"]
    assert isinstance(items, list)
    return [item["title"] for item in items]


def test_note_and_url_excerpt_round_trip(client: TestClient) -> None:
    company = new_company(client)
    body = {"kind": "note", "title": " CTO interview ", "text": "  We run dbt \r\non Snowflake.  ",
            "dimensions": ["technology_stack", "data_infrastructure"],
            "source": "Interview, 2026-10-02", "evidence_date": "2026-10-02"}  # fmt: skip
    response = client.post(f"{V2}/companies/{company}/evidence", json=body)
    assert response.status_code == 201, response.text
    note = response.json()
    assert response.headers["location"] == note["links"]["self"] == f"{V2}/evidence/{note['id']}"
    assert note["kind"] == "note" and note["title"] == "CTO interview"
    assert note["dimensions"] == ["data_infrastructure", "technology_stack"]  # canonical order
    assert note["evidence_date"] == "2026-10-02" and note["links"]["original"] is None
    assert note["created_by"] == "test-admin-key" and note["media_type"] == "text/plain"

    detail = client.get(note["links"]["self"]).json()
    assert detail["text"] == "We run dbt\non Snowflake." and detail["text_chars"] == 24

    excerpt = client.post(
        f"{V2}/companies/{company}/evidence",
        json={"kind": "url", "url": "https://example.com/ai/annual-report?year=2025",
              "excerpt": "AI revenue grew 40%.", "dimensions": ["use_case_portfolio"]},
    )  # fmt: skip
    assert excerpt.status_code == 201, excerpt.text
    assert excerpt.json()["title"] == "example.com"
    assert excerpt.json()["url"] == "https://example.com/ai/annual-report?year=2025"
    assert client.get(excerpt.json()["links"]["self"]).json()["text"] == "AI revenue grew 40%."


@pytest.mark.parametrize(
    "change",
    [
        {"dimensions": []},
        {"dimensions": ["ai_governance", "ai_governance"]},
        {"dimensions": ["synergy"]},
        {"kind": "memo"},
        {"title": ""},
        {"text": ""},
        {"unexpected": 1},
        {"evidence_date": "yesterday"},
    ],
)
def test_invalid_notes_are_422(client: TestClient, change: dict[str, object]) -> None:
    company = new_company(client)
    body = {"kind": "note", "title": "t", "text": "x", "dimensions": ["ai_governance"]} | change
    problem = assert_problem(client.post(f"{V2}/companies/{company}/evidence", json=body), 422)
    assert problem["errors"][0]["pointer"].startswith("/body")


def test_url_excerpts_need_a_web_address(client: TestClient) -> None:
    company = new_company(client)
    for url in ("ftp://example.com/x", "javascript:alert(1)", "not a url"):
        body = {"kind": "url", "url": url, "excerpt": "x", "dimensions": ["ai_governance"]}
        assert_problem(client.post(f"{V2}/companies/{company}/evidence", json=body), 422)


def test_ranked_by_relevance_with_stemming_and_dimension_filter(client: TestClient) -> None:
    company = new_company(client)
    other = new_company(client, name="Other Co")
    add_note(client, company, "The data pipeline is monitored; pipelines feed the data "
             "warehouse and the data lake.", ["data_infrastructure"], title="both words, often")  # fmt: skip
    add_note(client, company, "A single warehouse holds sales figures.",
             ["data_infrastructure", "use_case_portfolio"], title="one word")  # fmt: skip
    add_note(client, company, "The board approved an AI policy.", ["ai_governance"],
             title="no match")  # fmt: skip
    add_note(client, other, "Pipelines and warehouse of another company.",
             ["data_infrastructure"], title="other company")  # fmt: skip

    found = search(client, company, q="pipelines WAREHOUSE")
    assert titles(found) == ["both words, often", "one word"]
    first, second = found["items"]
    assert first["match"]["relevance"] > second["match"]["relevance"] > 0
    assert first["match"]["chunk"] == 0 and "pipeline" in first["match"]["text"]
    # The stemmer: "pipeline" finds "pipelines" and the other way round.
    assert titles(search(client, company, q="pipeline")) == ["both words, often"]
    assert titles(search(client, company, q="warehouse", dimension="use_case_portfolio")) == [
        "one word"
    ]
    assert titles(search(client, company, q="policy", dimension="data_infrastructure")) == []
    # One word each: the shorter text, where it weighs more, ranks first (bm25, ts_rank).
    assert titles(search(client, company, q="warehouse")) == ["one word", "both words, often"]
    limited = search(client, company, q="pipelines warehouse", limit=1)
    assert titles(limited) == ["both words, often"] and limited["limit"] == 1


def test_without_q_newest_first(client: TestClient) -> None:
    company = new_company(client)
    for title, day in (("old", "2025-01-05"), ("newest", "2026-06-01"), ("middle", "2025-09-09")):
        add_note(client, company, f"{title} text", ["culture_change"], title=title,
                 evidence_date=day)  # fmt: skip
    found = search(client, company)
    assert titles(found) == ["newest", "middle", "old"]
    assert all(item["match"] is None for item in found["items"])
    assert titles(search(client, company, limit=2)) == ["newest", "middle"]
    assert titles(search(client, company, dimension="ai_governance")) == []


def test_pages_of_the_list_and_of_the_ranking_cover_each_item_once(client: TestClient) -> None:
    company = new_company(client)
    for index in range(7):
        words = "warehouse " * (index + 1) if index % 3 else "culture memo"
        add_note(client, company, f"{words} number {index}", ["data_infrastructure"],
                 title=f"note {index}", evidence_date=f"2026-0{index + 1}-01")  # fmt: skip
    for params in ({}, {"q": "warehouse"}, {"dimension": "data_infrastructure", "q": "memo"}):
        whole = search(client, company, **params, limit=100)
        pages = [search(client, company, **params, limit=2, page=n) for n in (1, 2, 3, 4)]
        assert [t for found in pages for t in titles(found)] == titles(whole)
        assert {found["total"] for found in pages} == {whole["total"]} == {len(whole["items"])}
        assert pages[0]["total_pages"] == -(-whole["total"] // 2) and pages[1]["page"] == 2
    assert search(client, company)["total"] == 7
    assert search(client, company, q="warehouse")["total"] == 4
    past_the_end = search(client, company, limit=2, page=9)
    assert past_the_end["items"] == [] and past_the_end["total"] == 7


@pytest.mark.parametrize(
    "q",
    ['data" OR 1=1 --', "NEAR(data pipeline)", "data AND NOT x*", "'; DROP TABLE evidence; --",
     "a & b | !c <-> d:*", "\u00fcber caf\u00e9", "x" * 300],
)  # fmt: skip
def test_query_text_is_never_query_syntax(client: TestClient, q: str) -> None:
    company = new_company(client)
    add_note(client, company, "Data pipeline and caf\u00e9 notes", ["data_infrastructure"])
    response = client.get(f"{V2}/companies/{company}/evidence", params={"q": q})
    assert response.status_code == 200, response.text
    assert client.get(f"{V2}/companies/{company}/evidence").json()["items"]  # still there


def test_bad_queries(client: TestClient) -> None:
    company = new_company(client)
    url = f"{V2}/companies/{company}/evidence"
    problem = assert_problem(client.get(url, params={"q": "?!*"}), 400)
    assert problem["errors"][0]["pointer"] == "/query/q"
    assert_problem(client.get(url, params={"limit": 0}), 422)
    assert_problem(client.get(url, params={"limit": 101}), 422)
    assert_problem(client.get(url, params={"page": 0}), 422)
    assert_problem(client.get(url, params={"page": 2**63}), 422)
    assert_problem(client.get(url, params={"dimension": "synergy"}), 422)
    assert client.get(url, params={"q": "   "}).json()["q"] is None  # blank is no query


def test_long_text_is_chunked_and_the_best_chunk_answers(
    client: TestClient, settings: Settings
) -> None:
    company = new_company(client)
    paragraphs = [f"Paragraph {n} talks about ordinary operations. " * 8 for n in range(12)]
    paragraphs[7] = "Here the company describes its feature store and vector database. " * 3
    text = "\n\n".join(p.strip() for p in paragraphs)
    note = add_note(client, company, text, ["technology_stack"])
    assert note["chunk_count"] >= 4
    assert client.get(note["links"]["self"]).json()["text"] == text
    hit = search(client, company, q="vector database")["items"][0]
    assert "vector database" in hit["match"]["text"]
    assert len(hit["match"]["text"]) <= settings.EVIDENCE_CHUNK_CHARS
    assert hit["match"]["chunk"] > 0


def test_document_upload_read_and_delete(client: TestClient, settings: Settings) -> None:
    company = new_company(client)
    pdf = pdf_with_text("Data governance charter", "Model inventory and lineage",
                        title="Charter 2026")  # fmt: skip
    response = upload(client, company, pdf, filename="C:\\docs\\charter.pdf",
                      content_type="application/pdf",
                      dimensions=("ai_governance", "data_infrastructure"),
                      source="Company data room", evidence_date="2026-03-31")  # fmt: skip
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["title"] == "Charter 2026"  # the PDF's own title
    assert document["filename"] == "charter.pdf" and document["media_type"] == "application/pdf"
    assert document["size_bytes"] == len(pdf) and document["source"] == "Company data room"
    key = f"evidence/{company}/{document['id']}/original"
    assert stored_objects(settings, company) == [key]

    link = client.get(document["links"]["original"]).json()
    assert link["key"] == key and link["expires_in"] == settings.EVIDENCE_URL_EXPIRES_SECONDS
    detail = client.get(document["links"]["self"]).json()
    assert detail["text"] == "Data governance charter\n\nModel inventory and lineage"
    assert titles(search(client, company, q="lineage")) == ["Charter 2026"]

    assert client.delete(document["links"]["self"]).status_code == 204
    assert stored_objects(settings, company) == []
    assert_problem(client.get(document["links"]["self"]), 404)
    assert_problem(client.delete(document["links"]["self"]), 404)
    assert titles(search(client, company, q="lineage")) == []  # gone from the index too


def test_notes_have_no_original(client: TestClient) -> None:
    note = add_note(client, new_company(client), "x", ["talent_skills"])
    assert_problem(client.get(f"{note['links']['self']}/original"), 404)


def test_missing_and_deleted_companies(client: TestClient) -> None:
    missing = uuid.uuid4()
    assert_problem(client.get(f"{V2}/companies/{missing}/evidence"), 404)
    body = {"kind": "note", "title": "t", "text": "x", "dimensions": ["ai_governance"]}
    assert_problem(client.post(f"{V2}/companies/{missing}/evidence", json=body), 404)
    assert_problem(upload(client, str(missing), b"text", content_type="text/plain"), 404)
    assert_problem(client.get(f"{V2}/evidence/{missing}"), 404)

    company = new_company(client)
    note = add_note(client, company, "x", ["ai_governance"])
    assert client.delete(f"{V1}/companies/{company}").status_code == 204
    assert_problem(client.get(note["links"]["self"]), 404)  # hidden with its company
    assert_problem(client.get(f"{V2}/companies/{company}/evidence"), 404)


def test_viewers_read_analysts_write(
    client: TestClient, client_as: Callable[[Role], TestClient]
) -> None:
    company = new_company(client)
    note = add_note(client, company, "Viewer-visible text", ["leadership_vision"])
    viewer, analyst = client_as(Role.VIEWER), client_as(Role.ANALYST)
    assert viewer.get(note["links"]["self"]).status_code == 200
    assert (
        viewer.get(f"{V2}/companies/{company}/evidence", params={"q": "viewer"}).status_code == 200
    )
    body = {"kind": "note", "title": "t", "text": "x", "dimensions": ["ai_governance"]}
    assert_problem(viewer.post(f"{V2}/companies/{company}/evidence", json=body), 403)
    assert_problem(upload(viewer, company, b"x", content_type="text/plain"), 403)
    assert_problem(viewer.delete(note["links"]["self"]), 403)
    created = analyst.post(f"{V2}/companies/{company}/evidence", json=body)
    assert created.status_code == 201 and created.json()["created_by"] == "test-analyst-key"
    assert analyst.delete(note["links"]["self"]).status_code == 204
