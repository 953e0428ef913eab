from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UpdatedAt, UUIDPrimaryKey, utcnow

# A company is at most once an active member of a fund. Partial unique index where the
# database has them (SQLite, Postgres); the service checks the same rule everywhere.
ACTIVE_MEMBERSHIP = "removed_at IS NULL"


class Fund(UUIDPrimaryKey, CreatedAt, Base):
    """A portfolio of companies. Soft-deleted like companies: history keeps pointing at it."""

    __tablename__ = "funds"
    # The warehouse export reads changes in this order.
    __table_args__ = (Index(None, "updated_at", "id"),)

    name: Mapped[str] = mapped_column(String(255), doc="Fund name")
    description: Mapped[str | None] = mapped_column(Text, doc="Free text")
    created_by: Mapped[str | None] = mapped_column(String(64), doc="API key id that created it")
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, doc="When the row last changed"
    )
    is_deleted: Mapped[bool] = mapped_column(default=False, doc="Soft-deleted (DELETE)")


class FundMembership(UUIDPrimaryKey, UpdatedAt, Base):
    """One interval during which a company was in a fund with a given enterprise value.

    Rows are closed (`removed_at`), never deleted or edited otherwise: removing a company
    closes its interval, and a new EV closes the old interval and opens one at the same
    instant. So the fund as it was at any moment is `added_at <= t < removed_at`.
    """

    __tablename__ = "fund_memberships"
    __table_args__ = (
        # The warehouse export reads changes in this order.
        Index(None, "updated_at", "id"),
        CheckConstraint("ev_usd IS NULL OR ev_usd >= 0", name="ev_usd_non_negative"),
        CheckConstraint("removed_at IS NULL OR removed_at >= added_at", name="removed_after_added"),
        Index(None, "fund_id", "added_at"),
        Index(
            "uq_fund_memberships_active_company",
            "fund_id",
            "company_id",
            unique=True,
            sqlite_where=text(ACTIVE_MEMBERSHIP),
            postgresql_where=text(ACTIVE_MEMBERSHIP),
        ),
    )

    fund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("funds.id"), doc="funds.id")
    company_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("companies.id"), index=True, doc="companies.id"
    )
    ev_usd: Mapped[float | None] = mapped_column(
        Float, doc="Enterprise value in USD during the interval (weights Fund-AI-R)"
    )
    added_at: Mapped[datetime] = mapped_column(doc="Start of the interval (inclusive)")
    removed_at: Mapped[datetime | None] = mapped_column(
        doc="End of the interval (exclusive); empty while the company is in the fund"
    )
    added_by: Mapped[str | None] = mapped_column(String(64), doc="API key id that added it")
    removed_by: Mapped[str | None] = mapped_column(String(64), doc="API key id that closed it")
