from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from orgair_cache import Cache
from orgair_database import Database, utcnow
from orgair_observability import BadRequest, NotFound
from orgair_scoring_api import cache_keys
from orgair_scoring_api.cached_reads import read_through
from orgair_scoring_api.companies import repository
from orgair_scoring_api.companies.models import Company
from orgair_scoring_api.companies.schemas import CompanyCreate, CompanyOut, CompanyUpdate
from orgair_scoring_api.industries import repository as industries
from orgair_scoring_api.pagination import Page, PageParams


def _out(company: Company) -> dict[str, Any]:
    return CompanyOut.model_validate(company).model_dump(mode="json")


def _require_industry(session: Session, industry_id: uuid.UUID) -> None:
    if not industries.exists(session, industry_id):
        raise BadRequest(
            f"industry_id '{industry_id}' does not exist",
            errors=[{"pointer": "/body/industry_id", "detail": "unknown industry"}],
        )


def create_company(session: Session, data: CompanyCreate) -> dict[str, Any]:
    _require_industry(session, data.industry_id)
    now = utcnow()
    company = Company(**data.model_dump(), created_at=now, updated_at=now)
    session.add(company)
    session.commit()
    return _out(company)


async def read_company(cache: Cache, database: Database, company_id: uuid.UUID) -> Any:
    """The company as the cached JSON response, or loaded and cached; 404 when absent."""

    def load() -> dict[str, Any] | None:
        with database.sessions() as session:
            company = repository.get_active(session, company_id)
            return None if company is None else _out(company)

    key = cache_keys.company(cache, company_id)
    found = await read_through(cache, key, cache_keys.COMPANY_TTL, load)
    if found is None:
        raise NotFound("company", company_id)
    return found


def list_companies(
    session: Session, *, industry_id: uuid.UUID | None, page: PageParams
) -> Page[CompanyOut]:
    rows, total = repository.list_active(
        session, industry_id=industry_id, offset=page.offset, limit=page.page_size
    )
    return Page[CompanyOut].build([CompanyOut.model_validate(row) for row in rows], total, page)


def update_company(
    session: Session, cache: Cache, company_id: uuid.UUID, data: CompanyUpdate
) -> dict[str, Any]:
    company = repository.get_active(session, company_id)
    if company is None:
        raise NotFound("company", company_id)
    changes = data.model_dump(exclude_unset=True)
    if "industry_id" in changes:
        _require_industry(session, changes["industry_id"])
    for field, value in changes.items():
        setattr(company, field, value)
    session.commit()
    cache.invalidate(cache_keys.company(cache, company_id))
    return _out(company)


def delete_company(session: Session, cache: Cache, company_id: uuid.UUID) -> None:
    """Soft delete: the row stays for audit and history, hidden from every read."""
    company = repository.get_active(session, company_id)
    if company is None:
        raise NotFound("company", company_id)
    company.is_deleted = True
    session.commit()
    cache.invalidate(cache_keys.company(cache, company_id))
