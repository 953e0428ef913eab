"""`paginate`: one count and one page query, the CS1 envelope, items converted at once."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from orgair_domain.industries.models import Industry
from orgair_domain.industries.seed import SEED_INDUSTRIES
from orgair_domain.pagination import MAX_PAGE_SIZE, Page, PageRequest, paginate

BY_NAME = select(Industry).order_by(Industry.name, Industry.id)
NAMES = sorted(item.name for item in SEED_INDUSTRIES)


def test_pages_cover_the_rows_once_in_order(session: Session) -> None:
    seen: list[str] = []
    for number in (1, 2, 3):
        page = paginate(session, BY_NAME, PageRequest(page=number, page_size=3))
        assert (page.total, page.page, page.page_size, page.total_pages) == (8, number, 3, 3)
        seen += [industry.name for industry in page.items]
    assert seen == NAMES


def test_a_page_past_the_end_is_empty_with_the_total(session: Session) -> None:
    page = paginate(session, BY_NAME, PageRequest(page=4, page_size=3))
    assert page.items == []
    assert (page.total, page.total_pages) == (8, 3)


def test_no_rows_means_no_pages(session: Session) -> None:
    page = paginate(session, BY_NAME.where(Industry.sector == "none"), PageRequest())
    assert (page.items, page.total, page.total_pages) == ([], 0, 0)


def test_the_count_ignores_the_order_and_the_page_runs_two_statements(
    session: Session,
) -> None:
    statements: list[str] = []
    engine = session.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        paginate(session, BY_NAME.where(Industry.h_r_base > 70), PageRequest(page_size=2))
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) == 2
    count, rows = statements
    assert "count(*)" in count.lower() and "order by" not in count.lower()
    assert "limit" in rows.lower() and "order by" in rows.lower()


def test_map_converts_the_items_and_keeps_the_envelope(session: Session) -> None:
    page = paginate(session, BY_NAME, PageRequest(page=2, page_size=5))
    calls: list[int] = []

    def names(rows: list[Industry]) -> list[str]:
        calls.append(len(rows))
        return [row.name for row in rows]

    mapped: Page[str] = page.map(names)
    assert calls == [3]  # all items at once
    assert mapped.items == NAMES[5:]
    assert mapped.model_dump(exclude={"items"}) == page.model_dump(exclude={"items"})


@pytest.mark.parametrize(("page", "page_size"), [(0, 20), (1, 0), (1, MAX_PAGE_SIZE + 1)])
def test_a_page_request_out_of_bounds_is_refused(page: int, page_size: int) -> None:
    with pytest.raises(ValidationError):
        PageRequest(page=page, page_size=page_size)


def test_offset() -> None:
    assert PageRequest(page=3, page_size=20).offset == 40
