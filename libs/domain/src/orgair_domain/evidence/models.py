"""The evidence tables: the item, the dimensions it supports, its text in chunks.

The search index over the chunks is not a table of this metadata: it is what the
database offers for full-text search (an FTS5 virtual table on SQLite, a generated
tsvector column with a GIN index on PostgreSQL), created by the migration only where
the backend has it (`orgair_domain.evidence.search_index`).
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UUIDPrimaryKey
from orgair_scoring import DIMENSIONS


class EvidenceKind(StrEnum):
    NOTE = "note"
    URL = "url"
    DOCUMENT = "document"


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class Evidence(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint(_one_of("kind", tuple(EvidenceKind)), name="kind_known"),
        CheckConstraint("size_bytes >= 0 AND text_chars >= 0 AND chunk_count >= 0",
                        name="sizes_non_negative"),
        Index(None, "company_id", "evidence_date"),
    )  # fmt: skip

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id"))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(255))
    source: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(2048))
    evidence_date: Mapped[date]
    # What the text was extracted from: application/pdf, text/html or text/plain.
    media_type: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str | None] = mapped_column(String(255))
    # The original's size and SHA-256 (the UTF-8 text for notes and excerpts).
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # S3 key of the uploaded original; notes and excerpts have none.
    object_key: Mapped[str | None] = mapped_column(String(512))
    text_chars: Mapped[int] = mapped_column(Integer)
    chunk_count: Mapped[int] = mapped_column(Integer)
    created_by: Mapped[str] = mapped_column(String(64))


class EvidenceDimension(Base):
    """One dimension an evidence item supports (an item supports one or more)."""

    __tablename__ = "evidence_dimensions"
    __table_args__ = (CheckConstraint(_one_of("dimension", DIMENSIONS), name="dimension_known"),)

    evidence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evidence.id"), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(30), primary_key=True)


class EvidenceChunk(Base):
    """A contiguous slice of an item's text: the unit search ranks and citations quote.

    The chunks of an item, in `seq` order, concatenate to its whole text. The integer
    key is the row id the SQLite full-text index refers to (a stable alias of SQLite's
    rowid, which a text primary key would not give).
    """

    __tablename__ = "evidence_chunks"
    __table_args__ = (UniqueConstraint("evidence_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    evidence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evidence.id"))
    seq: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
