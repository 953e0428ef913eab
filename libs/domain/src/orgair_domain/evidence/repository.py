"""Evidence rows: storing an item with its dimensions and chunks, reading, deleting.

The full-text index follows the chunk rows by itself (triggers on SQLite, a generated
column on PostgreSQL), so storing and deleting chunks here is all it takes. Deleting an
item marks its row deleted (the warehouse export follows `updated_at`, so a removed row
would never reach it); reads here never return a deleted item.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, Select, delete, func, insert, select, update
from sqlalchemy.orm import Session

from orgair_database import utcnow
from orgair_domain.evidence.models import Evidence, EvidenceChunk, EvidenceDimension
from orgair_scoring import DIMENSIONS


def canonical(dimensions: Sequence[str]) -> list[str]:
    """The dimensions in the order of the seven (how every answer lists them)."""
    given = set(dimensions)
    return [name for name in DIMENSIONS if name in given]


def add(
    session: Session, evidence: Evidence, dimensions: Sequence[str], chunks: Sequence[str]
) -> None:
    """Stage the item, its dimensions and its chunks (the caller commits)."""
    session.add(evidence)
    session.flush()
    session.execute(
        insert(EvidenceDimension),
        [{"evidence_id": evidence.id, "dimension": dimension} for dimension in dimensions],
    )
    session.execute(
        insert(EvidenceChunk),
        [{"evidence_id": evidence.id, "seq": seq, "text": text} for seq, text in enumerate(chunks)],
    )


def get(session: Session, evidence_id: uuid.UUID) -> Evidence | None:
    evidence = session.get(Evidence, evidence_id)
    return None if evidence is None or evidence.is_deleted else evidence


def by_ids(session: Session, evidence_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Evidence]:
    if not evidence_ids:
        return {}
    rows = session.scalars(
        select(Evidence).where(Evidence.id.in_(evidence_ids), Evidence.deleted_at.is_(None))
    )
    return {row.id: row for row in rows}


def dimensions_of(
    session: Session, evidence_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """Each item's dimensions, in the canonical order of the seven."""
    found: dict[uuid.UUID, list[str]] = {evidence_id: [] for evidence_id in evidence_ids}
    if evidence_ids:
        rows = session.execute(
            select(EvidenceDimension.evidence_id, EvidenceDimension.dimension).where(
                EvidenceDimension.evidence_id.in_(evidence_ids)
            )
        )
        for evidence_id, dimension in rows:
            found[evidence_id].append(dimension)
    return {evidence_id: canonical(names) for evidence_id, names in found.items()}


def chunks_of(session: Session, evidence_id: uuid.UUID) -> list[str]:
    return list(
        session.scalars(
            select(EvidenceChunk.text)
            .where(EvidenceChunk.evidence_id == evidence_id)
            .order_by(EvidenceChunk.seq)
        )
    )


def newest_query(company_id: uuid.UUID, dimension: str | None) -> Select[tuple[Evidence]]:
    """The company's evidence (supporting `dimension`, when given), newest first."""
    query = select(Evidence).where(Evidence.company_id == company_id, Evidence.deleted_at.is_(None))
    if dimension is not None:
        query = query.where(supports(dimension))
    return query.order_by(Evidence.evidence_date.desc(), Evidence.created_at.desc(), Evidence.id)


def count_of(session: Session, query: Select[tuple[Evidence]]) -> int:
    """How many items `query` selects (without its order or bounds)."""
    counted = select(func.count()).select_from(query.order_by(None).limit(None).subquery())
    return int(session.scalar(counted) or 0)


def supports(dimension: str) -> ColumnElement[bool]:
    """A condition on `Evidence`: the item supports `dimension`."""
    return Evidence.id.in_(
        select(EvidenceDimension.evidence_id).where(EvidenceDimension.dimension == dimension)
    )


def remove(session: Session, evidence_id: uuid.UUID) -> None:
    """Mark the item deleted and drop its chunks, so search no longer finds it (the
    caller commits). Its dimensions stay with the row, as they were."""
    session.execute(delete(EvidenceChunk).where(EvidenceChunk.evidence_id == evidence_id))
    session.execute(update(Evidence).where(Evidence.id == evidence_id).values(deleted_at=utcnow()))
