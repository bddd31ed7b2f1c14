"""Extraction from a real MariaDB into Parquet, checked value by value against an independent PyMySQL read."""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from data_extractor import Extractor
from data_extractor.errors import UserError
from manifests import read_manifest
from mysqlserver import MariaDBServer, shared_server

pytestmark = pytest.mark.spark

TYPED_DDL = """
CREATE TABLE typed (
  id BIGINT PRIMARY KEY, flag TINYINT(1), tiny TINYINT, utiny TINYINT UNSIGNED, small SMALLINT,
  usmall SMALLINT UNSIGNED, medium MEDIUMINT, umedium MEDIUMINT UNSIGNED, i INT, ui INT UNSIGNED, big BIGINT,
  ubig BIGINT UNSIGNED, amount DECIMAL(12,2), wide DECIMAL(38,10), ratio FLOAT, score DOUBLE, bit1 BIT(1),
  bits BIT(12), bit64 BIT(64), day DATE, created DATETIME(6), seen TIMESTAMP(6) NULL, span TIME(3), yr YEAR,
  label VARCHAR(100), code CHAR(4), note TEXT, emoji VARCHAR(20) CHARACTER SET utf8mb4,
  color ENUM('red', 'green', 'blue'), tags SET('a', 'b', 'c'), doc JSON, payload BLOB, raw VARBINARY(16),
  fixed BINARY(4)
) CHARACTER SET utf8mb4"""

TYPED_FILL = """
INSERT INTO typed SELECT seq, seq % 2, seq % 256 - 128, seq % 256, seq % 65536 - 32768, seq % 65536,
  seq * 7 - 8000000, seq * 13, seq * 1000 - 2000000000, seq * 200000, seq * 1000003 - 9000000000000000000,
  18446744073709551615 - seq, seq * 1.25, seq * 123456789.0123456789, seq * 1.25 + 0.5, seq / 7, seq % 2,
  seq % 4096, seq * 1000000007, DATE '2000-01-01' + INTERVAL (seq % 9000) DAY,
  TIMESTAMP '2024-03-31 01:30:00' + INTERVAL seq * 17 MINUTE + INTERVAL seq MICROSECOND,
  TIMESTAMP '2024-10-27 00:30:00' + INTERVAL seq * 13 MINUTE, SEC_TO_TIME(seq * 37.125 - 300000), 1901 + seq % 255,
  CASE WHEN seq % 10 = 0 THEN NULL ELSE CONCAT('näme ', seq, ' 🚀 مرحبا') END, CONCAT('C', seq % 97),
  REPEAT('é', seq % 50), CONCAT('😀', seq % 10, '👍🏽'), ELT(1 + seq % 3, 'red', 'green', 'blue'),
  ELT(1 + seq % 4, '', 'a', 'a,c', 'a,b,c'), JSON_OBJECT('g', seq, 'name', CONCAT('x', seq)), UNHEX(MD5(seq)),
  LEFT(UNHEX(SHA1(seq)), 1 + seq % 16), UNHEX(LPAD(HEX(seq), 8, '0'))
FROM (SELECT CAST(seq AS SIGNED) AS seq FROM seq_1_to_{rows}) s"""

EXTREMES = """
INSERT INTO typed VALUES (0, 1, -128, 255, -32768, 65535, -8388608, 16777215, -2147483648, 4294967295,
  -9223372036854775808, 18446744073709551615, -9999999999.99, 9999999999999999999999999999.9999999999, 16777215,
  1.7976931348623157e308, 1, 4095, 18446744073709551615, '1901-01-01', '1901-01-01 00:00:00.000001',
  '2038-01-19 03:14:07.999999', '-838:59:59.999', 2155, 'it''s \\\\ "quoted" 𝄞', 'ab', '', '🧪🚀😀👍🏽',
  'blue', 'a,b,c', '{"k": "😀", "n": [1, 2.5, null]}', x'00FF00', x'', x'00000000')"""


