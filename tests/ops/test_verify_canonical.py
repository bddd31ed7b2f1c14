"""The canonical forms agree across sides: each database's SQL and DuckDB over Parquet give the text the Python
oracle gives, for doubles by their bits (random bit patterns, subnormals, extremes, -0.0) and for text with
`\\`, `|`, NULL and ''. No Spark: values go straight into each side."""

from __future__ import annotations

import random
import sqlite3
import struct

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data_extractor.config.models import SourceConfig
from data_extractor.source.dialects import parquet_checksum as pq_sql
from data_extractor.source.dialects.base import ColumnInfo
from data_extractor.source.dialects.checksum import checksum_for
from data_extractor.source.dialects.mysql import MySQLDialect
from data_extractor.source.dialects.postgres import PostgresDialect
from data_extractor.source.dialects.sqlite import SQLiteDialect
from data_extractor.source.dialects.sqlite_checksum import canonical_text, md5_int
from mysqlserver import shared_server


def doubles(n: int = 3000, finite_only: bool = False) -> list[float]:
    rng = random.Random(7)
    out = [0.0, -0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 2.225073858507201e-308, 1.7976931348623157e308,
           -1.7976931348623157e308, 1e23, 0.1, 1.0, 2.0, 0.5, 2**53 + 0.0, 3.4028234663852886e38]
    if not finite_only:
        out += [float("inf"), float("-inf")]
    while len(out) < n:
        x = struct.unpack(">d", struct.pack(">Q", rng.getrandbits(64)))[0]
        if x == x and abs(x) != float("inf"):
            out.append(x)
    return out


TEXTS = ["", "\\N", "a|b", "a\\|b", "\\", "|", "é😀中文", "tab\tnew\nline", "quote ' \"", None]


def _expected(kind: str, values: list) -> list:
    return [canonical_text(kind, v) for v in values]


def _duckdb(tmp_path, arrow_type: pa.DataType, spark_type: str, values: list) -> list:
    path = tmp_path / "v.parquet"
    pq.write_table(pa.table({"v": pa.array(values, arrow_type)}), path)
    con = pq_sql.connect()
    return [r[0] for r in con.execute(pq_sql.rows_sql([str(path)], [("v", spark_type)])).fetchall()]


def test_duckdb_renders_doubles_and_text_like_the_oracle(tmp_path):
    values = doubles() + [None]
    assert _duckdb(tmp_path, pa.float64(), "double", values) == _expected("float", values)
    assert _duckdb(tmp_path, pa.string(), "string", TEXTS) == _expected("string", TEXTS)


def test_row_hashes_agree_between_duckdb_and_the_oracle(tmp_path):
    path = tmp_path / "r.parquet"
    pq.write_table(pa.table({"k": pa.array([1, 2, 3]), "t": pa.array(["", None, "a|b"])}), path)
    con = pq_sql.connect()
    got = con.execute(f"SELECT {pq_sql.row_hash([('k', 'bigint'), ('t', 'string')])} FROM "
                      f"{pq_sql.files_source([str(path)])} ORDER BY k").fetchall()
    assert [g[0] for g in got] == [md5_int("1|"), md5_int("2|\\N"), md5_int("3|a\\|b")]


def _run(dialect, conn, column: ColumnInfo, table: str) -> list:
    cs = checksum_for(dialect)
    cs.prepare(conn)
    sql = f"SELECT {cs.canonical(dialect.quote('v'), column)} FROM {table} ORDER BY i"
    return [r[0] for r in dialect.fetch_all(conn, sql)]


def test_postgres_renders_doubles_and_text_like_the_oracle(pg, pg_conn):
    values = doubles() + [float("nan"), None]
    pg_conn.execute("DROP TABLE IF EXISTS canon_f, canon_t")
    pg_conn.execute("CREATE TABLE canon_f (i int, v float8)")
    pg_conn.execute("CREATE TABLE canon_t (i int, v text)")
    with pg_conn.cursor() as cur:
        cur.executemany("INSERT INTO canon_f VALUES (%s, %s)", list(enumerate(values)))
        cur.executemany("INSERT INTO canon_t VALUES (%s, %s)", list(enumerate(TEXTS)))
    dialect = PostgresDialect(SourceConfig(**pg.source()))
    conn = dialect.connect()
    try:
        got = _run(dialect, conn, ColumnInfo("v", "double precision", "double"), "canon_f")
        assert got == _expected("float", values)
        assert _run(dialect, conn, ColumnInfo("v", "text", "string"), "canon_t") == _expected("string", TEXTS)
    finally:
        conn.close()


