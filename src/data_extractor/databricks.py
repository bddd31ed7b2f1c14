"""Databricks notebook jobs: a face of its own above the API (job widgets in, a run summary out).

No Databricks workspace is reachable from our build machines: this module is tested against small
fakes of `dbutils` that behave as the documented API does (`dbutils.secrets.get(scope, key)`,
`dbutils.widgets.get(name)`, which raises when the widget does not exist).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from data_extractor.api import Extractor
from data_extractor.errors import UserError


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
