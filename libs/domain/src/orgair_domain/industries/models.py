from __future__ import annotations

from sqlalchemy import CheckConstraint, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UUIDPrimaryKey


class Industry(UUIDPrimaryKey, CreatedAt, Base):
    __tablename__ = "industries"
    __table_args__ = (CheckConstraint("h_r_base >= 0 AND h_r_base <= 100", name="h_r_base_range"),)

    name: Mapped[str] = mapped_column(String(255), unique=True)
    sector: Mapped[str] = mapped_column(String(50))
    h_r_base: Mapped[float] = mapped_column(Float)