@pytest.fixture(scope="session")
def mariadb(request: pytest.FixtureRequest) -> MariaDBServer:
    return shared_server(request.config)


@pytest.fixture(scope="module")
def typed(mariadb: MariaDBServer) -> str:
    mariadb.execute("DROP TABLE IF EXISTS typed", TYPED_DDL, TYPED_FILL.format(rows=6_000), EXTREMES,
                    "INSERT INTO typed (id) VALUES (-1)", "ANALYZE TABLE typed")
    return "shop.typed"


def config(mariadb: MariaDBServer, tmp_path: Any, tables: list[str], **spark: Any) -> dict:
    return {"source": mariadb.source(), "spark": {"master": "local[2]", **spark},
            "output": {"path": str(tmp_path / "out")},
            "defaults": {"partitioning": {"target_rows": 2_000}}, "tables": tables}


def _time_text(value: dt.timedelta, digits: int = 3) -> str:
    """MariaDB's text for a TIME(3) value: [-]hhh:mm:ss.fff."""
    micros = round(value.total_seconds() * 1_000_000)
    sign, micros = ("-" if micros < 0 else ""), abs(micros)
    seconds, frac = divmod(micros, 1_000_000)
    hours, rest = divmod(seconds, 3600)
    return f"{sign}{hours:02d}:{rest // 60:02d}:{rest % 60:02d}.{frac:06d}"[: -(6 - digits) or None]


def expected(column: str, value: Any) -> Any:
    """What the Parquet file must hold for a value PyMySQL returns with its default conversions."""
    if value is None:
        return None
    if column in ("flag", "bit1"):
        return bool(value if isinstance(value, int) else int.from_bytes(value, "big"))
    if column == "bits":
        return int.from_bytes(value, "big")
    if column in ("bit64", "ubig"):
        return Decimal(int.from_bytes(value, "big") if isinstance(value, bytes) else value)
    if column == "seen":
        return value.replace(tzinfo=dt.timezone.utc)  # the session runs in UTC
    if column == "span":
        return _time_text(value)
    return value


def assert_parquet_equals_source(mariadb: MariaDBServer, folder: str) -> None:
    table = pq.read_table(folder).sort_by("id")
    with mariadb.admin() as conn, conn.cursor() as cur:  # a separate root session, PyMySQL's own conversions
        # FLOAT travels as 6-digit text (24998.75 -> 24998.8): read its exact value as a DOUBLE as well.
        cur.execute("SELECT *, CAST(ratio AS DOUBLE) FROM typed ORDER BY id")
        names = [d[0] for d in cur.description][:-1]
        ratio = names.index("ratio")
        src = [(*r[:ratio], r[-1], *r[ratio + 1:-1]) for r in cur.fetchall()]
    assert table.column_names == names
    out = table.to_pylist()
    assert len(out) == len(src) == 6_002
    for s_row, p_row in zip(src, out, strict=True):
        for name, s in zip(names, s_row, strict=True):
            want, got = expected(name, s), p_row[name]
            if name == "ratio" and want is not None:  # float32 in Parquet, read back as a Python float
                assert np.float32(want) == np.float32(got) and float(np.float32(want)) == want, (name, want, got)
            elif isinstance(want, dt.datetime) and want.tzinfo is not None:
                assert got == want and got.tzinfo is not None, (p_row["id"], name, want, got)
            else:
                assert got == want and type(got) is type(want), (p_row["id"], name, want, got)


