"""Databricks mode, tested through small fakes of `dbutils` that behave as the documented API does.

No Databricks workspace is reachable here; the fakes follow the documented behaviour:
`dbutils.secrets.get(scope=, key=)` returns a string or raises, `dbutils.widgets.get(name)` returns
the widget's text or raises when the widget is not defined.
"""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from data_extractor import Extractor, UserError, load_config
from data_extractor.cli.demo import build_database
from data_extractor.config.models import SparkConfig
from data_extractor.databricks import run_notebook_job
from data_extractor.errors import ConfigError
from data_extractor.spark import session


class _Secrets:
    def __init__(self, values: dict[tuple[str, str], str]) -> None:
        self.values = values

    def get(self, scope: str, key: str) -> str:
        if (scope, key) not in self.values:
            raise ValueError(f"Secret does not exist with scope: {scope} and key: {key}")
        return self.values[(scope, key)]


class _Widgets:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values

    def get(self, name: str) -> str:
        if name not in self.values:
            raise ValueError(f"InputWidgetNotDefined: No input widget named {name} is defined")
        return self.values[name]


class FakeDbutils:
    def __init__(self, secrets: dict[tuple[str, str], str] | None = None, widgets: dict[str, str] | None = None):
        self.secrets = _Secrets(secrets or {})
        self.widgets = _Widgets(widgets or {})


def test_secret_references_are_resolved_through_dbutils(pg):
    dbutils = FakeDbutils({("etl", "pg-password"): pg.password})
    cfg = load_config({"source": {**pg.source(), "password": "{{secrets/etl/pg-password}}"}}, dbutils=dbutils)
    assert cfg.source.password.get_secret_value() == pg.password
    with Extractor(cfg) as ex:
        assert "public" in ex.catalog.schemas()


def test_a_missing_secret_or_missing_dbutils_is_one_clear_error(pg):
    raw = {"source": {**pg.source(), "password": "{{secrets/etl/nope}}"}}
    with pytest.raises(ConfigError, match=r"source\.password.*'nope'.*'etl'"):
        load_config(raw, dbutils=FakeDbutils())
    with pytest.raises(ConfigError, match="pass dbutils"):
        load_config(raw)


def test_databricks_is_detected_and_the_notebook_session_is_reused_never_stopped(monkeypatch, spark):
    monkeypatch.setenv("DATABRICKS_RUNTIME_VERSION", "15.4")
    assert session.resolve_mode(SparkConfig()) == "databricks"
    owned = session._state["owned"]
    try:
        Extractor({"source": {"type": "sqlite", "path": "x.db"}}, spark=spark)  # as a notebook passes its own
        assert session.get_session(SparkConfig()) is spark
        session.stop()  # a reused session is never stopped
        assert spark.range(3).count() == 3
    finally:
        session.use_session(spark)
        session._state["owned"] = owned


def test_a_notebook_job_reads_its_parameters_from_widgets(tmp_path, spark):
    db = tmp_path / "demo.db"
    counts = build_database(db, rows=5_000)
    config = tmp_path / "job.yaml"
    config.write_text(f"source: {{type: sqlite, path: '{db}'}}\noutput: {{path: '{tmp_path / 'out'}'}}\n"
                      "tables: [orders, customers, products]\n")
    summary = run_notebook_job(spark, FakeDbutils(widgets={"config": str(config), "tables": "orders, products"}))
    assert summary["ok"] and [t["table"] for t in summary["tables"]] == ["orders", "products"]
    assert pq.read_table(tmp_path / "out/main/orders").num_rows == counts["orders"]
    with pytest.raises(UserError, match="'config' is missing"):
        run_notebook_job(spark, FakeDbutils())
    with pytest.raises(UserError, match="run_date"):
        run_notebook_job(spark, FakeDbutils(widgets={"config": str(config), "run_date": "yesterday"}))
    with pytest.raises(RuntimeError, match="no_such_table"):
        run_notebook_job(spark, FakeDbutils(widgets={"config": str(config), "tables": "no_such_table"}))
