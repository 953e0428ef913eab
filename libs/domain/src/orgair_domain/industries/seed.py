"""The eight CS1 reference industries; ids, names and `h_r_base` are part of the contract."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from orgair_domain.industries.models import Industry


@dataclass(frozen=True)
class SeedIndustry:
    id: uuid.UUID
    name: str
    sector: str
    h_r_base: float


SEED_INDUSTRIES: tuple[SeedIndustry, ...] = tuple(
    SeedIndustry(uuid.UUID(f"550e8400-e29b-41d4-a716-44665544000{n}"), name, sector, h_r_base)
    for n, name, sector, h_r_base in (
        (1, "Manufacturing", "manufacturing", 72.0),
        (2, "Healthcare Services", "healthcare", 78.0),
        (3, "Business Services", "business_services", 75.0),
        (4, "Retail", "retail", 70.0),
        (5, "Financial Services", "financial_services", 80.0),
        (6, "Technology", "technology", 85.0),
        (7, "Energy", "energy", 68.0),
        (8, "Real Estate", "real_estate", 65.0),
    )
)


def seed_industries(session: Session) -> int:
    """Insert the missing reference industries; returns how many were added.

    Idempotent, and it never overwrites a row an operator has edited.
    """
    added = 0
    for item in SEED_INDUSTRIES:
        if session.get(Industry, item.id) is None:
            session.add(
                Industry(id=item.id, name=item.name, sector=item.sector, h_r_base=item.h_r_base)
            )
            added += 1
    session.commit()
    return added
