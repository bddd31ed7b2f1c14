"""Which catalog tables the config lists, matched as the engine resolves names, without a query."""

from __future__ import annotations

from collections.abc import Iterable

from data_extractor.errors import UserError
from data_extractor.source.catalog import split_name
from data_extractor.source.dialects.base import TableInfo

from .formatting import qualified


def configured_in(entries: Iterable[str], default_schema: str | None, schema: str, tables: Iterable[TableInfo]
                  ) -> dict[str, str]:
    """The configured names of `schema`'s tables, by qualified name (`main.orders` -> `orders`).

    A name without a schema is in the default schema; the exact spelling wins, else the one
    table that matches in any case.

    Example:
        >>> configured_in(["orders"], "main", "main", [TableInfo("main", "orders")])
        {'main.orders': 'orders'}
    """
    names = [t.name for t in tables]
    found: dict[str, str] = {}
    for entry in entries:
        try:
            entry_schema, entry_table = split_name(entry)
        except UserError:
            continue
        if (entry_schema or default_schema or "").lower() != (schema or "").lower():
            continue
        same = [n for n in names if n == entry_table] or [n for n in names if n.lower() == entry_table.lower()]
        if len(same) == 1:
            found[qualified(schema, same[0])] = entry
    return found
