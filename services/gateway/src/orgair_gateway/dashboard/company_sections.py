"""A company's value-creation plans, justifications and evidence, as tables.

Each is read from its own API list and sorted, filtered and paged like every other
table (tables.py), so a company with hundreds of documents or plans pages instead of
growing one long card list:

- plans: `GET /companies/{id}/value-creation-plans` pages (newest first), so the
  default view reads one API page; any other order or the review filter reads the list;
- justifications: `GET /assessments/{id}/justifications` of the current approved
  score's assessment, one per dimension, answered whole;
- evidence: `GET /companies/{id}/evidence` searches (`q`, ranked by relevance),
  filters by dimension and pages itself (`limit` a page), so its own order (newest
  by date, or the ranking) reads one API page; another sort reads the list.

A section is left out when the scoring behind the gateway has no such endpoint
(404/405), as for an older scoring version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from orgair_gateway.dashboard.labels import label
from orgair_gateway.dashboard.tables import (
    Choice,
    Column,
    Filter,
    TableSpec,
    TableView,
    field_value,
    page_locally,
    page_through_api,
)
from orgair_gateway.upstream_client import ScoringApi

__all__ = [
    "EVIDENCE_TABLE",
    "JUSTIFICATIONS_TABLE",
    "PLANS_TABLE",
    "evidence_table",
    "justifications_table",
    "plans_table",
]

REVIEW_STATUSES = ("auto_approved", "approved", "pending_review", "rejected")
JUSTIFICATION_STATUSES = ("justified", "no_evidence", "citation_invalid", "failed")

PLANS_TABLE = TableSpec(
    "p", "Value-creation plans",
    (Column("created_at", "Planned"), Column("parameters_version", "Profile"),
     Column("entry_org_air", "Entry", numeric=True),
     Column("target_org_air", "Target", numeric=True),
     Column("projected_org_air", "Projected", numeric=True),
     Column("ebitda_risk_adjusted", "EBITDA risk-adj.", numeric=True),
     Column("ebitda_scenarios", "Cons. / base / opt.", sortable=False),
     Column("investment_usd", "Investment", numeric=True),
     Column("review_status", "Review")),
    default_sort="created_at", default_descending=True,
    filters=(Filter("status", "Review", tuple(Choice(s, label(s)) for s in REVIEW_STATUSES)),),
    page_sizes=(10, 25, 100),
)  # fmt: skip
JUSTIFICATIONS_TABLE = TableSpec(
    "u", "Justifications",
    (Column("dimension", "Dimension"), Column("score", "Score", numeric=True),
     Column("status", "Status"), Column("text", "Justification", sortable=False),
     Column("citations", "Cited", numeric=True), Column("model", "Model"),
     Column("created_at", "Drafted")),
    default_sort="dimension",
    filters=(
        Filter("status", "Status", tuple(Choice(s, label(s)) for s in JUSTIFICATION_STATUSES)),
        Filter("q", "Text contains"),
    ),
    page_sizes=(10, 25, 100),
)  # fmt: skip
_EVIDENCE_COLUMNS = (
    Column("title", "Title"), Column("kind", "Kind"), Column("source", "Source"),
    Column("dimensions", "Dimensions", sortable=False),
    Column("evidence_date", "Dated"), Column("relevance", "Relevance", numeric=True),
    Column("created_at", "Added"),
)  # fmt: skip
EVIDENCE_TABLE = TableSpec(
    "e", "Evidence", _EVIDENCE_COLUMNS, default_sort="evidence_date", default_descending=True,
    filters=(Filter("q", "Search"),), page_sizes=(10, 25, 100),
)  # fmt: skip
# With a search the API ranks by relevance, and so does the table unless asked otherwise.
_EVIDENCE_SEARCH_TABLE = replace(EVIDENCE_TABLE, default_sort="relevance")


def _plan_value(row: Mapping[str, Any], key: str) -> Any:
    if key == "ebitda_risk_adjusted":
        return (row.get("ebitda") or {}).get("risk_adjusted")
    return field_value(row, key)


def _plan_matches(row: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    return "status" not in filters or row.get("review_status") == filters["status"]


class _NoSuchEndpoint(Exception):
    """This scoring has no such list (an older version): the section is left out."""


async def plans_table(
    api: ScoringApi, company_id: str, query: Mapping[str, str]
) -> TableView | None:
    """The company's plans, or None when this scoring has no plans endpoint."""
    path = api.v2("companies", company_id, "value-creation-plans")

    async def fetch(page: int, size: int) -> Mapping[str, Any]:
        result: Mapping[str, Any] | None = await api.get_if_present(
            path, {"page": page, "page_size": size}
        )
        if result is None:
            raise _NoSuchEndpoint
        return result

    try:
        return await page_through_api(
            PLANS_TABLE.read(query), query, fetch,
            native_sort="created_at", native_descending=True,
            sort_value=_plan_value, matches=_plan_matches,
        )  # fmt: skip
    except _NoSuchEndpoint:
        return None


