"""The dialect registry: which source types exist, by name, bundled or third-party (entry points).

A dialect is registered under the ``data_extractor.dialects`` entry point group::

    [project.entry-points."data_extractor.dialects"]
    mydb = "my_package.dialect:MyDialect"

The bundled dialects are registered exactly that way in this project's pyproject.toml; the table
below is only a fallback for running from a source tree that was never installed. The registry sits
with the config because validating `source.type` needs it; loading a class imports its module by name.
"""

from __future__ import annotations

import importlib
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from data_extractor.source.dialects.base import Dialect

GROUP = "data_extractor.dialects"
_BUILTIN = {
    "sqlite": "data_extractor.source.dialects.sqlite:SQLiteDialect",
    "postgres": "data_extractor.source.dialects.postgres:PostgresDialect",
    "oracle": "data_extractor.source.dialects.oracle:OracleDialect",
    "mysql": "data_extractor.source.dialects.mysql:MySQLDialect",
    "sqlserver": "data_extractor.source.dialects.sqlserver:SQLServerDialect",
    "jdbc": "data_extractor.source.dialects.jdbc:JdbcDialect",
}
_ALIASES = {"postgresql": "postgres", "pg": "postgres", "sqlite3": "sqlite", "mariadb": "mysql", "mssql": "sqlserver"}


@cache
def available_dialects() -> dict[str, str]:
    """Dialect name -> "module:Class" for every registered dialect."""
    found = dict(_BUILTIN)
    for ep in entry_points(group=GROUP):
        found[ep.name.lower()] = ep.value
    return found


def canonical_name(name: str) -> str:
    name = name.strip().lower()
    return _ALIASES.get(name, name)


@cache
def dialect_class(name: str) -> type[Dialect]:
    target = available_dialects()[canonical_name(name)]
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)
