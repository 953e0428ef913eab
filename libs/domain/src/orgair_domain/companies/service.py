"""Companies (CS1): create, read, list, change and soft-delete."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from orgair_cache import Cache
from orgair_database import utcnow
from orgair_domain import cache_keys
from orgair_domain.companies import repository
from orgair_domain.companies.models import Company
from orgair_domain.companies.schemas import CompanyCreate, CompanyOut, CompanyUpdate
from orgair_domain.errors import InvalidInput, NotFound
from orgair_domain.industries import repository as industries
from orgair_domain.pagination import Page, PageRequest, paginate


def _out(company: Company) -> CompanyOut:
    return CompanyOut.model_validate(company)


def _require_industry(session: Session, industry_id: uuid.UUID) -> None:
    if not industries.exists(session, industry_id):
        raise InvalidInput(
            f"industry_id '{industry_id}' does not exist",
            errors=[{"pointer": "/body/industry_id", "detail": "unknown industry"}],
        )


def _require_company(session: Session, company_id: uuid.UUID) -> Company:
    company = repository.get_active(session, company_id)
    if company is None:
        raise NotFound("company", company_id)
    return company


def create_company(session: Session, data: CompanyCreate) -> CompanyOut:
    _require_industry(session, data.industry_id)
    now = utcnow()
    company = Company(**data.model_dump(), created_at=now, updated_at=now)
    session.add(company)
    session.commit()
    return _out(company)


def get_company(session: Session, company_id: uuid.UUID) -> CompanyOut:
    """The company; NotFound when it does not exist or was deleted."""
    return _out(_require_company(session, company_id))


def list_companies(
    session: Session,
    *,
    industry_id: uuid.UUID | None,
    page: PageRequest,
    search: str | None = None,
) -> Page[CompanyOut]:
    rows = paginate(session, repository.active_query(industry_id, search), page)
    return rows.map(lambda companies: [_out(company) for company in companies])


def update_company(
    session: Session, cache: Cache, company_id: uuid.UUID, data: CompanyUpdate
) -> CompanyOut:
    company = _require_company(session, company_id)
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
    company = _require_company(session, company_id)
    company.is_deleted = True
    session.commit()
    cache.invalidate(cache_keys.company(cache, company_id))
