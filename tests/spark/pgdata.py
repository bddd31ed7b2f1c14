"""Tables with every common PostgreSQL type, and an independent comparison of Parquet with the source."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pyarrow.parquet as pq

TYPED_DDL = """
CREATE TABLE {name} (
  id bigint PRIMARY KEY, small smallint, i integer, amount numeric(12,2), big numeric(38,0),
  score double precision, ratio real, flag boolean, label text, code varchar(16), created timestamp,
  created_tz timestamptz, day date, payload bytea, uid uuid, doc jsonb, tags text[]
)"""

TYPED_FILL = """
INSERT INTO {name}
SELECT g, (g % 32000)::smallint, g * 7, (g * 1.25)::numeric(12,2), (g::numeric * 10^30)::numeric(38,0),
       g / 3.0, (g % 100) / 8.0, g % 2 = 0,
       CASE WHEN g % 10 = 0 THEN NULL ELSE 'näme ' || g || ' 🚀 مرحبا' END, 'C' || (g % 97),
       TIMESTAMP '2024-03-31 01:30:00' + g * interval '17 minutes',
       TIMESTAMPTZ '2024-10-27 00:30:00+00' + g * interval '13 minutes',
       DATE '2000-01-01' + (g % 9000), decode(md5(g::text), 'hex'), md5(g::text)::uuid,
       jsonb_build_object('g', g, 'name', 'x' || g), ARRAY['a' || g, 'b']
FROM generate_series(1, {rows}) g"""


def make_typed(conn, name: str, rows: int) -> None:
    conn.execute(f"DROP TABLE IF EXISTS {name}")
    conn.execute(TYPED_DDL.format(name=name))
    conn.execute(TYPED_FILL.format(name=name, rows=rows))
    conn.execute(f"ANALYZE {name}")


def source_rows(conn, name: str) -> list[tuple]:
    cols = ("id, small, i, amount, big, score, ratio, flag, label, code, created, created_tz, day, payload, "
            "uid::text, doc::text, tags::text")
    return conn.execute(f"SELECT {cols} FROM {name} ORDER BY id").fetchall()


def make_events(conn, name: str, start: dt.datetime, days: float, rows: int) -> None:
    """`rows` events spread evenly over `days` from `start` (for windows of `updated_at`)."""
    conn.execute(f"DROP TABLE IF EXISTS {name}")
    conn.execute(f"CREATE TABLE {name} (id bigint PRIMARY KEY, updated_at timestamp NOT NULL, v text)")
    step = days * 86400 / rows
    conn.execute(f"INSERT INTO {name} SELECT g, TIMESTAMP '{start:%Y-%m-%d %H:%M:%S}' + (g - 1) * interval '{step} "
                 f"seconds', 'v' || g FROM generate_series(1, {rows}) g")
    conn.execute(f"CREATE INDEX ON {name} (updated_at)")
    conn.execute(f"ANALYZE {name}")


def change_day_two(conn, name: str) -> None:
    """Updates, deletes and inserts on 2026-01-02 of a `make_events` table (starting 2026-01-01)."""
    conn.execute(f"UPDATE {name} SET v = 'changed' WHERE updated_at >= '2026-01-02' AND id % 7 = 0 "
                 "AND updated_at < '2026-01-03'")
    conn.execute(f"DELETE FROM {name} WHERE updated_at >= '2026-01-02 06:00' AND updated_at < '2026-01-02 07:00'")
    conn.execute(f"INSERT INTO {name} SELECT 1000000 + g, TIMESTAMP '2026-01-02 12:00', 'new' "
                 "FROM generate_series(1, 100) g")


def assert_parquet_equals_source(conn, name: str, folder: str, filesystem=None) -> None:
    assert_table_equals_source(conn, name, pq.read_table(folder, filesystem=filesystem))


def assert_table_equals_source(conn, name: str, table) -> None:
    """An Arrow table (a Parquet folder, a Delta or Iceberg scan) equals the typed source table value by value."""
    table = table.sort_by("id")
    out = [tuple(r.values()) for r in table.to_pylist()]
    src = source_rows(conn, name)
    assert len(out) == len(src), (len(out), len(src))
    for s_row, p_row in zip(src, out, strict=True):
        for col, s, p in zip(table.column_names, s_row, p_row, strict=True):
            if isinstance(s, dt.datetime) and s.tzinfo is not None:
                assert p == s and p.tzinfo is not None, (col, s, p)
            elif isinstance(s, memoryview):
                assert p == bytes(s), col
            elif isinstance(s, Decimal):
                assert p == s and isinstance(p, Decimal), (col, s, p)
            else:
                assert p == s, (col, s, p)
