from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UUIDPrimaryKey, append_only


class Industry(UUIDPrimaryKey, CreatedAt, Base):
    """A sector with its baseline H^R (the CS1 reference industries; seeded, never edited
    by the API)."""

    __tablename__ = "industries"
    __table_args__ = (
        # The warehouse export reads changes in this order.
        Index(None, "created_at", "id"),
        CheckConstraint("h_r_base >= 0 AND h_r_base <= 100", name="h_r_base_range"),
        {"info": append_only()},
    )

    name: Mapped[str] = mapped_column(String(255), unique=True, doc="Industry name (unique)")
    sector: Mapped[str] = mapped_column(
        String(50), doc="Sector key (technology, healthcare, …); picks the sector averages"
    )
    h_r_base: Mapped[float] = mapped_column(
        Float, doc="Baseline H^R of the industry, 0..100 (HR_base_k)"
    )
