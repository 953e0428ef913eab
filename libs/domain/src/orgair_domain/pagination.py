"""Pages of a list: the CS1 envelope `{items, total, page, page_size, total_pages}`.

A `PageRequest` says which page; `paginate` runs a query for it, counting the rows
the query matches and reading only the page's rows; `Page.map` turns the rows into
what the use case returns. Every paginated list of the platform goes through here,
so a page means the same everywhere (1-based, stable order given by the query).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from orgair_database.values import PageNumber

__all__ = ["DEFAULT_PAGE_SIZE", "MAX_PAGE_SIZE", "Page", "PageRequest", "paginate"]

ItemT = TypeVar("ItemT")
NewItemT = TypeVar("NewItemT")

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class PageRequest(BaseModel):
    """Which page: `page` from 1, at most `MAX_PAGE_SIZE` items per page."""

    model_config = ConfigDict(frozen=True)

    page: PageNumber = 1
    page_size: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


class Page(BaseModel, Generic[ItemT]):
    items: list[ItemT]
    total: int
    page: int
    page_size: int
    total_pages: int

    @classmethod
    def build(cls, items: Sequence[ItemT], total: int, request: PageRequest) -> Page[ItemT]:
        return cls(
            items=list(items),
            total=total,
            page=request.page,
            page_size=request.page_size,
            total_pages=math.ceil(total / request.page_size) if total else 0,
        )

    def map(self, convert: Callable[[list[ItemT]], Sequence[NewItemT]]) -> Page[NewItemT]:
        """The same page with its items converted (all at once: one query for them all)."""
        return Page[NewItemT](
            items=list(convert(self.items)),
            total=self.total,
            page=self.page,
            page_size=self.page_size,
            total_pages=self.total_pages,
        )


def paginate(session: Session, query: Select[tuple[ItemT]], request: PageRequest) -> Page[ItemT]:
    """The page `request` of the rows `query` selects (one entity or column per row).

    `query` carries its filters and its order (make the order total, ending with a
    unique column, or rows can repeat or vanish between pages).
    """
    counted: Select[Any] = select(func.count()).select_from(query.order_by(None).subquery())
    total = session.scalar(counted) or 0
    rows = session.scalars(query.offset(request.offset).limit(request.page_size)).all()
    return Page[Any].build(rows, total, request)
