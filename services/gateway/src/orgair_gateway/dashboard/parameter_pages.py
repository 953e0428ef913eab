"""Parameter profiles, two side by side, with what differs highlighted.

`GET /parameters` lists every profile with its full parameter set; each set is
flattened to dotted names (`weights.talent_skills`, `sectors.technology.h_r_base`) so
two profiles line up row by row. The comparison is of the API's values as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from orgair_gateway.dashboard.context import PREFIX, PageContext, signed_in
from orgair_gateway.dashboard.tables import Choice, Column, Filter, TableSpec, page_locally

__all__ = ["flatten", "router"]

router = APIRouter(prefix=PREFIX, include_in_schema=False)
ContextDep = Annotated[PageContext, Depends(signed_in)]

DIFFERS = "differs"
PARAMETERS_TABLE = TableSpec(
    "p", "Parameters",
    (Column("name", "Parameter"), Column("left", "Left", sortable=False),
     Column("right", "Right", sortable=False)),
    default_sort="name",
    filters=(Filter("q", "Parameter contains"),
             Filter("show", "Show", (Choice(DIFFERS, "Only differences"),))),
    page_sizes=(50, 100, 200),
)  # fmt: skip


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted names; a list of plain values stays one value."""
    if isinstance(value, Mapping):
        flat: dict[str, Any] = {}
        for name, item in value.items():
            flat.update(flatten(item, f"{prefix}.{name}" if prefix else str(name)))
        return flat
    if isinstance(value, list) and any(isinstance(item, Mapping | list) for item in value):
        flat = {}
        for index, item in enumerate(value):
            flat.update(flatten(item, f"{prefix}[{index}]"))
        return flat
    return {prefix: value}


_MISSING = object()


def _rows(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[dict[str, Any]]:
    flat_left, flat_right = flatten(left), flatten(right)
    rows = []
    for name in sorted(set(flat_left) | set(flat_right)):
        a, b = flat_left.get(name, _MISSING), flat_right.get(name, _MISSING)
        rows.append(
            {
                "name": name,
                "left": a,
                "right": b,
                "left_missing": a is _MISSING,
                "right_missing": b is _MISSING,
                "differs": a != b,
            }
        )
    return rows


def _matches(row: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    needle = filters.get("q")
    if needle and needle.casefold() not in row["name"].casefold():
        return False
    return filters.get("show") != DIFFERS or bool(row["differs"])


@router.get("/parameters")
async def parameters(ctx: ContextDep) -> Response:
    api, query = ctx.api, dict(ctx.request.query_params)
    profiles: list[Mapping[str, Any]] = await api.get(api.v2("parameters"))
    by_version = {profile["version"]: profile for profile in profiles}
    versions = list(by_version)
    default = next((p["version"] for p in profiles if p.get("is_default")), None)
    left_version = query.get("left")
    if left_version not in by_version:
        left_version = versions[0] if versions else None
    right_version = query.get("right")
    if right_version not in by_version:
        others = [v for v in versions if v != left_version]
        right_version = (
            default
            if default and default != left_version
            else (others[0] if others else left_version)
        )
    left = by_version.get(left_version or "")
    right = by_version.get(right_version or "")
    rows = _rows(left["parameters"] if left else {}, right["parameters"] if right else {})
    table = page_locally(
        PARAMETERS_TABLE.read(query), rows, query,
        sort_value=lambda row, key: row[key].casefold(), matches=_matches,
    )  # fmt: skip
    return ctx.page(
        "parameters.html",
        section="parameters",
        versions=versions,
        left=left,
        right=right,
        table=table,
        differences=sum(1 for row in rows if row["differs"]),
        compared=len(rows),
    )
