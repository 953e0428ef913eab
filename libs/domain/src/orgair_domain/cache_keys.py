"""Cache keys and TTLs of the scoring API.

In one place so that writes invalidate exactly what reads fill.
"""

from __future__ import annotations

import hashlib
import uuid

from orgair_cache import Cache

COMPANY_TTL = 300
ASSESSMENT_TTL = 120
INDUSTRY_TTL = 3600
WEIGHTS_TTL = 86400
# A summary's key names its inputs, so the TTL only bounds how long a superseded one
# (a few MB for a 10,000-company fund) occupies Redis.
FUND_SUMMARY_TTL = 600


def company(cache: Cache, company_id: uuid.UUID) -> str:
    return cache.key("company", company_id)


def assessment(cache: Cache, assessment_id: uuid.UUID) -> str:
    return cache.key("assessment", assessment_id)


def assessment_scores(cache: Cache, assessment_id: uuid.UUID) -> str:
    return cache.key("assessment", assessment_id, "dimension_scores")


def industry(cache: Cache, industry_id: uuid.UUID) -> str:
    return cache.key("industry", industry_id)


def industry_list(cache: Cache) -> str:
    return cache.key("industries")


def weights(cache: Cache, version: str, values: dict[str, float]) -> str:
    # The values are part of the key: a deploy that changes W_* must not read old weights.
    fingerprint = hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()[:16]
    return cache.key("weights", version, fingerprint)


def company_scores(cache: Cache, company_id: uuid.UUID) -> str:
    return cache.key("company", company_id, "scores")


def fund_summary(cache: Cache, fund_id: uuid.UUID, fingerprint: str) -> str:
    # The fingerprint of the summary's inputs is part of the key: any write that changes
    # them makes the next read miss (orgair_domain.funds.summary_inputs).
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    return cache.key("fund", fund_id, "summary", digest)
