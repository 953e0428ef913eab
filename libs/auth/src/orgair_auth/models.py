"""The `api_keys` table: everything about a key except the key itself."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from orgair_auth.roles import Role
from orgair_database import Base, CreatedAt, UpdatedAt, UUIDPrimaryKey, secret

__all__ = ["ApiKey"]

_ROLE_VALUES = ", ".join(f"'{role.value}'" for role in Role)


class ApiKey(UUIDPrimaryKey, CreatedAt, UpdatedAt, Base):
    """One issued key. `key_digest` is HMAC-SHA256 of the key; the key is never stored.

    The digest and the hint are `secret()`: they stay in the system of record (the
    warehouse gets the key's metadata only).
    """

    __tablename__ = "api_keys"
    __table_args__ = (
        # The warehouse export reads changes in this order.
        Index(None, "updated_at", "id"),
        CheckConstraint(f"role IN ({_ROLE_VALUES})", name="role_known"),
    )

    name: Mapped[str] = mapped_column(String(100), doc="Who or what uses the key")
    role: Mapped[str] = mapped_column(String(20), doc="viewer | analyst | reviewer | admin")
    key_digest: Mapped[str] = mapped_column(String(64), unique=True, info=secret())
    # The key's last characters, so owners can tell their keys apart in a listing.
    hint: Mapped[str] = mapped_column(String(8), info=secret())
    expires_at: Mapped[datetime | None] = mapped_column(default=None, doc="When it stops working")
    revoked_at: Mapped[datetime | None] = mapped_column(default=None, doc="When it was revoked")

    def __repr__(self) -> str:
        # No digest: it is not the key, but it is still nothing to print.
        return f"ApiKey(id={self.id!s}, name={self.name!r}, role={self.role!r})"
