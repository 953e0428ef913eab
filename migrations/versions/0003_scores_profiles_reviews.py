"""Org-AI-R scores, parameter profiles, review decisions; scoring inputs on assessments.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.helpers import checks, create_index, drop_index, supports_checks_and_indexes
from orgair_database import UTCDateTime, UUIDString

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ASSESSMENT_INPUT_CHECKS = (
    ("ck_assessments_talent_concentration_range",
     "talent_concentration >= 0 AND talent_concentration <= 1"),
    ("ck_assessments_market_cap_percentile_range",
     "market_cap_percentile >= 0 AND market_cap_percentile <= 1"),
    ("ck_assessments_alignment_range", "alignment >= 0 AND alignment <= 1"),
    ("ck_assessments_timing_factor_positive", "timing_factor > 0"),
)  # fmt: skip


def upgrade() -> None:
    with op.batch_alter_table("assessments") as batch:
        for column in (
            "talent_concentration",
            "market_cap_percentile",
            "alignment",
            "timing_factor",
        ):
            batch.add_column(sa.Column(column, sa.Float(), nullable=True))
        if supports_checks_and_indexes():
            for name, condition in ASSESSMENT_INPUT_CHECKS:
                batch.create_check_constraint(op.f(name), condition)

    op.create_table(
        "parameter_profiles",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("version", sa.String(64), nullable=False),
        sa.Column("parameters_hash", sa.String(64), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_parameter_profiles"),
        sa.UniqueConstraint(
            "version", "parameters_hash", name="uq_parameter_profiles_version_parameters_hash"
        ),
    )
    create_index("ix_parameter_profiles_version", "parameter_profiles", ["version"])

    op.create_table(
        "org_air_scores",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("assessment_id", UUIDString(), nullable=False),
        sa.Column("company_id", UUIDString(), nullable=False),
        sa.Column("profile_id", UUIDString(), nullable=False),
        sa.Column("parameters_version", sa.String(64), nullable=False),
        sa.Column("parameters_hash", sa.String(64), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("vr", sa.Float(), nullable=False),
        sa.Column("hr", sa.Float(), nullable=False),
        sa.Column("synergy", sa.Float(), nullable=False),
        sa.Column("org_air", sa.Float(), nullable=False),
        sa.Column("org_air_ci_lower", sa.Float(), nullable=False),
        sa.Column("org_air_ci_upper", sa.Float(), nullable=False),
        sa.Column("review_status", sa.String(20), nullable=False),
        sa.Column("review_reasons", sa.Text(), nullable=False),
        sa.Column("compared_with_score_id", UUIDString(), nullable=True),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_org_air_scores"),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name="fk_org_air_scores_assessment_id_assessments",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name="fk_org_air_scores_company_id_companies"
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["parameter_profiles.id"],
            name="fk_org_air_scores_profile_id_parameter_profiles",
        ),
        sa.ForeignKeyConstraint(
            ["compared_with_score_id"], ["org_air_scores.id"],
            name="fk_org_air_scores_compared_with_score_id_org_air_scores",
        ),
        *checks(
            ("ck_org_air_scores_review_status_known",
             "review_status IN ('auto_approved', 'pending_review', 'approved', 'rejected')"),
        ),
    )  # fmt: skip
    create_index("ix_org_air_scores_assessment_id", "org_air_scores", ["assessment_id"])
    create_index("ix_org_air_scores_review_status", "org_air_scores", ["review_status"])
    create_index(
        "ix_org_air_scores_company_id_approved_at", "org_air_scores", ["company_id", "approved_at"]
    )

    op.create_table(
        "review_decisions",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("score_id", UUIDString(), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("reviewer_role", sa.String(16), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_review_decisions"),
        sa.ForeignKeyConstraint(
            ["score_id"], ["org_air_scores.id"], name="fk_review_decisions_score_id_org_air_scores"
        ),
        sa.UniqueConstraint("score_id", name="uq_review_decisions_score_id"),
        *checks(
            ("ck_review_decisions_decision_known", "decision IN ('approve', 'reject')"),
        ),
    )


def downgrade() -> None:
    op.drop_table("review_decisions")
    drop_index("ix_org_air_scores_company_id_approved_at", "org_air_scores")
    drop_index("ix_org_air_scores_review_status", "org_air_scores")
    drop_index("ix_org_air_scores_assessment_id", "org_air_scores")
    op.drop_table("org_air_scores")
    drop_index("ix_parameter_profiles_version", "parameter_profiles")
    op.drop_table("parameter_profiles")
    with op.batch_alter_table("assessments") as batch:
        if supports_checks_and_indexes():
            for name, _ in ASSESSMENT_INPUT_CHECKS:
                batch.drop_constraint(op.f(name), type_="check")
        for column in (
            "timing_factor",
            "alignment",
            "market_cap_percentile",
            "talent_concentration",
        ):
            batch.drop_column(column)
