from __future__ import annotations

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from orgair_database import Base, CreatedAt, JSONText, UUIDPrimaryKey, append_only


class ParameterProfile(UUIDPrimaryKey, CreatedAt, Base):
    """Every parameter set a score was computed with, or an admin created.

    Rows are never updated: a score points at the exact numbers it used. `v2.0` gets
    a new row whenever the deployment's W_*/alpha/beta settings change its numbers.
    A row is keyed by both fingerprints: two profiles of one name that differ only in
    their value-creation constants are two rows (a score records `parameters_hash`
    alone, which those constants never change).
    """

    __tablename__ = "parameter_profiles"
    __table_args__ = (
        # The warehouse export reads changes in this order.
        Index(None, "created_at", "id"),
        # Named: the convention's name would pass PostgreSQL's 63 characters.
        UniqueConstraint(
            "version",
            "parameters_hash",
            "value_creation_hash",
            name="uq_parameter_profiles_version_hashes",
        ),
        {"info": append_only()},
    )

    version: Mapped[str] = mapped_column(
        String(64), index=True, doc="Profile name (v1.0, v2.0 or a custom name)"
    )
    parameters_hash: Mapped[str] = mapped_column(
        String(64), doc="SHA-256 of the canonical parameter set"
    )
    value_creation_hash: Mapped[str] = mapped_column(
        String(64), doc="SHA-256 of the value-creation constants (EBITDA, plan costs)"
    )
    parameters: Mapped[str] = mapped_column(
        JSONText, doc="The full parameter set (weights, alpha, beta, lambda, delta, sectors, CI)"
    )
    source: Mapped[str] = mapped_column(String(16), doc="builtin | custom")
    created_by: Mapped[str | None] = mapped_column(String(64), doc="API key id (custom profiles)")
