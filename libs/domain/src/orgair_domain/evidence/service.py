"""Evidence use cases: attach a note, an excerpt or a document; list, rank, read, delete.

An upload is checked completely before anything is stored: its size, its type by
content (`sniffing`), its text (`extraction`). Then the original goes to S3 and the
rows are committed; when the commit fails the original is deleted again, and when
S3 fails nothing is written. So a refused or failed upload leaves nothing behind,
and a stored item always has its original.

Deleting an item removes its rows and then its original; a justification that cited
it keeps its own copy of what it quoted, so nothing else needs the item afterwards.
"""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from collections.abc import Sequence
from urllib.parse import urlsplit

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from orgair_config import Settings
from orgair_database import utcnow
from orgair_domain.assessments.schemas import today_utc
from orgair_domain.companies import repository as companies
from orgair_domain.errors import ContentTooLarge, NotFound, Unavailable
from orgair_domain.evidence import repository, search
from orgair_domain.evidence.chunking import chunk_text
from orgair_domain.evidence.extraction import checked, extract
from orgair_domain.evidence.models import Evidence, EvidenceKind
from orgair_domain.evidence.schemas import (
    DocumentMetadata,
    EvidenceDetailOut,
    EvidenceHit,
    EvidenceLinks,
    EvidenceList,
    EvidenceMatch,
    EvidenceOut,
    EvidenceQuery,
    NoteCreate,
    OriginalLinkOut,
    UrlExcerptCreate,
)
from orgair_domain.evidence.sniffing import TEXT, sniff
from orgair_objectstore import ObjectStore, ObjectStoreError
from orgair_observability import get_logger

log = get_logger(__name__)

_UNSAFE_IN_NAMES = re.compile(r"[\x00-\x1f\x7f]")


def evidence_path(settings: Settings, evidence_id: uuid.UUID) -> str:
    return f"{settings.API_V2_PREFIX}/evidence/{evidence_id}"


def original_key(company_id: uuid.UUID, evidence_id: uuid.UUID) -> str:
    return f"evidence/{company_id}/{evidence_id}/original"


def _require_company(session: Session, company_id: uuid.UUID) -> None:
    if companies.get_active(session, company_id) is None:
        raise NotFound("company", company_id)


def require_evidence(session: Session, evidence_id: uuid.UUID) -> Evidence:
    """The item; NotFound when it does not exist or its company was deleted."""
    evidence = repository.get(session, evidence_id)
    if evidence is None or companies.get_active(session, evidence.company_id) is None:
        raise NotFound("evidence", evidence_id)
    return evidence


_OUT_COLUMNS = (
    "id", "company_id", "kind", "title", "source", "url", "evidence_date", "media_type",
    "filename", "size_bytes", "sha256", "text_chars", "chunk_count", "created_by", "created_at",
)  # fmt: skip


def _out(settings: Settings, evidence: Evidence, dimensions: Sequence[str]) -> EvidenceOut:
    path = evidence_path(settings, evidence.id)
    return EvidenceOut.model_validate(
        {
            **{column: getattr(evidence, column) for column in _OUT_COLUMNS},
            "dimensions": list(dimensions),
            "links": EvidenceLinks(
                self=path, original=f"{path}/original" if evidence.object_key else None
            ),
        }
    )


def _new_evidence(
    company_id: uuid.UUID,
    *,
    kind: EvidenceKind,
    title: str,
    text: str,
    chunks: Sequence[str],
    original: bytes,
    media_type: str,
    data: NoteCreate | UrlExcerptCreate | DocumentMetadata,
    actor: str,
    url: str | None = None,
    filename: str | None = None,
    object_key: str | None = None,
    evidence_id: uuid.UUID | None = None,
) -> Evidence:
    return Evidence(
        id=evidence_id or uuid.uuid4(),
        company_id=company_id,
        kind=kind.value,
        title=title,
        source=data.source,
        url=url,
        evidence_date=data.evidence_date or today_utc(),
        media_type=media_type,
        filename=filename,
        size_bytes=len(original),
        sha256=hashlib.sha256(original).hexdigest(),
        object_key=object_key,
        text_chars=len(text),
        chunk_count=len(chunks),
        created_by=actor,
        created_at=utcnow(),
    )


