"""Oracle flashback: every statement that carries the run's AS OF clause parses as Oracle SQL."""

from __future__ import annotations

import sqlglot

from data_extractor.config.models import SnapshotConfig, SourceConfig
from data_extractor.source.dialects.base import ColumnInfo, TableRef
from data_extractor.source.dialects.oracle import OracleDialect

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


def test_doctor_privilege_checks_run_parseable_sql_and_name_the_grant():
    from data_extractor.config.models import load_config

    class Refusing:
        def __init__(self) -> None:
            self.sql: list[str] = []

        def cursor(self):
            outer = self

            class Cur:
                def execute(self, sql, params=None):
                    outer.sql.append(sql)
                    raise RuntimeError("ORA-01031: insufficient privileges")

                def close(self):
                    pass

            return Cur()

    config = load_config({"source": {"type": "oracle", "host": "db", "service_name": "S", "user": "u",
                                     "password": "p"}, "snapshot": {"consistent": True},
                          "defaults": {"partitioning": {"strategy": "physical"}}})
    conn = Refusing()
    checks = OracleDialect(config.source).doctor_checks(conn, config)
    assert [c.ok for c in checks] == [False, False, False]
    assert all("ORA-01031" in c.detail and "GRANT" in c.fix for c in checks)
    for sql in conn.sql:
        sqlglot.parse_one(sql, read="oracle")