def test_mariadb_computes_the_bits_of_every_double_exactly(request):
    server = shared_server(request.config)
    values = [v for v in doubles(finite_only=True) if not (v == 0 and str(v).startswith("-"))] + [None]
    server.execute("DROP TABLE IF EXISTS canon_f", "CREATE TABLE canon_f (i INT, v DOUBLE)",
                   "DROP TABLE IF EXISTS canon_t",
                   "CREATE TABLE canon_t (i INT, v TEXT CHARACTER SET utf8mb4) CHARACTER SET utf8mb4")
    conn = server.admin()
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO canon_f VALUES (%s, %s)", list(enumerate(values)))
        cur.executemany("INSERT INTO canon_t VALUES (%s, %s)", list(enumerate(TEXTS)))
    conn.commit()
    conn.close()
    dialect = MySQLDialect(SourceConfig(**server.source()))
    conn = dialect.connect()
    try:
        got = _run(dialect, conn, ColumnInfo("v", "double", "double"), "canon_f")
        assert got == _expected("float", values)
        assert _run(dialect, conn, ColumnInfo("v", "text", "string"), "canon_t") == _expected("string", TEXTS)
    finally:
        conn.close()


@pytest.mark.parametrize("kind", ["double", "string"])
def test_sqlite_renders_like_the_oracle(tmp_path, kind):
    # SQLite stores -0.0 as the integer 0 (it keeps no negative zero), so it is left out
    values = [v for v in doubles() if struct.pack(">d", v) != struct.pack(">d", -0.0)] + [None] \
        if kind == "double" else TEXTS
    db = tmp_path / "c.db"
    with sqlite3.connect(db) as c:
        c.execute(f"CREATE TABLE canon (i INTEGER, v {'REAL' if kind == 'double' else 'TEXT'})")
        c.executemany("INSERT INTO canon VALUES (?, ?)", list(enumerate(values)))
    dialect = SQLiteDialect(SourceConfig(type="sqlite", path=str(db)))
    conn = dialect.connect()
    try:
        got = _run(dialect, conn, ColumnInfo("v", kind, kind), "canon")
    finally:
        conn.close()
    assert got == _expected("float" if kind == "double" else "string", values)


def test_postgres_text_hash_is_mirrored_on_the_parquet_side(pg_conn):
    """`hashtextextended` (PostgreSQL's row hash) equals `pg_hash`, vectorised and one by one, at every length."""
    from data_extractor.source.dialects.pg_hash import VECTOR_MAX, hash_one, string_hashes

    rng = random.Random(3)
    texts = [""] + ["".join(rng.choice("ab|\\é😀\x01") for _ in range(n)) for n in range(1, 80)]
    texts += ["x" * (VECTOR_MAX + 7), "€" * 1000]
    got = [pg_conn.execute("SELECT hashtextextended(%s COLLATE \"C\", 0)", (t,)).fetchone()[0] for t in texts]
    assert [hash_one(t.encode()) for t in texts] == got
    assert string_hashes(pa.array(texts)).tolist() == got
    assert string_hashes(pa.array(texts[::-1]).slice(3)).tolist() == got[::-1][3:]


def test_parquet_side_sums_of_text_hashes_are_exact_per_partition_and_segment():
    """`sum_texts` (numpy, float64 bincounts of 32-bit halves) equals Python's exact sums of `hash_one`."""
    from data_extractor.ops.verify.sums import sum_texts
    from data_extractor.source.dialects.pg_hash import hash_one

    rng = random.Random(5)
    rows = [(rng.randrange(3), rng.randrange(40), "".join(rng.choice("xy|é") for _ in range(rng.randrange(60))))
            for _ in range(20_000)]
    batch = pa.RecordBatch.from_arrays([pa.array([r[0] for r in rows], pa.int32()),
                                        pa.array([r[1] for r in rows], pa.int32()), pa.array([r[2] for r in rows])],
                                       ["p", "s", "t"])
    expected: dict[tuple[int, int], tuple[int, int]] = {}
    for p, s, t in rows:
        n, h = expected.get((p, s), (0, 0))
        expected[(p, s)] = (n + 1, h + hash_one(t.encode()))
    assert sum_texts([batch.slice(0, 7_000), batch.slice(7_000)]) == expected
