"""Type fidelity on PostgreSQL: every common type at its edges, through every reader and writer, exactly.

The source is read again independently with psycopg (binary protocol) and compared value by value with
the Parquet read back by pyarrow. A value a combination cannot carry must fail the table, never change.
"""

from __future__ import annotations

import os
from decimal import Decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from fid_common import COMBOS, JDBC_JAR, cli, config, write_yaml
from fid_compare import differences, parquet_rows
from fid_pg_types import BERLIN, columns, create, read_source

from data_extractor import Extractor
from manifests import read_manifest

pytestmark = pytest.mark.spark

DATABASE = "fidelity"
TEXT = pa.string()
EXPECTED_TYPES = {
    "id": pa.int32(), "label": TEXT, "num_38_10": pa.decimal128(38, 10), "num_38_0": pa.decimal128(38, 0),
    "num_bare": pa.decimal128(38, 10), "num_12_2": pa.decimal128(12, 2), "i2": pa.int16(), "i4": pa.int32(),
    "i8": pa.int64(), "f4": pa.float32(), "f8": pa.float64(), "txt": TEXT, "vchar": TEXT, "chr": TEXT,
    "flag": pa.bool_(), "day": pa.date32(), "ts": pa.timestamp("us"), "tstz": pa.timestamp("us", tz="UTC"),
    "bin": pa.binary(), "ivl": TEXT, "uid": TEXT, "js": TEXT, "jsb": TEXT, "ints": TEXT, "texts": TEXT,
    "tm": TEXT, "tmtz": TEXT, "mood": TEXT,
}

# table -> (column type, values): each table holds one value the default decimal(38,10) cannot hold.
MISFITS = {
    "misfit_huge": ("numeric", ["1", "1000000000000000000000000000000.123456789012"]),  # 43 digits
    "misfit_scale": ("numeric", ["1", "1.123456789012"]),  # 12 decimals
    "misfit_nan": ("numeric", ["1", "'NaN'"]),
    "misfit_infinity": ("numeric", ["1", "'Infinity'"]),
    "misfit_p50": ("numeric(50,0)", ["1", "1" + "0" * 45]),
    "misfit_39_digits": ("numeric", ["1", "9" * 39]),
}
# table -> (column type, values): no Parquet date or timestamp holds (-)infinity.
INFINITE = {
    "edge_infinity_date": ("date", ["'2024-01-01'", "'infinity'"]),
    "edge_infinity_ts": ("timestamp", ["'2024-01-01'", "'infinity'"]),
    "edge_minus_infinity_tstz": ("timestamptz", ["'2024-01-01'", "'-infinity'"]),
}
BC = ("date", ["'2024-01-01'", "'0044-03-15 BC'"])


@pytest.fixture(scope="module")
def fid_db(pg):
    """A database whose default TimeZone is Berlin, holding the type matrix and the misfits."""
    with pg.admin("postgres") as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DATABASE} OWNER {pg.user}")
        conn.execute(f"ALTER DATABASE {DATABASE} SET TimeZone = '{BERLIN}'")
    with pg.admin(DATABASE) as conn:
        create(conn)
        for name, (kind, values) in {**MISFITS, **INFINITE, "edge_bc_date": BC}.items():
            conn.execute(f"CREATE TABLE {name} (id serial PRIMARY KEY, amount_{name} {kind})")
            for v in values:
                conn.execute(f"INSERT INTO {name} (amount_{name}) VALUES ({v})")
        yield {"source": pg.source(database=DATABASE), "rows": read_source(conn), "columns": columns(conn),
               "conn": conn}


def extract(fid_db, tmp_path, combo: str, tables: list[str], **source: str):
    reader, writer = COMBOS[combo]
    cfg = config({**fid_db["source"], **source}, tmp_path / "out", tables, reader, writer,
                 parallel_tables=len(tables))
    return Extractor(cfg).run()


@pytest.mark.parametrize("combo", list(COMBOS))
def test_every_type_and_edge_value_arrives_exactly(fid_db, tmp_path, spark, combo):
    result = extract(fid_db, tmp_path, combo, ["public.fid_types"])
    assert result.ok, result.to_dict()
    folder = tmp_path / "out" / "public" / "fid_types"
    names, rows = parquet_rows(str(folder))
    assert names == fid_db["columns"]
    assert differences(fid_db["rows"], rows, names, f"{combo}: ") == []
    schema = pq.read_schema(next(folder.glob("*.parquet")))
    assert {f.name: f.type for f in schema} == EXPECTED_TYPES
    manifest = read_manifest(folder)
    assert manifest["rows"] == manifest["source_count"] == len(fid_db["rows"])


