"""Helpers shared by the fidelity tests: configs, CLI runs, Spark job counts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from data_extractor.config.models import ENV_PREFIX

JDBC_JAR = "/usr/share/java/postgresql.jar"
# (spark.reader, output.writer) for every way a table can travel.
COMBOS = {"python-arrow": ("python", "arrow"), "python-spark": ("python", "spark"), "jdbc-spark": ("jdbc", "spark")}


def config(source: dict[str, Any], out: Path | str, tables: list[Any], reader: str = "python",
           writer: str = "arrow", **defaults: Any) -> dict[str, Any]:
    return {"source": source,
            "spark": {"master": "local[2]", "reader": reader, "jdbc_jars": [JDBC_JAR] if reader == "jdbc" else []},
            "output": {"path": str(out), "writer": writer},
            "defaults": {"retries": 0, "retry_wait": 0, **defaults}, "tables": tables}


def write_yaml(path: Path, data: dict[str, Any] | str) -> Path:
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def cli(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 180
        ) -> subprocess.CompletedProcess[str]:
    """`python -m data_extractor ...` in a fresh process, without DATA_EXTRACTOR__* from this one."""
    clean = {k: v for k, v in os.environ.items() if not k.upper().startswith(ENV_PREFIX)}
    clean.pop("COLUMNS", None)
    return subprocess.run([sys.executable, "-m", "data_extractor", *map(str, args)], capture_output=True,
                          text=True, env={**clean, **(env or {})}, timeout=timeout)


def spark_jobs(spark: Any) -> int:
    """The highest Spark job id so far (-1 before the first): unchanged means no job ran."""
    from py4j.protocol import Py4JError

    jobs = spark.sparkContext._jsc.sc().statusStore().jobsList(None)  # a java.util.List or a Scala Seq

    def job(i: int) -> Any:
        try:
            return jobs.get(i)
        except Py4JError:
            return jobs.apply(i)

    return max((job(i).jobId() for i in range(jobs.size())), default=-1)
