"""Prometheus metrics of a run: a text file for node_exporter's textfile collector, or a Pushgateway push."""

from __future__ import annotations

import logging
import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from data_extractor.config.models import MetricsConfig
    from data_extractor.run.results import RunResult

log = logging.getLogger("data_extractor.run.metrics")


def export(result: RunResult, cfg: MetricsConfig) -> None:
    """Write and/or push the run's metrics. Failures are logged, never fatal to the run."""
    from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile

    reg = CollectorRegistry()
    labels = ["table"]
    rows = Gauge("data_extractor_table_rows", "Rows written by the last run, per table", labels, registry=reg)
    size = Gauge("data_extractor_table_bytes", "Parquet bytes written by the last run, per table", labels,
                 registry=reg)
    secs = Gauge("data_extractor_table_seconds", "Seconds the table took in the last run", labels, registry=reg)
    fail = Gauge("data_extractor_table_failed", "1 when the table failed in the last run", labels, registry=reg)
    last = Gauge("data_extractor_table_last_success_timestamp_seconds", "When the table last succeeded (Unix time)",
                 labels, registry=reg)
    run_secs = Gauge("data_extractor_run_seconds", "Duration of the last run", registry=reg)
    run_ok = Gauge("data_extractor_run_success", "1 when every table of the last run succeeded", registry=reg)
    now = time.time()
    for t in result.tables:
        rows.labels(t.table).set(t.rows)
        size.labels(t.table).set(t.bytes)
        secs.labels(t.table).set(t.seconds)
        fail.labels(t.table).set(1 if t.status == "failed" else 0)
        if t.status == "succeeded":
            last.labels(t.table).set(now)
    run_secs.set(result.seconds)
    run_ok.set(1 if result.ok else 0)
    if cfg.textfile:
        try:
            os.makedirs(os.path.dirname(os.path.abspath(cfg.textfile)), exist_ok=True)
            write_to_textfile(cfg.textfile, reg)  # written to a temporary file, then renamed
        except OSError as exc:
            log.warning("metrics file %s could not be written: %s", cfg.textfile, exc.strerror or exc)
    if cfg.pushgateway:
        try:
            push_to_gateway(cfg.pushgateway, job=cfg.job, registry=reg, timeout=10)
        except Exception as exc:  # noqa: BLE001 - a monitoring outage must not fail the extraction
            log.warning("metrics push to %s failed: %s", cfg.pushgateway, exc)
