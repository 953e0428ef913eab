"""The LLM call ledger: one row per attempt at a provider (orgair_llm.ledger_table).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.helpers import checks, create_index, drop_index
from orgair_database import UTCDateTime, UUIDString

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTCOMES = (
    "'ok', 'invalid_output', 'rate_limited', 'server_error', 'timeout', "
    "'connection_error', 'bad_response', 'rejected', 'budget_exhausted', 'budget_unavailable'"
)


def upgrade() -> None:
    op.create_table(
        "llm_calls",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("call_id", UUIDString(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(16), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(24), nullable=False),
        sa.Column("fallback_used", sa.Boolean(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_micros", sa.BigInteger(), nullable=False),
        sa.Column("reserved_micros", sa.BigInteger(), nullable=False),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("correlation_id", sa.String(128), nullable=True),
        sa.Column("error", sa.String(200), nullable=True),
        sa.Column("provider_request_id", sa.String(128), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_llm_calls"),
        *checks(
            ("ck_llm_calls_outcome_known", f"outcome IN ({OUTCOMES})"),
            ("ck_llm_calls_amounts_non_negative",
             "input_tokens >= 0 AND output_tokens >= 0 AND cost_micros >= 0 "
             "AND reserved_micros >= 0 AND latency_ms >= 0 AND attempt >= 1"),
        ),
    )  # fmt: skip
    create_index("ix_llm_calls_created_at", "llm_calls", ["created_at"])
    create_index("ix_llm_calls_call_id", "llm_calls", ["call_id"])


def downgrade() -> None:
    drop_index("ix_llm_calls_call_id", "llm_calls")
    drop_index("ix_llm_calls_created_at", "llm_calls")
    op.drop_table("llm_calls")
