"""Names for the ids an API list carries (a review names its company by id only).

Asked of the API like everything else, for the rows shown and no more, a few at a
time; an id whose company the key cannot read (or that is gone) keeps no name, and
the page shows the id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from orgair_gateway.upstream_client import ScoringApi

__all__ = ["company_names"]

CONCURRENCY = 8


async def company_names(api: ScoringApi, company_ids: Iterable[str]) -> dict[str, str]:
    limit = asyncio.Semaphore(CONCURRENCY)

    async def name_of(company_id: str) -> tuple[str, str | None]:
        async with limit:
            answer = await api.request("GET", api.v1("companies", company_id))
        body = answer.json() if answer.ok else None
        name = body.get("name") if isinstance(body, dict) else None
        return company_id, name if isinstance(name, str) else None

    unique = list(dict.fromkeys(str(company_id) for company_id in company_ids))
    found = await asyncio.gather(*(name_of(company_id) for company_id in unique))
    return {company_id: name for company_id, name in found if name is not None}
