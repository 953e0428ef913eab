"""Evidence attached to companies: the items, the dimensions they support, their text
in chunks, and each backend's own full-text index over the chunks.

The index is created here only, per backend (see orgair_domain.evidence.search_index):
- SQLite: the FTS5 virtual table `evidence_chunks_fts` with external content (the
  chunk rows) and three triggers that keep it in step with `evidence_chunks`. A later
  batch migration of `evidence_chunks` rebuilds the table, which drops its triggers:
  such a migration must create them again.
- PostgreSQL: the generated column `evidence_chunks.search_vector` (tsvector, stored)
  and its GIN index.
- Snowflake: neither (no full-text index); the tables alone, for the export.

Deleting an item sets `deleted_at` (and `updated_at`, the warehouse export's change
column); dimensions are written once (append-only, by `created_at`). Each exported
table has an index on (change column, id), the order the export reads it in.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations.helpers import checks, create_index, drop_index
from orgair_database import UTCDateTime, UUIDString

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIMENSIONS = (
    "data_infrastructure", "ai_governance", "technology_stack", "talent_skills",
    "leadership_vision", "use_case_portfolio", "culture_change",
)  # fmt: skip

SQLITE_INDEX = (
    "CREATE VIRTUAL TABLE evidence_chunks_fts USING fts5("
    "text, content='evidence_chunks', content_rowid='id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER evidence_chunks_fts_insert AFTER INSERT ON evidence_chunks BEGIN "
    "INSERT INTO evidence_chunks_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER evidence_chunks_fts_delete AFTER DELETE ON evidence_chunks BEGIN "
    "INSERT INTO evidence_chunks_fts(evidence_chunks_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER evidence_chunks_fts_update AFTER UPDATE ON evidence_chunks BEGIN "
    "INSERT INTO evidence_chunks_fts(evidence_chunks_fts, rowid, text) "
    "VALUES ('delete', old.id, old.text); "
    "INSERT INTO evidence_chunks_fts(rowid, text) VALUES (new.id, new.text); END",
)
POSTGRES_INDEX = (
    "ALTER TABLE evidence_chunks ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('english'::regconfig, text)) STORED",
    "CREATE INDEX ix_evidence_chunks_search_vector ON evidence_chunks USING gin (search_vector)",
)


def _one_of(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"


def upgrade() -> None:
    op.create_table(
        "evidence",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("company_id", UUIDString(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(255), nullable=False),
        sa.Column("source", sa.String(255), nullable=True),
        sa.Column("url", sa.String(2048), nullable=True),
        sa.Column("evidence_date", sa.Date(), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("filename", sa.String(255), nullable=True),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("object_key", sa.String(512), nullable=True),
        sa.Column("text_chars", sa.Integer(), nullable=False),
        sa.Column("chunk_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("deleted_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evidence"),
        sa.ForeignKeyConstraint(
            ["company_id"], ["companies.id"], name="fk_evidence_company_id_companies"
        ),
        *checks(
            ("ck_evidence_kind_known", _one_of("kind", ("note", "url", "document"))),
            ("ck_evidence_sizes_non_negative",
             "size_bytes >= 0 AND text_chars >= 0 AND chunk_count >= 0"),
        ),
    )  # fmt: skip
    create_index("ix_evidence_updated_at_id", "evidence", ["updated_at", "id"])
    create_index(
        "ix_evidence_company_id_evidence_date", "evidence", ["company_id", "evidence_date"]
    )

    op.create_table(
        "evidence_dimensions",
        sa.Column("id", UUIDString(), nullable=False),
        sa.Column("evidence_id", UUIDString(), nullable=False),
        sa.Column("dimension", sa.String(30), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_dimensions"),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence.id"], name="fk_evidence_dimensions_evidence_id_evidence"
        ),
        sa.UniqueConstraint(
            "evidence_id", "dimension", name="uq_evidence_dimensions_evidence_id_dimension"
        ),
        *checks(("ck_evidence_dimensions_dimension_known", _one_of("dimension", DIMENSIONS))),
    )
    create_index(
        "ix_evidence_dimensions_created_at_id", "evidence_dimensions", ["created_at", "id"]
    )

    op.create_table(
        "evidence_chunks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("evidence_id", UUIDString(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_chunks"),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence.id"], name="fk_evidence_chunks_evidence_id_evidence"
        ),
        sa.UniqueConstraint("evidence_id", "seq", name="uq_evidence_chunks_evidence_id_seq"),
    )

    backend = op.get_context().dialect.name
    for statement in {"sqlite": SQLITE_INDEX, "postgresql": POSTGRES_INDEX}.get(backend, ()):
        op.execute(statement)


def downgrade() -> None:
    backend = op.get_context().dialect.name
    if backend == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER evidence_chunks_fts_{trigger}")
        op.execute("DROP TABLE evidence_chunks_fts")
    elif backend == "postgresql":
        op.execute("DROP INDEX ix_evidence_chunks_search_vector")
    op.drop_table("evidence_chunks")
    drop_index("ix_evidence_dimensions_created_at_id", "evidence_dimensions")
    op.drop_table("evidence_dimensions")
    drop_index("ix_evidence_company_id_evidence_date", "evidence")
    drop_index("ix_evidence_updated_at_id", "evidence")
    op.drop_table("evidence")
