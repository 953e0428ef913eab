"""Sorting, filtering and paging for every table, on the server.

A table reads its state from the page's query string under its own prefix
(`m_page`, `m_sort`, `m_dir`, `m_size`, `m_<filter>`), so several tables on one page
page independently and every link keeps the others' state.

Where its rows come from decides where the work is done:

- an API list that pages (`{items, total, page, page_size, total_pages}`) is asked
  for just the rows shown, as long as the table asks for the API's own order (either
  direction: the reverse is read from the other end) and only for filters the API
  has; any other sort or filter reads the whole list, page by page, and does it here;
- a list the API answers whole (a fund summary's 10,000 members) is sorted, filtered
  and cut into pages here.

Rows are the API's JSON objects as they came; nothing is computed into them.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

__all__ = [
    "API_PAGE_SIZE",
    "MAX_ROWS_READ",
    "Choice",
    "Column",
    "Filter",
    "TableSpec",
    "TableState",
    "TableView",
    "field_value",
    "page_locally",
    "page_through_api",
]

Row = Mapping[str, Any]
SortValue = Callable[[Row, str], Any]
Matches = Callable[[Row, Mapping[str, str]], bool]
FetchPage = Callable[[int, int], Awaitable[Mapping[str, Any]]]

API_PAGE_SIZE = 100  # the API's largest page
# A list longer than this is shown in the API's own order only: reading more of it
# for one page view would cost more than the view is worth.
MAX_ROWS_READ = 10_000
MAX_FILTER_LENGTH = 200
READ_CONCURRENCY = 4


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sortable: bool = True
    numeric: bool = False


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Filter:
    key: str
    label: str
    choices: tuple[Choice, ...] = ()  # empty: free text ("contains")
    # A choice the API always applies (no "all" option), used when none is asked for.
    default: str | None = None

    @property
    def is_text(self) -> bool:
        return not self.choices


@dataclass(frozen=True)
class TableSpec:
    prefix: str
    caption: str
    columns: tuple[Column, ...]
    default_sort: str
    default_descending: bool = False
    filters: tuple[Filter, ...] = ()
    page_sizes: tuple[int, ...] = (25, 50, 100)

    def param(self, name: str) -> str:
        return f"{self.prefix}_{name}"

    def with_filters(self, filters: tuple[Filter, ...]) -> TableSpec:
        return replace(self, filters=filters)

    def read(self, query: Mapping[str, str]) -> TableState:
        """The table's state from a query string; anything unknown falls back to defaults."""
        page = _positive_int(query.get(self.param("page")), 1)
        size = _positive_int(query.get(self.param("size")), self.page_sizes[0])
        if size not in self.page_sizes:
            size = self.page_sizes[0]
        sortable = {column.key for column in self.columns if column.sortable}
        sort = query.get(self.param("sort"), self.default_sort)
        if sort not in sortable:
            sort = self.default_sort
        direction = query.get(self.param("dir"))
        descending = (
            direction == "desc"
            if direction in {"asc", "desc"}
            else (self.default_descending if sort == self.default_sort else False)
        )
        filters: dict[str, str] = {}
        for spec in self.filters:
            value = (query.get(self.param(spec.key)) or "").strip()[:MAX_FILTER_LENGTH]
            if not value or (spec.default and value not in {c.value for c in spec.choices}):
                value = spec.default or ""
            if not value:
                continue
            if spec.is_text or value in {choice.value for choice in spec.choices}:
                filters[spec.key] = value
        return TableState(self, page, size, sort, descending, filters)


@dataclass(frozen=True)
class TableState:
    spec: TableSpec
    page: int
    page_size: int
    sort: str
    descending: bool
    filters: Mapping[str, str]

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


@dataclass(frozen=True)
class TableView:
    """One page of a table, with everything its template needs to link onwards."""

    state: TableState
    rows: Sequence[Any]
    total: int
    query: Mapping[str, str]
    notice: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def spec(self) -> TableSpec:
        return self.state.spec

    @property
    def page(self) -> int:
        return self.state.page

    @property
    def total_pages(self) -> int:
        return max(1, math.ceil(self.total / self.state.page_size))

    @property
    def first(self) -> int:
        return self.state.offset + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.state.offset + len(self.rows)

    def href(self, **changes: Any) -> str:
        """This page's URL query with this table's `changes` (`page=2`, `sort="name"`)."""
        params = dict(self.query)
        for name, value in changes.items():
            key = self.spec.param(name)
            if value is None or value == "":
                params.pop(key, None)
            else:
                params[key] = str(value)
        return "?" + urlencode(params) if params else "?"

    def clear_href(self) -> str:
        """This table without its filters (first page)."""
        cleared: dict[str, Any] = {spec.key: None for spec in self.spec.filters}
        return self.href(page=None, **cleared)

    def page_href(self, number: int) -> str:
        return self.href(page=number if number > 1 else None) + f"#{self.spec.prefix}-table"

    def sort_href(self, column: Column) -> str:
        state = self.state
        descending = not state.descending if state.sort == column.key else column.numeric
        return self.href(sort=column.key, dir="desc" if descending else "asc", page=None)

    def aria_sort(self, column: Column) -> str | None:
        if self.state.sort != column.key:
            return None
        return "descending" if self.state.descending else "ascending"

    def hidden_fields(self) -> list[tuple[str, str]]:
        """The rest of the page's state, for this table's filter form (which resets the page)."""
        own = {self.spec.param(name) for name in ("page", "size", "sort", "dir")}
        own |= {self.spec.param(spec.key) for spec in self.spec.filters}
        kept = [(name, value) for name, value in self.query.items() if name not in own]
        kept += [
            (self.spec.param("sort"), self.state.sort),
            (self.spec.param("dir"), "desc" if self.state.descending else "asc"),
        ]
        return kept

    def page_links(self) -> list[int | None]:
        """Page numbers to offer: first, last, and two either side (None = a gap)."""
        pages = sorted(
            {1, self.total_pages, *range(self.page - 2, self.page + 3)}
            & set(range(1, self.total_pages + 1))
        )
        links: list[int | None] = []
        for number in pages:
            if links and isinstance(links[-1], int) and number - links[-1] > 1:
                links.append(None)
            links.append(number)
        return links


