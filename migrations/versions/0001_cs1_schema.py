"""CS1 schema: industries, companies, assessments, dimension scores.

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.helpers import checks, create_index, drop_index
from orgair_database import UTCDateTime, UUIDString

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "industries",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("sector", sa.String(50), nullable=False),
        sa.Column("h_r_base", sa.Float(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_industries"),
        sa.UniqueConstraint("name", name="uq_industries_name"),
        *checks(("ck_industries_h_r_base_range", "h_r_base >= 0 AND h_r_base <= 100")),
    )
    op.create_table(
        "companies",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("ticker", sa.String(10), nullable=True),
        sa.Column("industry_id", UUIDString(), nullable=False),
        sa.Column("position_factor", sa.Float(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_companies"),
        sa.ForeignKeyConstraint(
            ["industry_id"], ["industries.id"], name="fk_companies_industry_id_industries"
        ),
        *checks(
            (
                "ck_companies_position_factor_range",
                "position_factor >= -1 AND position_factor <= 1",
            )
        ),
    )
    create_index("ix_companies_industry_id", "companies", ["industry_id"])
    op.create_table(
        "assessments",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("company_id", UUIDString(), nullable=False),
        sa.Column("assessment_type", sa.String(20), nullable=False),
        sa.Column("assessment_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("primary_assessor", sa.String(255), nullable=True),
        sa.Column("secondary_assessor", sa.String(255), nullable=True),
        sa.Column("v_r_score", sa.Float(), nullable=True),
        sa.Column("confidence_lower", sa.Float(), nullable=True),
        sa.Column("confidence_upper", sa.Float(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assessments"),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name="fk_assessments_company_id_companies"
        ),
        *checks(
            (
                "ck_assessments_assessment_type_known",
                "assessment_type IN ('screening', 'due_diligence', 'quarterly', 'exit_prep')",
            ),
            (
                "ck_assessments_status_known",
                "status IN ('draft', 'in_progress', 'submitted', 'approved', 'superseded')",
            ),
            ("ck_assessments_v_r_score_range", "v_r_score >= 0 AND v_r_score <= 100"),
            (
                "ck_assessments_confidence_ordered",
                "confidence_lower IS NULL OR confidence_upper IS NULL "
                "OR confidence_lower <= confidence_upper",
            ),
        ),
    )
    create_index("ix_assessments_company_id", "assessments", ["company_id"])
    op.create_table(
        "dimension_scores",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("assessment_id", UUIDString(), nullable=False),
        sa.Column("dimension", sa.String(30), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("weight", sa.Float(), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("evidence_count", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dimension_scores"),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name="fk_dimension_scores_assessment_id_assessments",
        ),
        sa.UniqueConstraint(
            "assessment_id", "dimension", name="uq_dimension_scores_assessment_id_dimension"
        ),
        *checks(
            ("ck_dimension_scores_score_range", "score >= 0 AND score <= 100"),
            ("ck_dimension_scores_weight_range", "weight >= 0 AND weight <= 1"),
            ("ck_dimension_scores_confidence_range", "confidence >= 0 AND confidence <= 1"),
            ("ck_dimension_scores_evidence_count_non_negative", "evidence_count >= 0"),
        ),
    )
    create_index("ix_dimension_scores_assessment_id", "dimension_scores", ["assessment_id"])


def downgrade() -> None:
    drop_index("ix_dimension_scores_assessment_id", "dimension_scores")
    op.drop_table("dimension_scores")
    drop_index("ix_assessments_company_id", "assessments")
    op.drop_table("assessments")
    drop_index("ix_companies_industry_id", "companies")
    op.drop_table("companies")
    op.drop_table("industries")
