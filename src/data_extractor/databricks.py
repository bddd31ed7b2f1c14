"""Databricks: secrets in config values, the notebook's session, and scheduled notebook jobs.

No Databricks workspace is reachable from our build machines: this module is tested against small
fakes of `dbutils` that behave as the documented API does (`dbutils.secrets.get(scope, key)`,
`dbutils.widgets.get(name)`, which raises when the widget does not exist).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from .errors import ConfigError, UserError

SECRET = re.compile(r"\{\{\s*secrets/([^/}\s]+)/([^}\s]+)\s*\}\}")


def resolve_secrets(raw: Any, dbutils: Any, path: tuple[Any, ...] = ()) -> Any:
    """Replace every `{{secrets/<scope>/<key>}}` in config values with `dbutils.secrets.get(scope, key)`."""
    if isinstance(raw, dict):
        return {k: resolve_secrets(v, dbutils, (*path, k)) for k, v in raw.items()}
    if isinstance(raw, list):
        return [resolve_secrets(v, dbutils, (*path, i)) for i, v in enumerate(raw)]
    if not isinstance(raw, str) or "{{" not in raw:
        return raw

    def get(m: re.Match[str]) -> str:
        where = ".".join(str(p) for p in path)
        if dbutils is None:
            raise ConfigError(f"config error at {where}: {m[0]} needs Databricks secrets; pass dbutils=dbutils "
                              "(in a notebook) or run on Databricks")
        try:
            return str(dbutils.secrets.get(scope=m[1], key=m[2]))
        except Exception as exc:  # noqa: BLE001 - the workspace's error text, without the value
            raise ConfigError(f"config error at {where}: secret {m[2]!r} of scope {m[1]!r} could not be read "
                              f"({type(exc).__name__}); check the scope, the key and your access") from None

    return SECRET.sub(get, raw)


def find_dbutils(spark: Any = None) -> Any:
    """The notebook's dbutils, on Databricks; None elsewhere."""
    import os

    if "DATABRICKS_RUNTIME_VERSION" not in os.environ:
        return None
    try:
        from pyspark.dbutils import DBUtils  # type: ignore[import-not-found]
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    spark = spark or SparkSession.getActiveSession()
    return DBUtils(spark) if spark is not None else None


def _widget(dbutils: Any, name: str) -> str | None:
    try:
        value = dbutils.widgets.get(name)
    except Exception:  # noqa: BLE001 - an undefined widget raises
        return None
    return value.strip() or None if isinstance(value, str) else value


def run_notebook_job(spark: Any, dbutils: Any) -> dict[str, Any]:
    """Entry point for a scheduled notebook job: parameters come from the job's widgets.

    Widgets (job parameters): ``config`` (path to the YAML, required), ``tables`` (comma-separated;
    default: all configured), ``run_date`` (YYYY-MM-DD: one window of incremental tables), ``from`` and
    ``to`` (a backfill). Returns the run summary; raises when any table failed, so the job run fails.
    """
    from .api import Extractor

    path = _widget(dbutils, "config")
    if not path:
        raise UserError("the job parameter 'config' is missing: give the path of the YAML config")
    tables = [t.strip() for t in (_widget(dbutils, "tables") or "").split(",") if t.strip()] or None
    dates = {}
    for widget, arg in (("run_date", "run_date"), ("from", "date_from"), ("to", "date_to")):
        text = _widget(dbutils, widget)
        if text:
            try:
                dates[arg] = dt.date.fromisoformat(text)
            except ValueError:
                raise UserError(f"the job parameter {widget!r} is {text!r}, not a date like 2026-01-31") from None
    extractor = Extractor(path, spark=spark, dbutils=dbutils)
    result = extractor.run(tables, **dates)
    summary = result.to_dict()
    print(json.dumps(summary, indent=2, default=str))
    if not result.ok:
        failed = [f"{t.table}: {t.error}" for t in result.tables if t.status != "succeeded"]
        raise RuntimeError("data-extractor: " + "; ".join(failed))
    return summary