def add_evidence(
    session: Session,
    settings: Settings,
    company_id: uuid.UUID,
    data: NoteCreate | UrlExcerptCreate,
    *,
    actor: str,
) -> EvidenceOut:
    """Attach a note or a URL excerpt (text given by the analyst; nothing goes to S3)."""
    _require_company(session, company_id)
    if isinstance(data, NoteCreate):
        kind, title, raw, url = EvidenceKind.NOTE, data.title, data.text, None
    else:
        url = str(data.url)
        kind, raw = EvidenceKind.URL, data.excerpt
        title = data.title or urlsplit(url).hostname or url
    text = checked(raw, max_chars=settings.EVIDENCE_MAX_TEXT_CHARS)
    chunks = chunk_text(text, settings.EVIDENCE_CHUNK_CHARS)
    evidence = _new_evidence(
        company_id, kind=kind, title=title, text=text, chunks=chunks,
        original=text.encode(), media_type=TEXT, data=data, actor=actor, url=url,
    )  # fmt: skip
    dimensions = [dimension.value for dimension in data.dimensions]
    repository.add(session, evidence, dimensions, chunks)
    session.commit()
    log.info("evidence_added", evidence_id=str(evidence.id), company_id=str(company_id),
             kind=kind.value, chunks=len(chunks))  # fmt: skip
    return _out(settings, evidence, repository.canonical(dimensions))


def _safe_filename(filename: str | None) -> str | None:
    if not filename:
        return None
    base = _UNSAFE_IN_NAMES.sub("", re.split(r"[\\/]", filename)[-1]).strip()
    return base[:255] or None


def add_document(
    session: Session,
    settings: Settings,
    objects: ObjectStore,
    company_id: uuid.UUID,
    metadata: DocumentMetadata,
    *,
    content: bytes,
    filename: str | None,
    declared_type: str | None,
    actor: str,
) -> EvidenceOut:
    """Attach an uploaded PDF, HTML or text document: checked, its original to S3, its
    text indexed. Refused (nothing stored) when too large, of another type than it
    claims or than we read, encrypted, malformed or without text."""
    _require_company(session, company_id)
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
    if len(content) > limit:
        raise ContentTooLarge(
            f"the document is larger than {limit} bytes (EVIDENCE_MAX_UPLOAD_BYTES)",
            max_bytes=limit,
            code="evidence-too-large",
        )
    media_type = sniff(content, declared_type).media_type
    extracted = extract(content, media_type, max_chars=settings.EVIDENCE_MAX_TEXT_CHARS)
    chunks = chunk_text(extracted.text, settings.EVIDENCE_CHUNK_CHARS)
    name = _safe_filename(filename)
    evidence_id = uuid.uuid4()
    key = original_key(company_id, evidence_id)
    evidence = _new_evidence(
        company_id, kind=EvidenceKind.DOCUMENT,
        title=metadata.title or extracted.title or name or "Untitled document",
        text=extracted.text, chunks=chunks, original=content, media_type=media_type,
        data=metadata, actor=actor, filename=name, object_key=key, evidence_id=evidence_id,
    )  # fmt: skip
    try:
        objects.put_bytes(key, content, content_type=media_type)
    except ObjectStoreError as exc:
        log.error("evidence_original_not_stored", evidence_id=str(evidence_id), error=str(exc))
        raise Unavailable(
            "Object store unavailable",
            "the document could not be stored; nothing was saved, try again",
            retry_after_seconds=5,
        ) from None
    dimensions = [dimension.value for dimension in metadata.dimensions]
    try:
        repository.add(session, evidence, dimensions, chunks)
        session.commit()
    except SQLAlchemyError:
        session.rollback()
        _delete_original(objects, key, evidence_id)
        raise
    log.info("evidence_added", evidence_id=str(evidence_id), company_id=str(company_id),
             kind=EvidenceKind.DOCUMENT.value, media_type=media_type, size_bytes=len(content),
             chunks=len(chunks))  # fmt: skip
    return _out(settings, evidence, repository.canonical(dimensions))


