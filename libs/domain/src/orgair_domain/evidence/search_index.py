"""The full-text index over evidence chunks: what each backend has, and its names.

No extra search server: each database's own full-text search indexes
`evidence_chunks.text`, created by the migration only on the backend that has it.

- SQLite: an FTS5 virtual table over the chunks (external content: it stores the
  index, not a second copy of the text), kept in step by triggers on
  `evidence_chunks`; ranked by bm25. The Porter stemmer over unicode61 tokens, so
  "pipelines" finds "pipeline".
- PostgreSQL: a generated, stored `tsvector` column with a GIN index, kept in step by
  the database itself; ranked by ts_rank. The `english` configuration (stemming and
  stop words).

These objects are not in the SQLAlchemy metadata (a virtual table and a generated
column of one backend only cannot be), so schema comparisons (Alembic's autogenerate,
the migration tests) must skip them: `include_name` and `include_object` do that.
"""

from __future__ import annotations

from typing import Any

FTS_TABLE = "evidence_chunks_fts"
SEARCH_VECTOR_COLUMN = "search_vector"
SEARCH_VECTOR_INDEX = "ix_evidence_chunks_search_vector"
TEXT_SEARCH_CONFIG = "english"
SQLITE_TOKENIZER = "porter unicode61 remove_diacritics 2"


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's `include_name`: False for the FTS5 table and its shadow tables."""
    if type_ == "table" and name is not None:
        return not (name == FTS_TABLE or name.startswith(FTS_TABLE + "_"))
    return True


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic's `include_object`: False for the PostgreSQL search column and its index."""
    if type_ == "column" and name == SEARCH_VECTOR_COLUMN:
        return False
    return not (type_ == "index" and name == SEARCH_VECTOR_INDEX)
