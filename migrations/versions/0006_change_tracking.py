"""`updated_at` on the tables whose rows change, so the warehouse export finds changes;
an index on (change column, id) on every table, the order the export reads them in.

Assessments change status, dimension scores are edited, scores are decided by reviewers,
fund memberships are closed, API keys are revoked: each UPDATE now sets `updated_at`
(ORM flushes and Core `update()` alike), and the export's high-water mark follows it.
Existing rows get the best time known for their last change.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.helpers import create_index, drop_index
from orgair_database import NAMING_CONVENTION, UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> SQL for the last known change of an existing row
LAST_KNOWN_CHANGE = {
    "assessments": "created_at",
    "dimension_scores": "created_at",
    "org_air_scores": "COALESCE(approved_at, created_at)",
    "fund_memberships": "COALESCE(removed_at, added_at)",
    "api_keys": "COALESCE(revoked_at, created_at)",
}

# table -> the column whose order the export follows (keyset pagination with id)
CHANGE_COLUMN = {
    "industries": "created_at",
    "companies": "updated_at",
    "assessments": "updated_at",
    "dimension_scores": "updated_at",
    "api_keys": "updated_at",
    "parameter_profiles": "created_at",
    "org_air_scores": "updated_at",
    "review_decisions": "decided_at",
    "funds": "updated_at",
    "fund_memberships": "updated_at",
    "scoring_jobs": "updated_at",
    "scoring_job_failures": "created_at",
}


def upgrade() -> None:
    for table, last_change in LAST_KNOWN_CHANGE.items():
        # On SQLite each batch rebuilds the table from its reflection; the naming
        # convention keeps the reflected constraint names as they are.
        with op.batch_alter_table(table, naming_convention=NAMING_CONVENTION) as batch:
            batch.add_column(sa.Column("updated_at", UTCDateTime(), nullable=True))
        op.execute(f"UPDATE {table} SET updated_at = {last_change}")  # noqa: S608 (constants)
        with op.batch_alter_table(table, naming_convention=NAMING_CONVENTION) as batch:
            batch.alter_column("updated_at", existing_type=UTCDateTime(), nullable=False)
    for table, column in CHANGE_COLUMN.items():
        create_index(f"ix_{table}_{column}_id", table, [column, "id"])


def downgrade() -> None:
    for table, column in CHANGE_COLUMN.items():
        drop_index(f"ix_{table}_{column}_id", table)
    for table in reversed(LAST_KNOWN_CHANGE):
        with op.batch_alter_table(table, naming_convention=NAMING_CONVENTION) as batch:
            batch.drop_column("updated_at")
