"""Jobs of more than one kind (fund scoring, justifications, IC memos); dimension
justifications with copies of the excerpts they cite; drafted IC memos.

`scoring_jobs` gains `kind` (existing rows are fund scoring jobs), the assessment or
company a job works on, and `result_id` (the memo a memo job wrote); its fund and
parameter columns become optional (only fund scoring jobs have them).

Justifications, their citations and memos are written once (append-only for the
warehouse export, by `created_at`), each with an index on (created_at, id), the order
the export reads it in.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.helpers import checks, create_index, drop_index, supports_checks_and_indexes
from orgair_database import NAMING_CONVENTION, UTCDateTime, UUIDString

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "kind IN ('fund_scoring', 'justifications', 'ic_memo')"
STATUSES = "status IN ('justified', 'no_evidence', 'citation_invalid', 'failed')"
FUND_COLUMNS = (
    ("fund_id", UUIDString()),
    ("profile_id", UUIDString()),
    ("parameters_version", sa.String(64)),
    ("parameters_hash", sa.String(64)),
)


def upgrade() -> None:
    # On SQLite the table is rebuilt from its reflection; the naming convention keeps the
    # reflected constraint names as they are.
    with op.batch_alter_table("scoring_jobs", naming_convention=NAMING_CONVENTION) as batch:
        batch.add_column(
            sa.Column("kind", sa.String(32), nullable=False, server_default="fund_scoring")
        )
        for name, type_ in FUND_COLUMNS:
            batch.alter_column(name, existing_type=type_, nullable=True)
        batch.add_column(sa.Column("assessment_id", UUIDString(), nullable=True))
        batch.add_column(sa.Column("company_id", UUIDString(), nullable=True))
        batch.add_column(sa.Column("result_id", UUIDString(), nullable=True))
        batch.create_foreign_key(
            "fk_scoring_jobs_assessment_id_assessments", "assessments", ["assessment_id"], ["id"]
        )
        batch.create_foreign_key(
            "fk_scoring_jobs_company_id_companies", "companies", ["company_id"], ["id"]
        )
        if supports_checks_and_indexes():
            batch.create_check_constraint(op.f("ck_scoring_jobs_kind_known"), KINDS)
    create_index("ix_scoring_jobs_assessment_id", "scoring_jobs", ["assessment_id"])
    create_index("ix_scoring_jobs_company_id", "scoring_jobs", ["company_id"])

    op.create_table(
        "justifications",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("job_id", UUIDString(), nullable=False),
        sa.Column("assessment_id", UUIDString(), nullable=False),
        sa.Column("company_id", UUIDString(), nullable=False),
        sa.Column("dimension", sa.String(30), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("failure_code", sa.String(32), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("evidence_considered", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(16), nullable=True),
        sa.Column("model", sa.String(100), nullable=True),
        sa.Column("llm_call_id", UUIDString(), nullable=True),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_justifications"),
        sa.ForeignKeyConstraint(
            ["job_id"], ["scoring_jobs.id"], name="fk_justifications_job_id_scoring_jobs"
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessments.id"],
            name="fk_justifications_assessment_id_assessments",
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name="fk_justifications_company_id_companies"
        ),
        sa.UniqueConstraint("job_id", "dimension", name="uq_justifications_job_id_dimension"),
        *checks(("ck_justifications_status_known", STATUSES)),
    )  # fmt: skip
    create_index(
        "ix_justifications_assessment_id_dimension_created_at",
        "justifications",
        ["assessment_id", "dimension", "created_at"],
    )
    create_index("ix_justifications_created_at_id", "justifications", ["created_at", "id"])

    op.create_table(
        "justification_citations",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("justification_id", UUIDString(), nullable=False),
        sa.Column("label", sa.String(8), nullable=False),
        sa.Column("evidence_id", UUIDString(), nullable=False),
        sa.Column("chunk", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("source", sa.String(255), nullable=True),
        sa.Column("url", sa.String(2048), nullable=True),
        sa.Column("evidence_date", sa.Date(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_justification_citations"),
        sa.ForeignKeyConstraint(
            ["justification_id"], ["justifications.id"],
            name="fk_justification_citations_justification_id_justifications",
        ),
        sa.UniqueConstraint(
            "justification_id", "label", name="uq_justification_citations_justification_id_label"
        ),
    )  # fmt: skip
    create_index(
        "ix_justification_citations_evidence_id", "justification_citations", ["evidence_id"]
    )
    create_index(
        "ix_justification_citations_created_at_id",
        "justification_citations",
        ["created_at", "id"],
    )

    op.create_table(
        "ic_memos",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("job_id", UUIDString(), nullable=False),
        sa.Column("company_id", UUIDString(), nullable=False),
        sa.Column("score_id", UUIDString(), nullable=True),
        sa.Column("object_key", sa.String(512), nullable=False),
        sa.Column("markdown_chars", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("llm_call_id", UUIDString(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ic_memos"),
        sa.ForeignKeyConstraint(["job_id"], ["scoring_jobs.id"],
                                name="fk_ic_memos_job_id_scoring_jobs"),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"],
                                name="fk_ic_memos_company_id_companies"),
        sa.ForeignKeyConstraint(["score_id"], ["org_air_scores.id"],
                                name="fk_ic_memos_score_id_org_air_scores"),
        sa.UniqueConstraint("job_id", name="uq_ic_memos_job_id"),
    )  # fmt: skip
    create_index("ix_ic_memos_company_id_created_at", "ic_memos", ["company_id", "created_at"])
    create_index("ix_ic_memos_created_at_id", "ic_memos", ["created_at", "id"])


def downgrade() -> None:
    drop_index("ix_ic_memos_created_at_id", "ic_memos")
    drop_index("ix_ic_memos_company_id_created_at", "ic_memos")
    op.drop_table("ic_memos")
    drop_index("ix_justification_citations_created_at_id", "justification_citations")
    drop_index("ix_justification_citations_evidence_id", "justification_citations")
    op.drop_table("justification_citations")
    drop_index("ix_justifications_created_at_id", "justifications")
    drop_index("ix_justifications_assessment_id_dimension_created_at", "justifications")
    op.drop_table("justifications")
    drop_index("ix_scoring_jobs_company_id", "scoring_jobs")
    drop_index("ix_scoring_jobs_assessment_id", "scoring_jobs")
    # Jobs of the new kinds cannot be fund scoring jobs: they go with their kind.
    op.execute("DELETE FROM scoring_jobs WHERE kind <> 'fund_scoring'")
    with op.batch_alter_table("scoring_jobs", naming_convention=NAMING_CONVENTION) as batch:
        if supports_checks_and_indexes():
            batch.drop_constraint(op.f("ck_scoring_jobs_kind_known"), type_="check")
        batch.drop_constraint("fk_scoring_jobs_company_id_companies", type_="foreignkey")
        batch.drop_constraint("fk_scoring_jobs_assessment_id_assessments", type_="foreignkey")
        batch.drop_column("result_id")
        batch.drop_column("company_id")
        batch.drop_column("assessment_id")
        for name, type_ in FUND_COLUMNS:
            batch.alter_column(name, existing_type=type_, nullable=False)
        batch.drop_column("kind")