def _positive_int(value: str | None, default: int) -> int:
    if value is None or not value.isdigit():
        return default
    number = int(value)
    return number if 1 <= number <= 1_000_000 else default


def field_value(row: Row, key: str) -> Any:
    """A row's value for sorting: text case-folded (ISO timestamps keep their order),
    numbers as they are."""
    value = row.get(key)
    return value.casefold() if isinstance(value, str) else value


def sort_rows(rows: Sequence[Row], state: TableState, sort_value: SortValue) -> list[Row]:
    """Sorted by the state's column; rows without a value come last in either direction."""
    keyed = [(sort_value(row, state.sort), row) for row in rows]
    present = [(value, row) for value, row in keyed if value is not None]
    missing = [row for value, row in keyed if value is None]
    present.sort(key=lambda pair: pair[0], reverse=state.descending)
    return [row for _, row in present] + missing


def page_locally(
    state: TableState,
    rows: Sequence[Row],
    query: Mapping[str, str],
    *,
    sort_value: SortValue,
    matches: Matches,
    notice: str | None = None,
) -> TableView:
    kept = [row for row in rows if matches(row, state.filters)] if state.filters else list(rows)
    ordered = sort_rows(kept, state, sort_value)
    pages = max(1, math.ceil(len(ordered) / state.page_size))
    if state.page > pages:
        state = replace(state, page=pages)
    shown = ordered[state.offset : state.offset + state.page_size]
    return TableView(state, shown, len(ordered), query, notice)


async def read_all(fetch: FetchPage) -> tuple[list[Row], int]:
    """Every item of a paged API list (a few pages at a time), and its total."""
    first = await fetch(1, API_PAGE_SIZE)
    total = int(first["total"])
    items: list[Row] = list(first["items"])
    if total <= len(items) or total > MAX_ROWS_READ:
        return items, total
    pages = math.ceil(total / API_PAGE_SIZE)
    limit = asyncio.Semaphore(READ_CONCURRENCY)

    async def one(number: int) -> list[Row]:
        async with limit:
            return list((await fetch(number, API_PAGE_SIZE))["items"])

    for part in await asyncio.gather(*(one(number) for number in range(2, pages + 1))):
        items.extend(part)
    return items, total


async def page_through_api(
    state: TableState,
    query: Mapping[str, str],
    fetch: FetchPage,
    *,
    native_sort: str,
    native_descending: bool,
    native_filters: frozenset[str] = frozenset(),
    sort_value: SortValue,
    matches: Matches,
) -> TableView:
    """One page of a paged API list, read from the API as narrowly as the state allows.

    `fetch(page, page_size)` reads one API page (with the native filters applied);
    the API's order is `native_sort` in the `native_descending` direction."""
    local_filters = set(state.filters) - native_filters
    if state.sort != native_sort or local_filters:
        items, total = await read_all(fetch)
        if total > MAX_ROWS_READ:
            notice = (
                f"This list has {total:,} rows: sorting and filtering by this column work up to "
                f"{MAX_ROWS_READ:,}; it is shown in the API's order."
            )
            return await _native_window(
                replace(state, sort=native_sort, descending=native_descending,
                        filters={k: v for k, v in state.filters.items() if k in native_filters}),
                query, fetch, native_descending, notice,
            )  # fmt: skip
        return page_locally(state, items, query, sort_value=sort_value, matches=matches)
    return await _native_window(state, query, fetch, native_descending, None)


async def _native_window(
    state: TableState,
    query: Mapping[str, str],
    fetch: FetchPage,
    native_descending: bool,
    notice: str | None,
) -> TableView:
    size = state.page_size
    if state.descending == native_descending:
        answer = await fetch(state.page, size)
        total = int(answer["total"])
        pages = max(1, math.ceil(total / size))
        if state.page > pages:
            state = replace(state, page=pages)
            answer = await fetch(state.page, size)
            total = int(answer["total"])
        return TableView(state, list(answer["items"]), total, query, notice)
    # The other direction: the same rows counted from the API list's far end.
    total = int((await fetch(1, 1))["total"])
    pages = max(1, math.ceil(total / size))
    if state.page > pages:
        state = replace(state, page=pages)
    start, end = state.offset, min(state.offset + size, total)
    if end <= start:
        return TableView(state, [], total, query, notice)
    low, high = total - end, total - start  # native indices [low, high)
    first_page, last_page = low // size + 1, (high - 1) // size + 1
    items: list[Row] = []
    for answer in await asyncio.gather(*(fetch(n, size) for n in range(first_page, last_page + 1))):
        items.extend(answer["items"])
    skip = low - (first_page - 1) * size
    window = items[skip : skip + (high - low)]
    window.reverse()
    return TableView(state, window, total, query, notice)
