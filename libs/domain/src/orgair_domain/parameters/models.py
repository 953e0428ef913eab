from __future__ import annotations

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, UUIDPrimaryKey


class ParameterProfile(UUIDPrimaryKey, CreatedAt, Base):
    """Every parameter set a score was computed with, or an admin created.

    Rows are never updated: a score points at the exact numbers it used. `v2.0` gets
    a new row whenever the deployment's W_*/alpha/beta settings change its numbers.
    """

    __tablename__ = "parameter_profiles"
    __table_args__ = (UniqueConstraint("version", "parameters_hash"),)

    version: Mapped[str] = mapped_column(String(64), index=True)
    parameters_hash: Mapped[str] = mapped_column(String(64))
    parameters: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(String(64))