@pytest.mark.parametrize("writer", ["arrow", "spark"])
def test_every_type_arrives_equal_to_the_source(mariadb, tmp_path, spark, typed, writer) -> None:
    cfg = config(mariadb, tmp_path, [typed])
    cfg["output"]["writer"] = writer
    result = Extractor(cfg).run()
    assert result.ok, result.to_dict()
    assert result.tables[0].rows == 6_002 and result.tables[0].partitions == 3
    folder = tmp_path / "out" / "shop" / "typed"
    assert_parquet_equals_source(mariadb, str(folder))
    rows = {r["id"]: r for r in pq.read_table(folder).to_pylist()}
    assert rows[0]["ubig"] == Decimal("18446744073709551615") and rows[0]["emoji"] == "🧪🚀😀👍🏽"
    assert rows[0]["wide"] == Decimal("9999999999999999999999999999.9999999999")
    assert rows[0]["ratio"] == 16777215.0  # a FLOAT arrives exact, not as its 6-digit text
    assert rows[0]["seen"] == dt.datetime(2038, 1, 19, 3, 14, 7, 999999, tzinfo=dt.timezone.utc)
    assert rows[0]["span"] == "-838:59:59.999" and json.loads(rows[0]["doc"])["k"] == "😀"
    assert rows[0]["raw"] == b"" and rows[-1] == {"id": -1, **{k: None for k in rows[-1] if k != "id"}}
    manifest = read_manifest(folder)
    assert manifest["rows"] == 6_002


def test_jdbc_reader_gives_the_same_parquet(mariadb, tmp_path, spark, typed) -> None:
    jar = "/usr/share/java/mariadb-java-client.jar"
    if not os.path.exists(jar):
        pytest.skip("Debian's libmariadb-java is not installed")
    cfg = config(mariadb, tmp_path, [typed], reader="jdbc", jdbc_jars=[jar])
    result = Extractor(cfg).run()
    assert result.ok, result.to_dict()
    assert_parquet_equals_source(mariadb, str(tmp_path / "out" / "shop" / "typed"))


JOIN_SQL = ("SELECT t.id, t.ubig, t.flag, t.bits, t.seen, t.span, t.emoji, t.color, c.hex AS color_hex"
            " FROM typed AS t LEFT JOIN colors AS c ON c.name = t.color")


def test_a_custom_sql_join_in_four_partitions_equals_the_query(mariadb, tmp_path, spark, typed) -> None:
    mariadb.execute("DROP TABLE IF EXISTS colors",
                    "CREATE TABLE colors (name VARCHAR(10) PRIMARY KEY, hex CHAR(7)) CHARACTER SET utf8mb4",
                    "INSERT INTO colors VALUES ('red', '#ff0000'), ('green', '#00ff00')")
    entry = {"name": "joined", "query": JOIN_SQL,
             "partitioning": {"strategy": "balanced", "column": "id", "partitions": 4}}
    result = Extractor(config(mariadb, tmp_path, [entry])).run()
    assert result.ok, result.to_dict()
    assert result.tables[0].partitions == 4
    table = pq.read_table(tmp_path / "out" / "joined").sort_by("id")
    with mariadb.admin() as conn, conn.cursor() as cur:
        cur.execute(JOIN_SQL + " ORDER BY t.id")
        names = [d[0] for d in cur.description]
        src = cur.fetchall()
    assert table.column_names == names and table.num_rows == len(src) == 6_002
    for s_row, p_row in zip(src, table.to_pylist(), strict=True):
        assert [expected(n, v) for n, v in zip(names, s_row, strict=True)] == list(p_row.values())


def test_an_unknown_hostile_table_is_refused(mariadb, tmp_path, spark, typed) -> None:
    mariadb.execute("CREATE TABLE IF NOT EXISTS x (id INT)", "CREATE TABLE IF NOT EXISTS y (id INT)")
    hostile = 'x"; drop table y; --'
    ex = Extractor(config(mariadb, tmp_path, [typed]))
    try:
        with pytest.raises(UserError):
            ex.plan(hostile)
        result = ex.run([hostile, typed])
    finally:
        ex.close()
    status = {t.table: (t.status, t.error) for t in result.tables}
    assert status[typed][0] == "succeeded"
    assert status[hostile][0] == "failed" and "\n" not in status[hostile][1]
    assert mariadb.password not in status[hostile][1]
    assert {"x", "y"} <= {r[0] for r in mariadb.query("SHOW TABLES")}
