"""`/api/v2/llm/usage` (admin): what LLM calls cost on a UTC day, by model and purpose."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from orgair_auth import Role
from orgair_database.values import IsoDate
from orgair_domain.llm_usage import UsageOut, usage_of_day
from orgair_scoring_api.auth import require_role
from orgair_scoring_api.dependencies import SessionDep

router = APIRouter(tags=["llm"], dependencies=[Depends(require_role(Role.ADMIN))])


@router.get("/llm/usage", response_model=UsageOut)
def llm_usage(session: SessionDep, day: IsoDate | None = None) -> UsageOut:
    """The call ledger of `day` (default today, UTC) summed by model and purpose."""
    return usage_of_day(session, day)
