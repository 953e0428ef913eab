"""Value-creation plans, their review decisions, and profile rows keyed by both fingerprints.

A parameter-profile row was unique on (version, parameters_hash); two custom profiles
that differ only in their value-creation constants share that pair, so the key now
includes `value_creation_hash`. Existing rows get theirs computed from the parameters
they store; no score's recorded `parameters_hash` changes.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.helpers import checks, create_index, drop_index
from orgair_database import NAMING_CONVENTION, UTCDateTime, UUIDString
from orgair_scoring import ScoringParameters

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVIEW_STATUSES = "'auto_approved', 'pending_review', 'approved', 'rejected'"
OLD_KEY = "uq_parameter_profiles_version_parameters_hash"
NEW_KEY = "uq_parameter_profiles_version_hashes"


def _backfill_value_creation_hashes() -> None:
    profiles = sa.table(
        "parameter_profiles",
        sa.column("id", UUIDString()),
        sa.column("parameters", sa.Text()),
        sa.column("value_creation_hash", sa.String(64)),
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(profiles.c.id, profiles.c.parameters)).all()
    for profile_id, parameters in rows:
        digest = ScoringParameters.model_validate_json(parameters).value_creation_hash
        connection.execute(
            profiles.update().where(profiles.c.id == profile_id).values(value_creation_hash=digest)
        )


def upgrade() -> None:
    with op.batch_alter_table("parameter_profiles", naming_convention=NAMING_CONVENTION) as batch:
        batch.add_column(sa.Column("value_creation_hash", sa.String(64), nullable=True))
    if not op.get_context().as_sql:
        _backfill_value_creation_hashes()
    with op.batch_alter_table("parameter_profiles", naming_convention=NAMING_CONVENTION) as batch:
        batch.alter_column("value_creation_hash", existing_type=sa.String(64), nullable=False)
        batch.drop_constraint(OLD_KEY, type_="unique")
        batch.create_unique_constraint(
            NEW_KEY, ["version", "parameters_hash", "value_creation_hash"]
        )

    op.create_table(
        "value_creation_plans",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("company_id", UUIDString(), nullable=False),
        sa.Column("score_id", UUIDString(), nullable=False),
        sa.Column("profile_id", UUIDString(), nullable=False),
        sa.Column("parameters_version", sa.String(64), nullable=False),
        sa.Column("parameters_hash", sa.String(64), nullable=False),
        sa.Column("value_creation_hash", sa.String(64), nullable=False),
        sa.Column("target_org_air", sa.Float(), nullable=False),
        sa.Column("entry_org_air", sa.Float(), nullable=False),
        sa.Column("h_r", sa.Float(), nullable=False),
        sa.Column("projected_org_air", sa.Float(), nullable=False),
        sa.Column("reachable", sa.Boolean(), nullable=False),
        sa.Column("investment_usd", sa.Float(), nullable=False),
        sa.Column("ebitda_base", sa.Float(), nullable=False),
        sa.Column("ebitda_risk_adjusted", sa.Float(), nullable=False),
        sa.Column("inputs", sa.Text(), nullable=False),
        sa.Column("plan", sa.Text(), nullable=False),
        sa.Column("projection", sa.Text(), nullable=False),
        sa.Column("review_status", sa.String(20), nullable=False),
        sa.Column("review_reasons", sa.Text(), nullable=False),
        sa.Column("approved_at", UTCDateTime(), nullable=True),
        sa.Column("created_by", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_value_creation_plans"),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"],
            name="fk_value_creation_plans_company_id_companies",
        ),
        sa.ForeignKeyConstraint(
            ["score_id"], ["org_air_scores.id"],
            name="fk_value_creation_plans_score_id_org_air_scores",
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"], ["parameter_profiles.id"],
            name="fk_value_creation_plans_profile_id_parameter_profiles",
        ),
        *checks(
            ("ck_value_creation_plans_review_status_known",
             f"review_status IN ({REVIEW_STATUSES})"),
        ),
    )  # fmt: skip
    create_index(
        "ix_value_creation_plans_company_id_created_at",
        "value_creation_plans",
        ["company_id", "created_at"],
    )
    create_index(
        "ix_value_creation_plans_company_id_approved_at",
        "value_creation_plans",
        ["company_id", "approved_at"],
    )
    create_index("ix_value_creation_plans_review_status", "value_creation_plans", ["review_status"])
    create_index(
        "ix_value_creation_plans_updated_at_id", "value_creation_plans", ["updated_at", "id"]
    )

    op.create_table(
        "value_creation_plan_decisions",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("plan_id", UUIDString(), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.String(64), nullable=False),
        sa.Column("reviewer_role", sa.String(16), nullable=False),
        sa.Column("decided_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_value_creation_plan_decisions"),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["value_creation_plans.id"],
            name="fk_value_creation_plan_decisions_plan_id_value_creation_plans",
        ),
        sa.UniqueConstraint("plan_id", name="uq_value_creation_plan_decisions_plan_id"),
        *checks(
            ("ck_value_creation_plan_decisions_decision_known",
             "decision IN ('approve', 'reject')"),
        ),
    )  # fmt: skip
    create_index(
        "ix_value_creation_plan_decisions_decided_at_id",
        "value_creation_plan_decisions",
        ["decided_at", "id"],
    )


def downgrade() -> None:
    drop_index("ix_value_creation_plan_decisions_decided_at_id", "value_creation_plan_decisions")
    op.drop_table("value_creation_plan_decisions")
    drop_index("ix_value_creation_plans_updated_at_id", "value_creation_plans")
    drop_index("ix_value_creation_plans_review_status", "value_creation_plans")
    drop_index("ix_value_creation_plans_company_id_approved_at", "value_creation_plans")
    drop_index("ix_value_creation_plans_company_id_created_at", "value_creation_plans")
    op.drop_table("value_creation_plans")
    with op.batch_alter_table("parameter_profiles", naming_convention=NAMING_CONVENTION) as batch:
        batch.drop_constraint(NEW_KEY, type_="unique")
        batch.create_unique_constraint(OLD_KEY, ["version", "parameters_hash"])
        batch.drop_column("value_creation_hash")
