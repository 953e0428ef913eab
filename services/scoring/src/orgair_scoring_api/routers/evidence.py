"""`/api/v2` evidence: attach notes, URL excerpts and documents to a company; rank,
read and delete them.

Viewers read, analysts write (the versioned routers' role floor). An upload is a
multipart form: the file in `file`, the other fields as `DocumentMetadata` describes;
its size limit is `EVIDENCE_MAX_UPLOAD_BYTES` (the gateway's body limit leaves room
for it, which the settings check).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, File, Form, Query, Response, UploadFile, status

from orgair_domain.evidence import service
from orgair_domain.evidence.schemas import (
    DocumentMetadata,
    EvidenceCreate,
    EvidenceDetailOut,
    EvidenceList,
    EvidenceOut,
    EvidenceQuery,
    OriginalLinkOut,
)
from orgair_observability.openapi import problem_responses
from orgair_scoring_api.auth import IdentityDep
from orgair_scoring_api.dependencies import ResourcesDep, SessionDep, SettingsDep

router = APIRouter(tags=["evidence"])

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    413: {"description": "`evidence-too-large`"},
    415: {
        "description": "`evidence-unsupported-type` (not PDF, HTML or text by its content) or "
        "`evidence-type-mismatch` (the content is not what was declared)"
    },
    422: {
        "description": "`evidence-encrypted`, `evidence-malformed`, `evidence-undecodable`, "
        "`evidence-no-text`, `evidence-text-too-long`, or invalid fields"
    },
}


@router.post(
    "/companies/{company_id}/evidence",
    response_model=EvidenceOut,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(404),
)
def add_evidence(
    company_id: uuid.UUID,
    body: Annotated[EvidenceCreate, Body()],
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    identity: IdentityDep,
) -> EvidenceOut:
    """Attach a note (`kind: note`) or a passage quoted from a web page (`kind: url`)."""
    evidence = service.add_evidence(session, settings, company_id, body, actor=identity.key_id)
    response.headers["Location"] = evidence.links.self
    return evidence


@router.post(
    "/companies/{company_id}/evidence/documents",
    response_model=EvidenceOut,
    status_code=status.HTTP_201_CREATED,
    responses={**problem_responses(404, 503), **_PROBLEMS},
)
def upload_document(
    company_id: uuid.UUID,
    file: Annotated[UploadFile, File(description="A PDF, HTML or plain-text document")],
    metadata: Annotated[DocumentMetadata, Form()],
    response: Response,
    session: SessionDep,
    resources: ResourcesDep,
    identity: IdentityDep,
) -> EvidenceOut:
    """Attach a document: its original goes to S3, its text is extracted and indexed.

    The type is judged by the content; a declared `Content-Type` of the file part
    must agree with it. Nothing is stored when the document is refused.
    """
    settings = resources.settings
    # One byte more than allowed is enough to know it is too large.
    content = file.file.read(settings.EVIDENCE_MAX_UPLOAD_BYTES + 1)
    evidence = service.add_document(
        session,
        settings,
        resources.objects,
        company_id,
        metadata,
        content=content,
        filename=file.filename,
        declared_type=file.content_type,
        actor=identity.key_id,
    )
    response.headers["Location"] = evidence.links.self
    return evidence


@router.get(
    "/companies/{company_id}/evidence",
    response_model=EvidenceList,
    responses=problem_responses(404),
)
def list_evidence(
    company_id: uuid.UUID,
    query: Annotated[EvidenceQuery, Query()],
    session: SessionDep,
    settings: SettingsDep,
) -> EvidenceList:
    """The company's evidence, ranked by relevance to `q` (any of its words), else newest
    first; `dimension` keeps the items that support it. `limit` items a page, `page` from 1;
    `total` counts every match."""
    return service.list_evidence(session, settings, company_id, query)


@router.get(
    "/evidence/{evidence_id}", response_model=EvidenceDetailOut, responses=problem_responses(404)
)
def get_evidence(
    evidence_id: uuid.UUID, session: SessionDep, settings: SettingsDep
) -> EvidenceDetailOut:
    """One evidence item with its whole text."""
    return service.get_evidence(session, settings, evidence_id)


@router.get(
    "/evidence/{evidence_id}/original",
    response_model=OriginalLinkOut,
    responses=problem_responses(404),
)
def original_link(
    evidence_id: uuid.UUID, session: SessionDep, resources: ResourcesDep
) -> OriginalLinkOut:
    """A short-lived presigned URL of an uploaded document's original in S3."""
    return service.original_link(session, resources.settings, resources.objects, evidence_id)


@router.delete(
    "/evidence/{evidence_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(404),
)
def delete_evidence(
    evidence_id: uuid.UUID, session: SessionDep, resources: ResourcesDep
) -> Response:
    """Delete the item and its original; justifications that cited it keep their copy."""
    service.delete_evidence(session, resources.objects, evidence_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
