"""The tables the user marked, in the order they were marked."""

from __future__ import annotations

from collections.abc import Iterator


class Selection:
    """An ordered set of table names (as the engine takes them).

    Example:
        >>> s = Selection()
        >>> s.toggle("public.orders")
        True
        >>> list(s)
        ['public.orders']
    """

    def __init__(self) -> None:
        self._names: dict[str, None] = {}

    def toggle(self, name: str) -> bool:
        """Mark `name`, or unmark it if it was marked. Returns whether it is marked now."""
        if name in self._names:
            del self._names[name]
            return False
        self._names[name] = None
        return True

    def clear(self) -> None:
        self._names.clear()

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)

    def summary(self, limit: int = 3) -> str:
        names = list(self._names)
        shown = ", ".join(names[:limit])
        return shown + (f" and {len(names) - limit:,} more" if len(names) > limit else "")
