"""API keys: the gateway's key store (HMAC digests only, never the keys).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.helpers import checks
from orgair_database import UTCDateTime, UUIDString

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_keys",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("key_digest", sa.String(64), nullable=False),
        sa.Column("hint", sa.String(8), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_api_keys"),
        # Every authentication looks a key up by its digest: the unique constraint
        # is also the index that lookup uses (informational only on Snowflake).
        sa.UniqueConstraint("key_digest", name="uq_api_keys_key_digest"),
        *checks(
            ("ck_api_keys_role_known", "role IN ('viewer', 'analyst', 'reviewer', 'admin')"),
        ),
    )


def downgrade() -> None:
    op.drop_table("api_keys")
