"""`verify`'s SQL for Oracle and SQL Server (no server runs here): every statement parses in sqlglot's dialect,
carries the canonical form of every kind, and Oracle reads AS OF the extraction's snapshot from the manifest."""

from __future__ import annotations

import decimal

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlglot

from data_extractor.config.models import SourceConfig
from data_extractor.ops.verify.table import TableCheck
from data_extractor.source.dialects.base import ColumnInfo, TableRef
from data_extractor.source.dialects.checksum import checksum_for
from data_extractor.source.dialects.oracle import OracleDialect
from data_extractor.source.dialects.oracle_checksum import number_format
from data_extractor.source.dialects.sqlserver import SQLServerDialect

ORACLE = SourceConfig(type="oracle", host="db", port=1521, service_name="ORCL", user="u", password="p")
SQLSERVER = SourceConfig(type="sqlserver", host="db", database="shop", user="u", password="p")

ORACLE_COLUMNS = [
    ColumnInfo("ID", "NUMBER(10,0)", "decimal(10,0)", primary_key=1), ColumnInfo("N", "NUMBER(12,2)", "decimal(12,2)"),
    ColumnInfo("I", "NUMBER(5,0)", "int"), ColumnInfo("F", "BINARY_DOUBLE", "double"),
    ColumnInfo("S", "VARCHAR2(40)", "string"), ColumnInfo("B", "RAW(16)", "binary"),
    ColumnInfo("D", "DATE", "timestamp_ntz"), ColumnInfo("T", "TIMESTAMP(6)", "timestamp_ntz"),
    ColumnInfo("TZ", "TIMESTAMP(6) WITH TIME ZONE", "timestamp"), ColumnInfo("FLAG", "BOOLEAN", "boolean"),
]
SQLSERVER_COLUMNS = [
    ColumnInfo("id", "bigint", "bigint", primary_key=1), ColumnInfo("n", "decimal(12,2)", "decimal(12,2)"),
    ColumnInfo("f", "float", "double"), ColumnInfo("s", "nvarchar(40)", "string"),
    ColumnInfo("b", "varbinary(16)", "binary"), ColumnInfo("d", "date", "date"),
    ColumnInfo("t", "datetime2(7)", "timestamp_ntz"), ColumnInfo("o", "datetimeoffset(7)", "timestamp"),
    ColumnInfo("flag", "bit", "boolean"),
]


@pytest.mark.parametrize(("dialect", "columns", "read"), [
    (OracleDialect(ORACLE), ORACLE_COLUMNS, "oracle"), (SQLServerDialect(SQLSERVER), SQLSERVER_COLUMNS, "tsql")])
def test_checksum_and_row_statements_parse(dialect, columns, read):
    cs = checksum_for(dialect)
    table = TableRef("SALES", "ORDERS")
    as_of = cs.as_of("SCN 123")
    key = columns[0]
    cuts = [decimal.Decimal(10), 20, 30]
    statements = [
        cs.checksum_sql(table, columns, ["\"STATUS\" <> 'X'", None], as_of),
        cs.checksum_sql(table, columns, [None, 'ORA_HASH("ID", 7) = 3' if read == "oracle" else "id % 7 = 3",
                                         cs.range_condition(dialect.quote(key.name), 5, 50)], as_of, key, cuts),
        cs.rows_sql(table, columns, [cs.range_condition(dialect.quote(key.name), 5, None)], as_of),
        cs.columns_sql(table, columns, [f"({cs.range_condition(dialect.quote(key.name), 5, 9)}) OR "
                                        f"({cs.range_condition(dialect.quote(key.name), 20, None)})"], as_of, [key]),
    ]
    for sql in statements:
        sqlglot.parse_one(sql, read=read)
        if read == "oracle":
            assert " AS OF SCN 123 " in sql
    assert "CAST_FROM_BINARY_DOUBLE" in statements[0] or "BINARY(8)" in statements[0]
    # per-column checksums: one sum per column, each over the key's text and the column's
    assert statements[-1].count("SUM(") == len(columns)