def _justification_value(row: Mapping[str, Any], key: str) -> Any:
    if key == "citations":
        return len(row.get("citations") or [])
    return field_value(row, key)


def _justification_matches(row: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    if "status" in filters and row.get("status") != filters["status"]:
        return False
    needle = filters.get("q")
    return not needle or needle.casefold() in str(row.get("text") or "").casefold()


async def justifications_table(
    api: ScoringApi, assessment_id: str | None, query: Mapping[str, str]
) -> TableView | None:
    """The latest justification of each dimension of `assessment_id` (none without one),
    or None when this scoring has no justifications endpoint."""
    state = JUSTIFICATIONS_TABLE.read(query)
    if assessment_id is None:
        return page_locally(
            state, [], query, sort_value=_justification_value, matches=_justification_matches
        )
    answer = await api.get_if_present(api.v2("assessments", assessment_id, "justifications"))
    if answer is None:
        return None
    return page_locally(
        state, list(answer["items"]), query,
        sort_value=_justification_value, matches=_justification_matches,
    )  # fmt: skip


def _evidence_value(row: Mapping[str, Any], key: str) -> Any:
    if key == "relevance":
        return (row.get("match") or {}).get("relevance")
    return field_value(row, key)


def _evidence_spec(dimensions: Sequence[str], query: Mapping[str, str]) -> TableSpec:
    searching = bool((query.get(EVIDENCE_TABLE.param("q")) or "").strip())
    spec = _EVIDENCE_SEARCH_TABLE if searching else EVIDENCE_TABLE
    if not dimensions:
        return spec
    by_dimension = Filter("dimension", "Dimension", tuple(Choice(d, label(d)) for d in dimensions))
    return spec.with_filters((*spec.filters, by_dimension))


async def evidence_table(
    api: ScoringApi, company_id: str, dimensions: Sequence[str], query: Mapping[str, str]
) -> TableView | None:
    """The company's evidence, searched, filtered and paged by the API; None when this
    scoring has no evidence endpoint. `dimensions` are the filter's choices (the
    company's scored dimensions)."""
    state = _evidence_spec(dimensions, query).read(query)
    path = api.v2("companies", company_id, "evidence")
    searching = "q" in state.filters

    async def fetch(page: int, size: int) -> Mapping[str, Any]:
        asked: dict[str, str | int] = {"page": page, "limit": size, **state.filters}
        result: Mapping[str, Any] | None = await api.get_if_present(path, asked)
        if result is None:
            raise _NoSuchEndpoint
        return result

    try:
        return await page_through_api(
            state, query, fetch,
            native_sort="relevance" if searching else "evidence_date", native_descending=True,
            native_filters=frozenset({"q", "dimension"}),
            sort_value=_evidence_value, matches=lambda row, filters: True,
        )  # fmt: skip
    except _NoSuchEndpoint:
        return None
