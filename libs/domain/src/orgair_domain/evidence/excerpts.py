"""A company's best excerpts for one dimension: what a justification is grounded in.

The items that support the dimension are ranked by relevance to words that describe
it (the full-text search of `search`), each represented by its best chunk; when fewer
than asked for match any word, the newest other supporting items fill the list (with
their first chunk), so tagged evidence is never ignored for its vocabulary.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from orgair_domain.evidence import repository, search
from orgair_domain.evidence.models import Evidence, EvidenceChunk

# Words of each dimension as the course's rubric describes it.
DIMENSION_TERMS = MappingProxyType(
    {
        "data_infrastructure": "data platform pipeline warehouse lake quality catalog "
        "integration cloud architecture",
        "ai_governance": "governance policy risk ethics compliance oversight board "
        "accountability model audit",
        "technology_stack": "technology stack cloud mlops infrastructure tools platform "
        "deployment api compute",
        "talent_skills": "talent skills hiring engineers scientists training expertise "
        "team upskilling",
        "leadership_vision": "leadership vision strategy executive ceo roadmap sponsor "
        "commitment investment",
        "use_case_portfolio": "use case portfolio production pilot revenue automation "
        "value deployment roi",
        "culture_change": "culture change adoption experimentation collaboration "
        "innovation resistance training",
    }
)


@dataclass(frozen=True)
class Excerpt:
    evidence_id: uuid.UUID
    chunk: int
    title: str
    source: str | None
    url: str | None
    evidence_date: date
    text: str


def top_excerpts(
    session: Session, company_id: uuid.UUID, dimension: str, *, limit: int
) -> list[Excerpt]:
    """Up to `limit` excerpts, one per item, best first."""
    terms = search.search_terms(DIMENSION_TERMS[dimension])
    hits = search.ranked_chunks(session, company_id, terms, dimension=dimension, limit=limit)
    chosen = {hit.evidence_id: (hit.seq, hit.text) for hit in hits}
    if len(chosen) < limit:
        newest = session.scalars(
            repository.newest_query(company_id, dimension)
            .with_only_columns(Evidence.id)
            .where(Evidence.id.not_in(list(chosen)) if chosen else Evidence.id.is_not(None))
            .limit(limit - len(chosen))
        )
        fill = list(newest)
        if fill:
            first_chunks = session.execute(
                select(EvidenceChunk.evidence_id, EvidenceChunk.text).where(
                    EvidenceChunk.evidence_id.in_(fill), EvidenceChunk.seq == 0
                )
            )
            texts = dict(first_chunks.tuples().all())
            chosen.update({evidence_id: (0, texts[evidence_id]) for evidence_id in fill})
    items = repository.by_ids(session, list(chosen))
    return [
        Excerpt(
            evidence_id=evidence_id,
            chunk=seq,
            title=items[evidence_id].title,
            source=items[evidence_id].source,
            url=items[evidence_id].url,
            evidence_date=items[evidence_id].evidence_date,
            text=text.strip(),
        )
        for evidence_id, (seq, text) in chosen.items()
    ]
