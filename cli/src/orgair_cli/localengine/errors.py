"""The one error the local engine raises: a readable line naming the step that failed."""

from __future__ import annotations


class EngineError(RuntimeError):
    """Installing, starting or using the local Docker engine failed; the message says how."""