@pytest.mark.parametrize("combo", list(COMBOS))
def test_a_value_wider_than_the_decimal_fails_its_table_naming_the_column_and_the_fix(fid_db, tmp_path, spark,
                                                                                       combo):
    # python-spark reads through the very code python-arrow does (only the writer differs): two cases suffice
    names = ["misfit_scale", "misfit_nan"] if combo == "python-spark" else list(MISFITS)
    result = extract(fid_db, tmp_path, combo, [f"public.{n}" for n in names])
    assert not result.ok
    for t in result.tables:
        name = t.table.split(".")[1]
        assert t.status == "failed", (t.table, "a misfit was extracted instead of failing")
        assert f"amount_{name}" in t.error and "source.number_type" in t.error, t.error
        assert "\n" not in t.error and "Traceback" not in t.error
        assert not (tmp_path / "out" / "public" / name).exists()


@pytest.mark.parametrize("combo", list(COMBOS))
def test_widening_number_type_carries_twelve_decimals_exactly(fid_db, tmp_path, spark, combo):
    result = extract(fid_db, tmp_path, combo, ["public.misfit_scale", "public.misfit_huge"],
                     number_type="decimal(38,12)")
    status = {t.table: t for t in result.tables}
    assert status["public.misfit_scale"].status == "succeeded", status["public.misfit_scale"].error
    assert status["public.misfit_huge"].status == "failed"  # 43 digits fit no decimal(38, s)
    values = pq.read_table(tmp_path / "out" / "public" / "misfit_scale").sort_by("id")["amount_misfit_scale"]
    assert values.type == pa.decimal128(38, 12)
    assert values.to_pylist() == [Decimal("1"), Decimal("1.123456789012")]


@pytest.mark.parametrize("combo", list(COMBOS))
def test_no_decimal_wraps_around_past_38_digits(fid_db, tmp_path, spark, combo):
    """pyarrow's string-to-decimal cast wraps 39 nines into decimal(38,0) unless the engine checks first."""
    result = extract(fid_db, tmp_path, combo, ["public.misfit_39_digits", "public.misfit_huge"],
                     number_type="decimal(38,0)")
    for t in result.tables:
        assert t.status == "failed" and "source.number_type" in t.error, (t.table, t.error)
    assert not (tmp_path / "out" / "public").exists()


@pytest.mark.skipif(not os.path.exists(JDBC_JAR), reason="Debian's libpostgresql-jdbc-java is not installed")
def test_jdbc_reader_in_a_jvm_on_berlin_time_keeps_every_value(fid_db, tmp_path):
    """The JVM's default zone must not shift dates or timestamps (the CLI's own JVM, TZ=Europe/Berlin)."""
    cfg = config({**fid_db["source"], "password": "${DX_FID_PASSWORD}"}, tmp_path / "out", ["public.fid_types"],
                 "jdbc", "spark")
    path = write_yaml(tmp_path / "berlin.yaml", cfg)
    proc = cli("run", "-c", path, "--json", env={"TZ": BERLIN, "DX_FID_PASSWORD": fid_db["source"]["password"]})
    assert proc.returncode == 0, proc.stderr[-2000:]
    names, rows = parquet_rows(str(tmp_path / "out" / "public" / "fid_types"))
    assert differences(fid_db["rows"], rows, names, "jdbc in Berlin: ") == []


@pytest.mark.parametrize("combo", list(COMBOS))
def test_infinite_dates_and_timestamps_fail_their_table_naming_the_column(fid_db, tmp_path, spark, combo):
    result = extract(fid_db, tmp_path, combo, [f"public.{n}" for n in INFINITE])
    for t in result.tables:
        name = t.table.split(".")[1]
        assert t.status == "failed" and f"amount_{name}" in t.error and "infinity" in t.error, (t.table, t.error)
    assert not (tmp_path / "out" / "public").exists()


@pytest.mark.parametrize("combo", list(COMBOS))
def test_a_date_bc_is_exact_through_the_python_reader_and_refused_by_jdbc(fid_db, tmp_path, spark, combo):
    """Python's datetime stops at year 1, so the days since 1970 are compared, as PostgreSQL counts them."""
    result = extract(fid_db, tmp_path, combo, ["public.edge_bc_date"])
    if combo.startswith("jdbc"):  # Spark would read the text '0044-03-15 BC' as the year 44 AD
        assert not result.ok and "amount_edge_bc_date" in result.tables[0].error and "BC" in result.tables[0].error
        return
    assert result.ok, result.to_dict()
    days = pq.read_table(tmp_path / "out" / "public" / "edge_bc_date").sort_by("id")["amount_edge_bc_date"]
    expected = [r[0] for r in fid_db["conn"].execute(
        "SELECT amount_edge_bc_date - DATE '1970-01-01' FROM edge_bc_date ORDER BY id").fetchall()]
    assert days.cast(pa.int32()).to_pylist() == expected
