"""Server-side sorting, filtering and paging (orgair_gateway.dashboard.tables).

The paged source here is a list served in the API's page envelope by the same rules as
scoring's `Page.build` (1-based pages, `total`, `total_pages`), so the window arithmetic
is checked against every page size and direction.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Mapping
from typing import Any

import pytest

from orgair_gateway.dashboard import tables
from orgair_gateway.dashboard.tables import (
    Choice,
    Column,
    Filter,
    TableSpec,
    page_locally,
    page_through_api,
)

SPEC = TableSpec(
    "t", "Things",
    (Column("name", "Name"), Column("score", "Score", numeric=True), Column("n", "N")),
    default_sort="n",
    filters=(Filter("q", "Name contains"),
             Filter("kind", "Kind", (Choice("a", "A"), Choice("b", "B")))),
    page_sizes=(10, 25),
)  # fmt: skip


def rows(count: int) -> list[dict[str, Any]]:
    return [
        {"n": i, "name": f"Item {i:03d}", "score": None if i % 7 == 0 else (i * 37) % 101,
         "kind": "a" if i % 2 else "b"}
        for i in range(count)
    ]  # fmt: skip


class PagedList:
    """An API list of `items` in its native order, answering page requests like scoring."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.calls: list[tuple[int, int]] = []

    async def fetch(self, page: int, size: int) -> Mapping[str, Any]:
        self.calls.append((page, size))
        start = (page - 1) * size
        return {
            "items": self.items[start : start + size],
            "total": len(self.items),
            "page": page,
            "page_size": size,
            "total_pages": math.ceil(len(self.items) / size) if self.items else 0,
        }


def value(row: Mapping[str, Any], key: str) -> Any:
    return row.get(key)


def matches(row: Mapping[str, Any], filters: Mapping[str, str]) -> bool:
    if "q" in filters and filters["q"].casefold() not in row["name"].casefold():
        return False
    return "kind" not in filters or row["kind"] == filters["kind"]


def view(query: dict[str, str], source: PagedList) -> tables.TableView:
    return asyncio.run(
        page_through_api(SPEC.read(query), query, source.fetch, native_sort="n",
                         native_descending=False, sort_value=value, matches=matches)
    )  # fmt: skip


@pytest.mark.parametrize("count", [0, 1, 9, 10, 11, 53])
@pytest.mark.parametrize("size", [10, 25])
@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_the_apis_order_is_read_a_page_at_a_time_either_way(
    count: int, size: int, direction: str
) -> None:
    items = rows(count)
    expected = items if direction == "asc" else items[::-1]
    pages = max(1, math.ceil(count / size))
    for page in range(1, pages + 1):
        source = PagedList(items)
        shown = view({"t_page": str(page), "t_size": str(size), "t_dir": direction}, source)
        assert list(shown.rows) == expected[(page - 1) * size : page * size]
        assert shown.total == count
        assert shown.total_pages == pages
        # Never the whole list: at most a count and the two pages around the window.
        assert len(source.calls) <= 3
        assert all(call_size in {1, size} for _, call_size in source.calls)


def test_a_page_past_the_end_shows_the_last_page() -> None:
    shown = view({"t_page": "99", "t_size": "10"}, PagedList(rows(23)))
    assert shown.page == 3
    assert [row["n"] for row in shown.rows] == [20, 21, 22]


def test_another_sort_or_filter_reads_the_whole_list_and_pages_here() -> None:
    items = rows(240)
    source = PagedList(items)
    shown = view({"t_sort": "score", "t_dir": "desc", "t_q": "item 1", "t_size": "25"}, source)
    kept = [row for row in items if "item 1" in row["name"].casefold()]
    scored = sorted((r for r in kept if r["score"] is not None), key=lambda r: -r["score"])
    assert [row["n"] for row in shown.rows] == [row["n"] for row in scored[:25]]
    assert shown.total == len(kept)
    assert {size for _, size in source.calls} == {tables.API_PAGE_SIZE}
    assert len(source.calls) == 3  # 240 rows in pages of 100


def test_rows_without_a_value_sort_last_in_both_directions() -> None:
    items = rows(15)
    for direction in ("asc", "desc"):
        shown = page_locally(
            SPEC.read({"t_sort": "score", "t_dir": direction, "t_size": "25"}), items, {},
            sort_value=value, matches=matches,
        )  # fmt: skip
        scores = [row["score"] for row in shown.rows]
        assert scores[-3:] == [None, None, None]
        present = scores[:-3]
        assert present == sorted(present, reverse=direction == "desc")


def test_too_long_a_list_keeps_the_apis_order_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tables, "MAX_ROWS_READ", 150)
    shown = view({"t_sort": "score", "t_kind": "a"}, PagedList(rows(200)))
    assert shown.notice and "200 rows" in shown.notice
    assert shown.state.sort == "n"
    assert [row["n"] for row in shown.rows] == list(range(10))


def test_bad_query_values_fall_back_to_defaults() -> None:
    state = SPEC.read({"t_page": "-3", "t_size": "7", "t_sort": "secret", "t_dir": "sideways",
                       "t_kind": "c", "t_q": "  " + "x" * 500})  # fmt: skip
    assert (state.page, state.page_size, state.sort, state.descending) == (1, 10, "n", False)
    assert "kind" not in state.filters
    assert state.filters["q"] == "x" * tables.MAX_FILTER_LENGTH


def test_links_keep_the_other_tables_state() -> None:
    query = {"t_sort": "name", "t_q": "item", "other_page": "4"}
    shown = page_locally(SPEC.read(query), rows(40), query, sort_value=value, matches=matches)
    assert "other_page=4" in shown.page_href(2) and "t_page=2" in shown.page_href(2)
    assert shown.page_href(2).endswith("#t-table")
    assert "t_q" not in shown.clear_href() and "other_page=4" in shown.clear_href()
    # Sorting again by the same column turns the direction round; a new sort starts on page 1.
    resort = shown.sort_href(SPEC.columns[0])
    assert "t_dir=desc" in resort and "t_page" not in resort
    assert shown.aria_sort(SPEC.columns[0]) == "ascending"
    hidden = dict(shown.hidden_fields())
    assert hidden["other_page"] == "4" and hidden["t_sort"] == "name" and "t_q" not in hidden


def test_page_links_show_the_ends_and_the_neighbourhood() -> None:
    shown = page_locally(SPEC.read({"t_page": "10"}), rows(300), {"t_page": "10"},
                         sort_value=value, matches=matches)  # fmt: skip
    assert shown.page_links() == [1, None, 8, 9, 10, 11, 12, None, 30]
