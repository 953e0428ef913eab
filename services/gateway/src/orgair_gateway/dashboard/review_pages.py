"""The review queue and its decisions.

The queue is `GET /reviews?status=…` (pending first: the API's default, oldest
first), paged by the API; each row says why the score waits (the API's reasons).
Reviewers (and admins) see a decision form on each pending row; the decision is
`POST /reviews/{id}/decision`, so the API's rules hold as they are — a comment is
required to reject, decisions are final, a stale score cannot be approved — and
its refusal is shown as it gave it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from orgair_auth import Role
from orgair_gateway.dashboard.context import (
    PREFIX,
    PageContext,
    parse_uuid,
    safe_next,
    signed_in,
)
from orgair_gateway.dashboard.labels import label
from orgair_gateway.dashboard.lookups import company_names
from orgair_gateway.dashboard.render import score
from orgair_gateway.dashboard.tables import Choice, Column, Filter, TableSpec, page_through_api

__all__ = ["router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)
ContextDep = Annotated[PageContext, Depends(signed_in)]

PENDING = "pending_review"
STATUSES = (PENDING, "approved", "rejected", "auto_approved")
REVIEWS_TABLE = TableSpec(
    "r", "Reviews",
    (Column("created_at", "Scored"), Column("company_id", "Company", sortable=False),
     Column("org_air", "Org-AI-R", numeric=True),
     Column("review_reasons", "Why it waits", sortable=False),
     Column("parameters_version", "Profile")),
    default_sort="created_at",
    filters=(Filter("status", "Status", tuple(Choice(s, label(s)) for s in STATUSES),
                    default=PENDING),),
)  # fmt: skip
DECISIONS = {"approve": "Approved", "reject": "Rejected"}


def _value(row: Mapping[str, Any], key: str) -> Any:
    value = row.get(key)
    return value.casefold() if isinstance(value, str) and key != "created_at" else value


def _matches(row: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    return "status" not in filters or row.get("review_status") == filters["status"]


@router.get("/reviews")
async def reviews(ctx: ContextDep) -> Response:
    api, query = ctx.api, dict(ctx.request.query_params)
    state = REVIEWS_TABLE.read(query)
    status = state.filters.get("status", PENDING)

    async def fetch(page: int, size: int) -> Mapping[str, Any]:
        result: Mapping[str, Any] = await api.get(
            # The page shows held scores; value-creation plans share the API's queue.
            api.v2("reviews"),
            {"status": status, "kind": "score", "page": page, "page_size": size},
        )
        return result

    table = await page_through_api(
        state, query, fetch, native_sort="created_at", native_descending=False,
        native_filters=frozenset({"status"}), sort_value=_value, matches=_matches,
    )  # fmt: skip
    names = await company_names(api, [row["company_id"] for row in table.rows])
    here = f"{PREFIX}/reviews" + (f"?{urlencode(query)}" if query else "")
    return ctx.page(
        "reviews.html",
        section="reviews",
        table=table,
        names=names,
        review_status=status,
        can_decide=ctx.can(Role.REVIEWER) and status == PENDING,
        return_to=here,
    )


@router.post("/reviews/{score_id}/decision")
async def decide(score_id: str, ctx: ContextDep) -> Response:
    sid = str(parse_uuid(ctx.request, score_id, "score"))
    fields = await ctx.form()
    ctx.require(Role.REVIEWER)
    back = safe_next(fields.get("return_to")) or f"{PREFIX}/reviews"
    decision = fields.get("decision")
    if decision not in DECISIONS:
        await ctx.notify("error", "Choose Approve or Reject.")
        return ctx.redirect(back)
    comment = (fields.get("comment") or "").strip()
    answer = await ctx.api.request(
        "POST", ctx.api.v2("reviews", sid, "decision"),
        json={"decision": decision, "comment": comment or None},
    )  # fmt: skip
    if answer.ok:
        decided = answer.json()
        names = await company_names(ctx.api, [decided["company_id"]])
        company = names.get(decided["company_id"], decided["company_id"])
        await ctx.notify(
            "success",
            f"{DECISIONS[decision]} the Org-AI-R {score(decided['org_air'])} of {company}.",
        )
    else:
        await ctx.notify("error", f"The decision was not recorded: {answer.problem().message}")
    return ctx.redirect(back)
