"""Seeding many scorable companies at once, straight into the database.

Thousands of companies through the API would take most of a test's time; these
rows are exactly what the API would write (a company, a submitted assessment with
its scoring inputs, seven dimension scores), inserted in bulk.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from orgair_domain.assessments.models import Assessment
from orgair_domain.companies.models import Company
from orgair_domain.dimension_scores.models import DimensionScore
from orgair_scoring import DIMENSIONS

# The CS1 seed industries (DESIGN.md §5), by sector.
INDUSTRY_BY_SECTOR = {
    "manufacturing": uuid.UUID("550e8400-e29b-41d4-a716-446655440001"),
    "healthcare": uuid.UUID("550e8400-e29b-41d4-a716-446655440002"),
    "business_services": uuid.UUID("550e8400-e29b-41d4-a716-446655440003"),
    "retail": uuid.UUID("550e8400-e29b-41d4-a716-446655440004"),
    "financial_services": uuid.UUID("550e8400-e29b-41d4-a716-446655440005"),
    "technology": uuid.UUID("550e8400-e29b-41d4-a716-446655440006"),
    "energy": uuid.UUID("550e8400-e29b-41d4-a716-446655440007"),
    "real_estate": uuid.UUID("550e8400-e29b-41d4-a716-446655440008"),
}


@dataclass(frozen=True)
class SeededCompany:
    company_id: uuid.UUID
    assessment_id: uuid.UUID
    sector: str
    name: str


def seed_scorable_companies(
    engine: Engine,
    count: int,
    *,
    seed: int = 2026,
    name_prefix: str = "Portfolio Co",
    missing_dimension_for: frozenset[int] = frozenset(),
) -> list[SeededCompany]:
    """`count` companies, each with a submitted assessment ready to score.

    Companies whose index is in `missing_dimension_for` lack their culture_change
    score (an incomplete assessment).
    """
    rng = random.Random(seed)
    now = datetime.now(UTC)
    sectors = list(INDUSTRY_BY_SECTOR)
    companies, assessments, dimension_rows, seeded = [], [], [], []
    for index in range(count):
        company_id, assessment_id = uuid.uuid4(), uuid.uuid4()
        sector = sectors[index % len(sectors)]
        name = f"{name_prefix} {index:05d}"
        companies.append(
            {"id": company_id, "name": name, "ticker": None,
             "industry_id": INDUSTRY_BY_SECTOR[sector], "position_factor": 0.0,
             "is_deleted": False, "created_at": now, "updated_at": now}
        )  # fmt: skip
        assessments.append(
            {"id": assessment_id, "company_id": company_id, "assessment_type": "quarterly",
             "assessment_date": date(2026, 9, 30), "status": "submitted",
             "primary_assessor": "Seeded Analyst", "secondary_assessor": None,
             "v_r_score": None, "confidence_lower": None, "confidence_upper": None,
             "talent_concentration": round(rng.uniform(0.05, 0.6), 3),
             "market_cap_percentile": round(rng.uniform(0, 1), 3),
             "alignment": None, "timing_factor": None, "created_at": now}
        )  # fmt: skip
        # Centred on 60 so that most companies fall inside the normal range [40, 85].
        level = rng.uniform(35, 90)
        for dimension in DIMENSIONS:
            if index in missing_dimension_for and dimension == "culture_change":
                continue
            dimension_rows.append(
                {"id": uuid.uuid4(), "assessment_id": assessment_id, "dimension": dimension,
                 "score": round(min(100.0, max(0.0, rng.gauss(level, 8))), 1), "weight": 1 / 7,
                 "confidence": 0.8, "evidence_count": rng.randint(1, 6), "created_at": now}
            )  # fmt: skip
        seeded.append(SeededCompany(company_id, assessment_id, sector, name))
    with engine.begin() as connection:
        connection.execute(insert(Company), companies)
        connection.execute(insert(Assessment), assessments)
        connection.execute(insert(DimensionScore), dimension_rows)
    return seeded
