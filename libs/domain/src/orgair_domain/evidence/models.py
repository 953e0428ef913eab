"""The evidence tables: the item, the dimensions it supports, its text in chunks.

The search index over the chunks is not a table of this metadata: it is what the
database offers for full-text search (an FTS5 virtual table on SQLite, a generated
tsvector column with a GIN index on PostgreSQL), created by the migration only where
the backend has it (`orgair_domain.evidence.search_index`).

Deleting an item is a soft delete (`deleted_at`, which sets `updated_at`), so the
warehouse export sees the deletion; its chunks go (search no longer finds it) and its
dimensions stay with the item row. The chunks stay out of the warehouse (their integer
key is the full-text index's row id; the export merges by a text key).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UpdatedAt, UUIDPrimaryKey, append_only
from orgair_scoring import DIMENSIONS


class EvidenceKind(StrEnum):
    NOTE = "note"
    URL = "url"
    DOCUMENT = "document"


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(str(value)) for value in values)})"


class Evidence(UUIDPrimaryKey, CreatedAt, UpdatedAt, Base):
    """An evidence item attached to a company: a note, an excerpt, a URL or a document."""

    __tablename__ = "evidence"
    __table_args__ = (
        CheckConstraint(_one_of("kind", tuple(EvidenceKind)), name="kind_known"),
        CheckConstraint("size_bytes >= 0 AND text_chars >= 0 AND chunk_count >= 0",
                        name="sizes_non_negative"),
        # The warehouse export reads changes in this order.
        Index(None, "updated_at", "id"),
        Index(None, "company_id", "evidence_date"),
    )  # fmt: skip

    company_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("companies.id"), doc="companies.id")
    kind: Mapped[str] = mapped_column(String(16), doc="note | url | document")
    title: Mapped[str] = mapped_column(String(255), doc="Title given by the uploader")
    source: Mapped[str | None] = mapped_column(String(255), doc="Where it comes from (free text)")
    url: Mapped[str | None] = mapped_column(String(2048), doc="Address of the source, if any")
    evidence_date: Mapped[date] = mapped_column(doc="Date the evidence is from")
    media_type: Mapped[str] = mapped_column(
        String(64), doc="What the text was extracted from: application/pdf, text/html, text/plain"
    )
    filename: Mapped[str | None] = mapped_column(String(255), doc="Uploaded file's name")
    size_bytes: Mapped[int] = mapped_column(
        Integer, doc="Size of the original (the UTF-8 text for notes and excerpts)"
    )
    sha256: Mapped[str] = mapped_column(String(64), doc="SHA-256 of the original, hex")
    object_key: Mapped[str | None] = mapped_column(
        String(512), doc="S3 key of the uploaded original; notes and excerpts have none"
    )
    text_chars: Mapped[int] = mapped_column(Integer, doc="Characters of extracted text")
    chunk_count: Mapped[int] = mapped_column(Integer, doc="Chunks the text was cut into")
    created_by: Mapped[str] = mapped_column(String(64), doc="Who attached it")
    deleted_at: Mapped[datetime | None] = mapped_column(
        doc="When the item was deleted (null while it exists)"
    )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class EvidenceDimension(UUIDPrimaryKey, CreatedAt, Base):
    """One dimension an evidence item supports (an item supports one or more)."""

    __tablename__ = "evidence_dimensions"
    __table_args__ = (
        UniqueConstraint("evidence_id", "dimension"),
        CheckConstraint(_one_of("dimension", DIMENSIONS), name="dimension_known"),
        # The warehouse export reads changes in this order.
        Index(None, "created_at", "id"),
        {"info": append_only()},
    )

    evidence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evidence.id"), doc="evidence.id")
    dimension: Mapped[str] = mapped_column(String(30), doc="One of the seven dimensions")


class EvidenceChunk(Base):
    """A contiguous slice of an item's text: the unit search ranks and citations quote.

    The chunks of an item, in `seq` order, concatenate to its whole text. The integer
    key is the row id the SQLite full-text index refers to (a stable alias of SQLite's
    rowid, which a text primary key would not give).
    """

    __tablename__ = "evidence_chunks"
    __table_args__ = (UniqueConstraint("evidence_id", "seq"),)

    id: Mapped[int] = mapped_column(
        Integer, primary_key=True, autoincrement=True, doc="Row id (the full-text index's)"
    )
    evidence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("evidence.id"), doc="evidence.id")
    seq: Mapped[int] = mapped_column(Integer, doc="Position of the chunk in the item's text")
    text: Mapped[str] = mapped_column(Text, doc="The chunk's text")
