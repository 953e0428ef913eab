"""Roles, each including every permission of the roles below it."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["READ_METHODS", "Role", "minimal_role_for_method"]

# Methods that never change state (RFC 9110 §9.2.1): a viewer may use them.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Role(StrEnum):
    """`viewer` < `analyst` < `reviewer` < `admin`; a role grants what every lower one does.

    Compare with `grants`, never with ``<``: a `StrEnum` would compare the names
    alphabetically.
    """

    VIEWER = "viewer"
    ANALYST = "analyst"
    REVIEWER = "reviewer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def grants(self, required: Role) -> bool:
        """True when a caller holding this role may do what `required` may."""
        return self.rank >= required.rank


_RANKS = {role: rank for rank, role in enumerate(Role)}


def minimal_role_for_method(method: str) -> Role:
    """The least role any endpoint asks for a method: reads are for viewers, writes for analysts."""
    return Role.VIEWER if method.upper() in READ_METHODS else Role.ANALYST
