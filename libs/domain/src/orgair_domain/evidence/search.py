"""Ranking a company's evidence by relevance, with the database's own full-text search.

A query is its words (letters and digits; everything else separates them, so no
input is query syntax): an item matches when any word does, and ranks higher the
better its best chunk matches — bm25 on SQLite's FTS5 index, ts_rank on
PostgreSQL's tsvector — so items matching more of the words, more often, come
first. Ties go to the newer item. The answer is the best chunk of each of the
`limit` best items after the first `offset` (a page of the ranking), and
`matching_count` is how many items match at all (the ranking's length).

Both backends run the same statement shape: the matching chunks with their score,
then each item's best chunk (a window over them), then the best items.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from functools import reduce
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Select,
    column,
    func,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session

from orgair_domain.errors import InvalidInput, Unavailable
from orgair_domain.evidence import repository
from orgair_domain.evidence.models import Evidence, EvidenceChunk
from orgair_domain.evidence.search_index import (
    FTS_TABLE,
    SEARCH_VECTOR_COLUMN,
    TEXT_SEARCH_CONFIG,
)

__all__ = ["MAX_TERMS", "ChunkHit", "matching_count", "ranked_chunks", "search_terms"]

MAX_TERMS = 32
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class ChunkHit:
    evidence_id: uuid.UUID
    seq: int
    text: str
    relevance: float


def search_terms(q: str) -> list[str]:
    """The distinct words of `q`, lower-cased, at most `MAX_TERMS`."""
    terms = list(dict.fromkeys(word.lower() for word in _WORD.findall(q)))
    if not terms:
        raise InvalidInput(
            "q has no words to search for",
            errors=[{"pointer": "/query/q", "detail": "no letters or digits"}],
        )
    return terms[:MAX_TERMS]


Matches = tuple[Select[tuple[uuid.UUID, int, str, float]], ColumnElement[bool]]


def _sqlite_matches(terms: list[str]) -> Matches:
    fts = table(FTS_TABLE, column("rowid", Integer))
    index: ColumnElement[Any] = literal_column(FTS_TABLE)  # FTS5 takes its table's name
    relevance = -func.bm25(index, type_=Float)  # bm25: lower is better
    # Each word as an FTS5 string ("..."): words hold no quotes, so nothing is syntax.
    expression = " OR ".join(f'"{term}"' for term in terms)
    hits = select(
        EvidenceChunk.evidence_id, EvidenceChunk.seq, EvidenceChunk.text,
        relevance.label("relevance"),
    ).select_from(fts.join(EvidenceChunk, EvidenceChunk.id == fts.c.rowid))  # fmt: skip
    return hits, index.op("MATCH")(expression)


def _postgres_matches(terms: list[str]) -> Matches:
    vector: ColumnElement[Any] = literal_column(
        f"{EvidenceChunk.__tablename__}.{SEARCH_VECTOR_COLUMN}"
    )
    config: ColumnElement[Any] = literal_column(f"'{TEXT_SEARCH_CONFIG}'::regconfig")
    # plainto_tsquery never fails on its input; `||` ORs the words' queries.
    words: list[ColumnElement[Any]] = [func.plainto_tsquery(config, term) for term in terms]
    query = reduce(lambda left, right: left.op("||")(right), words)
    hits = select(
        EvidenceChunk.evidence_id, EvidenceChunk.seq, EvidenceChunk.text,
        func.ts_rank(vector, query, type_=Float).label("relevance"),
    ).select_from(EvidenceChunk)  # fmt: skip
    return hits, vector.op("@@")(query)


def _scored_chunks(
    session: Session, company_id: uuid.UUID, terms: list[str], dimension: str | None
) -> Any:
    """Every chunk of the company's evidence that matches `terms`, with its relevance."""
    backend = session.get_bind().dialect.name
    if backend == "sqlite":
        hits, matches = _sqlite_matches(terms)
    elif backend == "postgresql":
        hits, matches = _postgres_matches(terms)
    else:
        raise Unavailable(
            "Evidence search unavailable",
            f"full-text search over evidence needs SQLite or PostgreSQL, not {backend}",
        )
    conditions = [matches, Evidence.company_id == company_id]
    if dimension is not None:
        conditions.append(repository.supports(dimension))
    return (
        hits.add_columns(Evidence.evidence_date, Evidence.created_at)
        .join(Evidence, Evidence.id == EvidenceChunk.evidence_id)
        .where(*conditions)
        .subquery("scored")
    )


def matching_count(
    session: Session, company_id: uuid.UUID, terms: list[str], *, dimension: str | None
) -> int:
    """How many of the company's items match `terms` (any chunk of them)."""
    scored = _scored_chunks(session, company_id, terms, dimension)
    return int(session.scalar(select(func.count(func.distinct(scored.c.evidence_id)))) or 0)


def ranked_chunks(
    session: Session,
    company_id: uuid.UUID,
    terms: list[str],
    *,
    dimension: str | None,
    limit: int,
    offset: int = 0,
) -> list[ChunkHit]:
    """The best chunk of each of the `limit` items that match `terms` best, after the
    `offset` best."""
    scored = _scored_chunks(session, company_id, terms, dimension)
    best_first = func.row_number().over(
        partition_by=scored.c.evidence_id, order_by=(scored.c.relevance.desc(), scored.c.seq)
    )
    per_item = select(scored, best_first.label("place")).subquery("per_item")
    best = (
        select(per_item.c.evidence_id, per_item.c.seq, per_item.c.text, per_item.c.relevance)
        .where(per_item.c.place == 1)
        .order_by(
            per_item.c.relevance.desc(),
            per_item.c.evidence_date.desc(),
            per_item.c.created_at.desc(),
            per_item.c.evidence_id,
        )
        .limit(limit)
        .offset(offset)
    )
    return [
        ChunkHit(evidence_id=row.evidence_id, seq=row.seq, text=row.text, relevance=row.relevance)
        for row in session.execute(best)
    ]
