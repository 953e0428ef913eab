"""A read-only mapping for the dict-valued fields of frozen models.

Pydantic's `frozen=True` stops attribute assignment but not `params.weights["x"] = 1`;
a parameter profile whose contents could change after its hash was taken would let
a stored score claim numbers it was not computed with. `types.MappingProxyType`
would do, but it cannot be pickled or deep-copied, which `model_copy(deep=True)`
and process pools need.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

KeyT = TypeVar("KeyT")
ValueT = TypeVar("ValueT")


class FrozenMapping(Mapping[KeyT, ValueT]):
    """An immutable dict (equality as a mapping, never hashable, picklable)."""

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[KeyT, ValueT]) -> None:
        self._items = dict(items)

    def __getitem__(self, key: KeyT) -> ValueT:
        return self._items[key]

    def __iter__(self) -> Iterator[KeyT]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return repr(self._items)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self._items,))
