"""Browse the source: schemas, tables, columns and estimates, through the DB-API driver (never Spark).

Every name the user gives is resolved against the catalog, so only names the database itself
reported are ever quoted into SQL.
"""

from __future__ import annotations

import difflib
import fnmatch
import threading
from typing import Any

from data_extractor.errors import UserError
from data_extractor.source.dialects.base import ColumnInfo, Dialect, TableInfo, TableRef


def split_name(name: str) -> tuple[str | None, str]:
    """`schema.table`, `table`, or with double-quoted parts (`"my.schema"."T"`)."""
    parts, buf, quoted, i = [], "", False, 0
    text = name.strip()
    while i < len(text):
        ch = text[i]
        if ch == '"':
            if quoted and i + 1 < len(text) and text[i + 1] == '"':
                buf += '"'
                i += 1
            else:
                quoted = not quoted
        elif ch == "." and not quoted:
            parts.append(buf)
            buf = ""
        else:
            buf += ch
        i += 1
    parts.append(buf)
    if quoted or len(parts) > 2 or not all(parts):
        raise UserError(f"table name {name!r} is not of the form table or schema.table")
    return (parts[0], parts[1]) if len(parts) == 2 else (None, parts[0])


class Catalog:
    """Metadata queries on the source. Safe to call from worker threads (one connection per thread)."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._local = threading.local()
        self._lock = threading.Lock()
        self._conns: list[Any] = []

    def connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self.dialect.connect()
            self._local.conn = conn
            with self._lock:
                self._conns.append(conn)
        return conn

    def close(self) -> None:
        with self._lock:
            for conn in self._conns:
                try:
                    conn.close()
                except Exception:  # noqa: BLE001 - closing is best effort
                    pass
            self._conns.clear()
        self._local = threading.local()

    def schemas(self) -> list[str]:
        return self.dialect.schemas(self.connection())

    def default_schema(self) -> str | None:
        return self.dialect.default_schema(self.connection())

    def tables(self, schema: str | None = None, pattern: str | None = None) -> list[TableInfo]:
        """Tables of a schema (the default one when None), filtered by a glob or substring, any case."""
        found = self.dialect.tables(self.connection(), schema or self.default_schema())
        if not pattern:
            return found
        pat = pattern.lower()
        glob = any(c in pat for c in "*?[")
        return [t for t in found if (fnmatch.fnmatch(t.name.lower(), pat) if glob else pat in t.name.lower())]

    def resolve(self, name: str | TableRef) -> TableRef:
        """The catalog's own spelling of a table name, or a UserError suggesting close matches."""
        if isinstance(name, TableRef):
            schema, table = name.schema, name.name
        else:
            schema, table = split_name(name)
        if schema is None:
            schema = self.default_schema()
        elif schema not in (schemas := self.schemas()):
            lowered = [s for s in schemas if s.lower() == schema.lower()]
            if len(lowered) != 1:
                raise UserError(f"schema {schema!r} was not found{_suggest(schema, schemas)}")
            schema = lowered[0]
        names = self.dialect.table_names(self.connection(), schema)
        if table in names:
            return TableRef(schema, table)
        lowered = [n for n in names if n.lower() == table.lower()]
        if len(lowered) == 1:
            return TableRef(schema, lowered[0])
        raise UserError(f"table {table!r} was not found in schema {schema!r}{_suggest(table, names)}")

    def columns(self, table: str | TableRef) -> list[ColumnInfo]:
        """Columns of a table name (resolved first) or of a TableRef the catalog gave (used as it is)."""
        ref = table if isinstance(table, TableRef) else self.resolve(table)
        return self.columns_of(ref)

    def columns_of(self, table: TableRef) -> list[ColumnInfo]:
        """A resolved table's columns, or a custom query's result columns."""
        if table.query:
            try:
                return self.dialect.query_columns(self.connection(), table.query)
            except UserError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database's own words about the query
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise UserError(f"the query of {table.name} does not run: {first}; fix its SQL") from None
        return self.dialect.columns(self.connection(), table)

    def select_columns(self, table: TableRef, wanted: list[str] | None) -> list[ColumnInfo]:
        """The columns to extract: all, or the listed ones checked against the catalog (any case)."""
        cols = self.columns_of(table)
        if not wanted:
            return cols
        by_name = {c.name: c for c in cols}
        by_lower: dict[str, list[ColumnInfo]] = {}
        for c in cols:
            by_lower.setdefault(c.name.lower(), []).append(c)
        out = []
        for w in wanted:
            col = by_name.get(w) or (by_lower.get(w.lower(), [None])[0] if len(by_lower.get(w.lower(), [])) == 1
                                     else None)
            if col is None:
                raise UserError(f"column {w!r} was not found in table {table}"
                                f"{_suggest(w, list(by_name), f'data-extractor browse --table {table}', 'columns')}")
            out.append(col)
        return out

    def estimate(self, table: str | TableRef) -> TableInfo:
        if isinstance(table, TableRef) and table.query:
            rows = self.dialect.fetch_one(self.connection(), self.dialect.count_sql(table))[0]
            return TableInfo(None, table.name, int(rows), None, "query")
        ref = table if isinstance(table, TableRef) else self.resolve(table)
        return self.dialect.table_info(self.connection(), ref)


def _suggest(word: str, choices: list[str], browse: str = "data-extractor browse", what: str = "tables") -> str:
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=3, cutoff=0.6)
    if close:
        return "; did you mean " + " or ".join(repr(lowered[c]) for c in close) + "?"
    return f"; list the {what} with `{browse}`" if choices else ""
