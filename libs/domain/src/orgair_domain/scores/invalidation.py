"""What new scores make stale in the cache: the companies' score views and the
assessments whose status changed on approval."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from orgair_cache import Cache
from orgair_domain import cache_keys


def invalidate_after_scoring(
    cache: Cache, company_id: uuid.UUID, assessments: set[uuid.UUID]
) -> None:
    invalidate_after_scoring_many(cache, [company_id], assessments)


def invalidate_after_scoring_many(
    cache: Cache, company_ids: Iterable[uuid.UUID], assessments: Iterable[uuid.UUID]
) -> None:
    """Drop what new scores change, in one round trip for any number of companies."""
    cache.invalidate(
        *(cache_keys.company_scores(cache, company_id) for company_id in company_ids),
        *(cache_keys.assessment(cache, assessment_id) for assessment_id in assessments),
    )
