"""Funds and their memberships over time, fund scoring jobs and their failures;
scores remember the job that computed them (one per company and job).

On Snowflake the unique keys are informational (not enforced) and the partial unique
index of active memberships does not exist; there the worker's lock-then-check (see
orgair_worker.fund_jobs) keeps a redelivered chunk from writing twice.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.helpers import checks, create_index, drop_index
from orgair_database import NAMING_CONVENTION, UTCDateTime, UUIDString

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_MEMBERSHIP = "removed_at IS NULL"


def upgrade() -> None:
    # CHECK names are the models' short names: the naming convention adds the
    # `ck_<table>_` prefix, as it does for the models.
    op.create_table(
        "funds",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("is_deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_funds"),
    )

    op.create_table(
        "fund_memberships",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("fund_id", UUIDString(), nullable=False),
        sa.Column("company_id", UUIDString(), nullable=False),
        sa.Column("ev_usd", sa.Float(), nullable=True),
        sa.Column("added_at", UTCDateTime(), nullable=False),
        sa.Column("removed_at", UTCDateTime(), nullable=True),
        sa.Column("added_by", sa.String(64), nullable=True),
        sa.Column("removed_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_fund_memberships"),
        sa.ForeignKeyConstraint(
            ["fund_id"], ["funds.id"], name="fk_fund_memberships_fund_id_funds"
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name="fk_fund_memberships_company_id_companies"
        ),
        *checks(
            ("ck_fund_memberships_ev_usd_non_negative", "ev_usd IS NULL OR ev_usd >= 0"),
            ("ck_fund_memberships_removed_after_added",
             "removed_at IS NULL OR removed_at >= added_at"),
        ),
    )  # fmt: skip
    create_index(
        "ix_fund_memberships_fund_id_added_at", "fund_memberships", ["fund_id", "added_at"]
    )
    create_index("ix_fund_memberships_company_id", "fund_memberships", ["company_id"])
    create_index(
        "uq_fund_memberships_active_company",
        "fund_memberships",
        ["fund_id", "company_id"],
        unique=True,
        sqlite_where=sa.text(ACTIVE_MEMBERSHIP),
        postgresql_where=sa.text(ACTIVE_MEMBERSHIP),
    )

    op.create_table(
        "scoring_jobs",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("fund_id", UUIDString(), nullable=False),
        sa.Column("profile_id", UUIDString(), nullable=False),
        sa.Column("parameters_version", sa.String(64), nullable=False),
        sa.Column("parameters_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("scored", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("report_json_key", sa.String(512), nullable=True),
        sa.Column("report_csv_key", sa.String(512), nullable=True),
        sa.Column("idempotency_key", sa.String(255), nullable=True),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("cancelled_by", sa.String(64), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("enqueued_at", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("chunks_enqueued_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scoring_jobs"),
        sa.ForeignKeyConstraint(["fund_id"], ["funds.id"], name="fk_scoring_jobs_fund_id_funds"),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["parameter_profiles.id"],
            name="fk_scoring_jobs_profile_id_parameter_profiles",
        ),
        sa.UniqueConstraint(
            "created_by", "idempotency_key", name="uq_scoring_jobs_created_by_idempotency_key"
        ),
        *checks(
            ("ck_scoring_jobs_state_known",
             "state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')"),
            ("ck_scoring_jobs_counts_non_negative", "total >= 0 AND scored >= 0 AND failed >= 0"),
        ),
    )  # fmt: skip
    create_index("ix_scoring_jobs_fund_id_created_at", "scoring_jobs", ["fund_id", "created_at"])
    create_index("ix_scoring_jobs_state", "scoring_jobs", ["state"])

    op.create_table(
        "scoring_job_failures",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("job_id", UUIDString(), nullable=False),
        sa.Column("company_id", UUIDString(), nullable=False),
        sa.Column("assessment_id", UUIDString(), nullable=True),
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_scoring_job_failures"),
        sa.ForeignKeyConstraint(
            ["job_id"], ["scoring_jobs.id"], name="fk_scoring_job_failures_job_id_scoring_jobs"
        ),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"],
            name="fk_scoring_job_failures_company_id_companies",
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"], ["assessments.id"],
            name="fk_scoring_job_failures_assessment_id_assessments",
        ),
        sa.UniqueConstraint(
            "job_id", "company_id", name="uq_scoring_job_failures_job_id_company_id"
        ),
    )  # fmt: skip

    # On SQLite the table is rebuilt from its reflection; the naming convention marks the
    # reflected constraint names as final so that they are kept as they are.
    with op.batch_alter_table("org_air_scores", naming_convention=NAMING_CONVENTION) as batch:
        batch.add_column(sa.Column("job_id", UUIDString(), nullable=True))
        batch.create_foreign_key(
            "fk_org_air_scores_job_id_scoring_jobs", "scoring_jobs", ["job_id"], ["id"]
        )
        batch.create_unique_constraint(
            "uq_org_air_scores_job_id_company_id", ["job_id", "company_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("org_air_scores", naming_convention=NAMING_CONVENTION) as batch:
        batch.drop_constraint("uq_org_air_scores_job_id_company_id", type_="unique")
        batch.drop_constraint("fk_org_air_scores_job_id_scoring_jobs", type_="foreignkey")
        batch.drop_column("job_id")
    op.drop_table("scoring_job_failures")
    drop_index("ix_scoring_jobs_state", "scoring_jobs")
    drop_index("ix_scoring_jobs_fund_id_created_at", "scoring_jobs")
    op.drop_table("scoring_jobs")
    drop_index("uq_fund_memberships_active_company", "fund_memberships")
    drop_index("ix_fund_memberships_company_id", "fund_memberships")
    drop_index("ix_fund_memberships_fund_id_added_at", "fund_memberships")
    op.drop_table("fund_memberships")
    op.drop_table("funds")