def test_oracle_number_formats_keep_exactly_the_scale():
    assert number_format(12, 2) == "FM9999999990.00"
    assert number_format(10, 0) == "FM9999999990"
    assert number_format(2, 2) == "FM0.00"


class Recording:
    """A python-oracledb-shaped connection: records each statement and answers as an empty table would."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def cursor(self) -> Recording:
        return self

    def execute(self, sql: str, params=None) -> None:
        self.sql.append(sql)

    def fetchall(self) -> list:
        return []

    def close(self) -> None:
        pass


def test_oracle_verify_reads_as_of_the_manifest_scn_and_pins_the_session(tmp_path, monkeypatch):
    dialect = OracleDialect(ORACLE)
    conns: list[Recording] = []
    monkeypatch.setattr(dialect, "connect", lambda: conns.append(Recording()) or conns[-1])
    schema = pa.schema([("ID", pa.decimal128(10, 0)), ("S", pa.string())])
    pq.write_table(schema.empty_table(), tmp_path / "part-00000-000.parquet")
    manifest = {"table": "SALES.ORDERS", "rows": 0, "snapshot": "SCN 987654", "where": None,
                "files": ["part-00000-000.parquet"],
                "columns": [{"name": "ID", "source_type": "NUMBER(10,0)", "type": "decimal(10,0)"},
                            {"name": "S", "source_type": "VARCHAR2(40)", "type": "string"}],
                "plan": {"schema": "SALES", "name": "ORDERS", "partitions": [
                    {"index": 0, "predicate": '"ID" < 100 OR "ID" IS NULL'}, {"index": 1, "predicate": '"ID" >= 100'}]},
                "partition_stats": [{"partition": 0, "files": ["part-00000-000.parquet"]},
                                    {"partition": 1, "files": []}]}
    check = TableCheck("SALES.ORDERS", str(tmp_path), manifest, [str(tmp_path / "part-00000-000.parquet")],
                       dialect, checksum_for(dialect), ["ID"])
    verdict = check.run()
    assert verdict.status == "equal" and verdict.as_of == "SCN 987654" and verdict.notes == []
    statements = [s for c in conns for s in c.sql]
    assert sum(s.startswith("ALTER SESSION SET NLS_NUMERIC_CHARACTERS = '.,'") for s in statements) == 2
    queries = [s for s in statements if s.startswith("SELECT")]
    assert len(queries) == 2
    for sql in queries:
        assert '"SALES"."ORDERS" AS OF SCN 987654 WHERE' in sql
        sqlglot.parse_one(sql, read="oracle")


def test_postgres_segments_an_integer_key_by_width_bucket():
    from data_extractor.source.dialects.postgres import PostgresDialect

    dialect = PostgresDialect(SourceConfig(type="postgres", host="db", database="d", user="u", password="p"))
    cs = checksum_for(dialect)
    columns = [ColumnInfo("id", "bigint", "bigint", primary_key=1), ColumnInfo("s", "text", "string")]
    sql = cs.checksum_sql(TableRef("public", "t"), columns, [None], None, columns[0], [10, 20, 30])
    assert 'COALESCE(WIDTH_BUCKET(("id")::bigint, ARRAY[10, 20, 30]::bigint[]), 3)' in sql
    sqlglot.parse_one(sql, read="postgres")
    text_key = cs.checksum_sql(TableRef("public", "t"), columns, [None], None, columns[1], ["a", "b"])
    assert 'CASE WHEN "s" < \'a\' THEN 0 WHEN "s" < \'b\' THEN 1 ELSE 2 END' in text_key  # collation-aware
    sqlglot.parse_one(cs.columns_sql(TableRef("public", "t"), columns, [None], None, columns[:1]), read="postgres")
