from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UUIDPrimaryKey, utcnow


class Company(UUIDPrimaryKey, CreatedAt, Base):
    """A portfolio company. Soft-deleted (`is_deleted`), never removed."""

    __tablename__ = "companies"
    __table_args__ = (
        # The warehouse export reads changes in this order.
        Index(None, "updated_at", "id"),
        CheckConstraint(
            "position_factor >= -1 AND position_factor <= 1", name="position_factor_range"
        ),
    )

    name: Mapped[str] = mapped_column(String(255), doc="Company name")
    ticker: Mapped[str | None] = mapped_column(String(10), doc="Ticker, upper case (≤ 10)")
    industry_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("industries.id"), index=True, doc="industries.id"
    )
    position_factor: Mapped[float] = mapped_column(
        Float, default=0.0, doc="Position factor as entered on the company, -1..1"
    )
    is_deleted: Mapped[bool] = mapped_column(default=False, doc="Soft-deleted (DELETE)")
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, doc="When the row last changed"
    )