def _delete_original(objects: ObjectStore, key: str, evidence_id: uuid.UUID) -> None:
    try:
        objects.delete(key)
    except ObjectStoreError as exc:
        # No row refers to it: an orphan object, never a dangling reference.
        log.warning("evidence_original_not_deleted", evidence_id=str(evidence_id), key=key,
                    error=str(exc))  # fmt: skip


def list_evidence(
    session: Session, settings: Settings, company_id: uuid.UUID, query: EvidenceQuery
) -> EvidenceList:
    """One page of the company's evidence: ranked by relevance to `q`, else newest first."""
    _require_company(session, company_id)
    dimension = query.dimension.value if query.dimension is not None else None
    matches: dict[uuid.UUID, EvidenceMatch] = {}
    if query.q is not None:
        terms = search.search_terms(query.q)
        hits = search.ranked_chunks(
            session, company_id, terms, dimension=dimension,
            limit=query.limit, offset=query.offset,
        )  # fmt: skip
        total = search.matching_count(session, company_id, terms, dimension=dimension)
        matches = {
            hit.evidence_id: EvidenceMatch(chunk=hit.seq, text=hit.text, relevance=hit.relevance)
            for hit in hits
        }
        found = repository.by_ids(session, list(matches))
        items = [found[evidence_id] for evidence_id in matches if evidence_id in found]
    else:
        newest = repository.newest_query(company_id, dimension)
        items = list(session.scalars(newest.limit(query.limit).offset(query.offset)))
        total = repository.count_of(session, newest)
    dimensions = repository.dimensions_of(session, [item.id for item in items])
    return EvidenceList(
        items=[
            EvidenceHit(
                **_out(settings, item, dimensions[item.id]).model_dump(),
                match=matches.get(item.id),
            )
            for item in items
        ],
        q=query.q,
        dimension=query.dimension,
        limit=query.limit,
        page=query.page,
        total=total,
        total_pages=max(1, math.ceil(total / query.limit)),
    )


def get_evidence(session: Session, settings: Settings, evidence_id: uuid.UUID) -> EvidenceDetailOut:
    """The item with its whole text."""
    evidence = require_evidence(session, evidence_id)
    dimensions = repository.dimensions_of(session, [evidence.id])[evidence.id]
    return EvidenceDetailOut(
        **_out(settings, evidence, dimensions).model_dump(),
        text="".join(repository.chunks_of(session, evidence.id)),
    )


def original_link(
    session: Session, settings: Settings, objects: ObjectStore, evidence_id: uuid.UUID
) -> OriginalLinkOut:
    """A short-lived presigned URL of an uploaded document's original."""
    evidence = require_evidence(session, evidence_id)
    if evidence.object_key is None:
        raise NotFound(f"original document of {evidence.kind} evidence", evidence_id)
    expires = settings.EVIDENCE_URL_EXPIRES_SECONDS
    return OriginalLinkOut(
        key=evidence.object_key,
        url=objects.presigned_get_url(evidence.object_key, expires_seconds=expires),
        expires_in=expires,
        media_type=evidence.media_type,
        filename=evidence.filename,
    )


def delete_evidence(session: Session, objects: ObjectStore, evidence_id: uuid.UUID) -> None:
    """Delete the item and its original. Justifications that cited it keep their copy."""
    evidence = require_evidence(session, evidence_id)
    key = evidence.object_key
    repository.remove(session, evidence_id)
    session.commit()
    if key is not None:
        _delete_original(objects, key, evidence_id)
    log.info("evidence_deleted", evidence_id=str(evidence_id))
