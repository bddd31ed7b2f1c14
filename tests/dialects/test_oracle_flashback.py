"""Oracle flashback: every statement that carries the run's AS OF clause parses as Oracle SQL."""

from __future__ import annotations

import sqlglot

from data_extractor.config import SnapshotConfig, SourceConfig
from data_extractor.dialects.base import ColumnInfo, TableRef
from data_extractor.dialects.oracle import OracleDialect

SOURCE = SourceConfig(type="oracle", host="db", port=1521, service_name="ORCL", user="u", password="p")


def test_scn_and_timestamp_snapshots_become_as_of_clauses_that_parse():
    d = OracleDialect(SOURCE)
    table = TableRef("SALES", "ORDERS")
    cols = [ColumnInfo("ID", "NUMBER(10,0)", "decimal(10,0)"), ColumnInfo("TS", "TIMESTAMP(6) WITH TIME ZONE",
                                                                         "timestamp")]
    for snapshot in (SnapshotConfig(scn=123456789), SnapshotConfig(timestamp="2026-01-01 00:00:00")):
        handle, token = d.open_snapshot(snapshot)
        assert handle is None and token.split()[0] in ("SCN", "TIMESTAMP")
        statements = [
            d.select_sql(table, cols, '"ID" >= 10 AND "ID" < 20', "\"STATUS\" <> 'X'", snapshot=token),
            d.select_sql(table, cols, None, None, snapshot=token),
            d.count_sql(table, "\"STATUS\" <> 'X'", None, snapshot=token),
            d.count_sql(table, None, 'ORA_HASH("ID", 7) = 3', snapshot=token),
        ]
        for sql in statements:
            assert " AS OF " in sql
            sqlglot.parse_one(sql, read="oracle")
