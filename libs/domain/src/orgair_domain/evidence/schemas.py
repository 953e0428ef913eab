"""What callers send to attach evidence and what they get back."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AnyUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    UrlConstraints,
    field_validator,
    model_validator,
)

from orgair_database.values import VISIBLE_MULTILINE_TEXT, VISIBLE_TEXT, IsoDate, PageNumber
from orgair_domain.evidence.models import EvidenceKind
from orgair_scoring import Dimension

Title = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), VISIBLE_TEXT
]
Source = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255), VISIBLE_TEXT
]
# A note or a quoted passage: well under the gateway's body limit.
MAX_EVIDENCE_TEXT = 200_000
EvidenceText = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_EVIDENCE_TEXT), VISIBLE_MULTILINE_TEXT
]
HttpUrl = Annotated[AnyUrl, UrlConstraints(max_length=2048, allowed_schemes=["http", "https"])]

MAX_SEARCH_LIMIT = 100
DEFAULT_SEARCH_LIMIT = 20

_DIMENSIONS_DESCRIPTION = "The dimensions this evidence supports (one or more of the seven keys)"
_DATE_DESCRIPTION = "When the evidence was published or observed; default today (UTC)"


def _distinct(dimensions: list[Dimension]) -> list[Dimension]:
    if len(set(dimensions)) != len(dimensions):
        raise ValueError("a dimension is listed twice")
    return dimensions


class _EvidenceFields(BaseModel):
    """What every kind of evidence is described by."""

    model_config = ConfigDict(extra="forbid")

    dimensions: list[Dimension] = Field(
        min_length=1, max_length=len(Dimension), description=_DIMENSIONS_DESCRIPTION
    )
    source: Source | None = Field(
        default=None, description="Where it comes from: a filing, an interview, a site"
    )
    evidence_date: IsoDate | None = Field(default=None, description=_DATE_DESCRIPTION)

    @field_validator("dimensions")
    @classmethod
    def _no_duplicates(cls, dimensions: list[Dimension]) -> list[Dimension]:
        return _distinct(dimensions)


class NoteCreate(_EvidenceFields):
    """An analyst's own text."""

    kind: Literal["note"]
    title: Title
    text: EvidenceText = Field(description="The note (plain text)")


class UrlExcerptCreate(_EvidenceFields):
    """A passage quoted from a web page, with the page's address."""

    kind: Literal["url"]
    url: HttpUrl
    excerpt: EvidenceText = Field(description="The quoted passage (plain text)")
    title: Title | None = Field(default=None, description="Default: the page's host name")


EvidenceCreate = Annotated[NoteCreate | UrlExcerptCreate, Field(discriminator="kind")]


class DocumentMetadata(_EvidenceFields):
    """The form fields sent with an uploaded document (repeat `dimensions` per value)."""

    # The multipart form also carries the file itself, which is not one of these fields.
    model_config = ConfigDict(extra="ignore")

    title: Title | None = Field(
        default=None, description="Default: the document's own title, else its file name"
    )

    @model_validator(mode="before")
    @classmethod
    def _empty_fields_are_missing(cls, values: object) -> object:
        # HTML forms and `curl -F name=` send an empty string for a field left blank.
        if isinstance(values, dict):
            return {key: value for key, value in values.items() if value != ""}
        return values


class EvidenceLinks(BaseModel):
    self: str
    original: str | None = Field(description="Where the uploaded original can be fetched")


class EvidenceOut(BaseModel):
    id: uuid.UUID
    company_id: uuid.UUID
    kind: EvidenceKind
    title: str
    source: str | None
    url: str | None
    evidence_date: date
    dimensions: list[Dimension]
    media_type: str = Field(description="What the text was read from")
    filename: str | None
    size_bytes: int = Field(description="Size of the original (UTF-8 text for notes, excerpts)")
    sha256: str = Field(description="SHA-256 of the original, hex")
    text_chars: int
    chunk_count: int
    created_by: str
    created_at: datetime
    links: EvidenceLinks


class EvidenceDetailOut(EvidenceOut):
    text: str = Field(description="The whole extracted text")


class EvidenceMatch(BaseModel):
    chunk: int = Field(description="Index of the best-matching chunk of the item's text")
    text: str = Field(description="That chunk")
    relevance: float = Field(
        description="Higher is more relevant (bm25 on SQLite, ts_rank on PostgreSQL: "
        "compare within one answer only)"
    )


class EvidenceHit(EvidenceOut):
    match: EvidenceMatch | None = Field(description="Why it was found (only with `q`)")


class EvidenceList(BaseModel):
    items: list[EvidenceHit]
    q: str | None
    dimension: Dimension | None
    limit: int = Field(description="Items per page")
    page: int
    total: int = Field(description="Items that match (over every page)")
    total_pages: int


class OriginalLinkOut(BaseModel):
    key: str
    url: str = Field(description="Presigned GET URL of the original document")
    expires_in: int = Field(description="Seconds the URL stays valid")
    media_type: str
    filename: str | None


class EvidenceQuery(BaseModel):
    """`?dimension=&q=&limit=&page=`: which evidence, how to rank it, which page."""

    model_config = ConfigDict(frozen=True)

    dimension: Dimension | None = None
    q: Annotated[str, StringConstraints(max_length=500), VISIBLE_TEXT] | None = None
    limit: int = Field(default=DEFAULT_SEARCH_LIMIT, ge=1, le=MAX_SEARCH_LIMIT)
    page: PageNumber = 1

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit

    @field_validator("q")
    @classmethod
    def _blank_query_is_none(cls, q: str | None) -> str | None:
        return q if q is not None and q.strip() else None
