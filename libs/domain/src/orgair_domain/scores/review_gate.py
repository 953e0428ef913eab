"""The human-review rule of DESIGN.md §5, as a pure function.

A new Org-AI-R waits for a reviewer when it moves more than the threshold away from
the company's current approved score, or falls outside the normal range [40, 85].
Otherwise it is approved automatically. The synchronous API and the worker's batch
path both call this, so a score is gated the same way wherever it is computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

NORMAL_RANGE = (40.0, 85.0)


class ReviewStatus(StrEnum):
    AUTO_APPROVED = "auto_approved"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"


APPROVED_STATUSES = frozenset({ReviewStatus.AUTO_APPROVED, ReviewStatus.APPROVED})


@dataclass(frozen=True)
class GateDecision:
    status: ReviewStatus
    reasons: tuple[str, ...]


def review_gate(
    org_air: float, previous_approved: float | None, *, change_threshold: float
) -> GateDecision:
    reasons = []
    low, high = NORMAL_RANGE
    if org_air < low:
        reasons.append(f"Org-AI-R {org_air:.2f} is below the normal range [{low:g}, {high:g}]")
    elif org_air > high:
        reasons.append(f"Org-AI-R {org_air:.2f} is above the normal range [{low:g}, {high:g}]")
    if previous_approved is not None:
        change = org_air - previous_approved
        if abs(change) > change_threshold:
            reasons.append(
                f"Org-AI-R changed by {change:+.2f} points from the approved "
                f"{previous_approved:.2f} (threshold {change_threshold:g})"
            )
    if reasons:
        return GateDecision(ReviewStatus.PENDING_REVIEW, tuple(reasons))
    return GateDecision(ReviewStatus.AUTO_APPROVED, ())
