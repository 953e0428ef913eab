from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UpdatedAt, UUIDPrimaryKey


class Assessment(UUIDPrimaryKey, CreatedAt, UpdatedAt, Base):
    """One assessment of a company; its status moves through the review life cycle."""

    __tablename__ = "assessments"
    __table_args__ = (
        # The warehouse export reads changes in this order.
        Index(None, "updated_at", "id"),
        CheckConstraint(
            "assessment_type IN ('screening', 'due_diligence', 'quarterly', 'exit_prep')",
            name="assessment_type_known",
        ),
        CheckConstraint(
            "status IN ('draft', 'in_progress', 'submitted', 'approved', 'superseded')",
            name="status_known",
        ),
        CheckConstraint("v_r_score >= 0 AND v_r_score <= 100", name="v_r_score_range"),
        CheckConstraint(
            "confidence_lower IS NULL OR confidence_upper IS NULL "
            "OR confidence_lower <= confidence_upper",
            name="confidence_ordered",
        ),
        CheckConstraint(
            "talent_concentration >= 0 AND talent_concentration <= 1",
            name="talent_concentration_range",
        ),
        CheckConstraint(
            "market_cap_percentile >= 0 AND market_cap_percentile <= 1",
            name="market_cap_percentile_range",
        ),
        CheckConstraint("alignment >= 0 AND alignment <= 1", name="alignment_range"),
        CheckConstraint("timing_factor > 0", name="timing_factor_positive"),
    )

    company_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("companies.id"), index=True, doc="companies.id"
    )
    assessment_type: Mapped[str] = mapped_column(
        String(20), doc="screening | due_diligence | quarterly | exit_prep"
    )
    assessment_date: Mapped[date] = mapped_column(doc="Date of the assessment (UTC)")
    status: Mapped[str] = mapped_column(
        String(20),
        default="draft",
        doc="draft | in_progress | submitted | approved | superseded",
    )
    primary_assessor: Mapped[str | None] = mapped_column(String(255), doc="Lead assessor")
    secondary_assessor: Mapped[str | None] = mapped_column(String(255), doc="Second assessor")
    v_r_score: Mapped[float | None] = mapped_column(
        Float, doc="V^R entered by the assessor, 0..100"
    )
    confidence_lower: Mapped[float | None] = mapped_column(
        Float, doc="Lower bound of the assessor's confidence interval, 0..100"
    )
    confidence_upper: Mapped[float | None] = mapped_column(
        Float, doc="Upper bound of the assessor's confidence interval, 0..100"
    )
    # Scoring inputs other than the dimension scores. They live on the assessment, not the
    # company, because they are facts at assessment time and a score must be reproducible
    # from the assessment it was computed from.
    talent_concentration: Mapped[float | None] = mapped_column(
        Float, doc="Talent concentration TC, 0..1 (scoring input)"
    )
    market_cap_percentile: Mapped[float | None] = mapped_column(
        Float, doc="Market-cap percentile in the sector, 0..1 (scoring input)"
    )
    alignment: Mapped[float | None] = mapped_column(
        Float, doc="V^R/H^R alignment, 0..1 (scoring input; empty = derived)"
    )
    timing_factor: Mapped[float | None] = mapped_column(
        Float, doc="Timing factor, clamped to 0.8..1.2 (scoring input; empty = profile)"
    )
