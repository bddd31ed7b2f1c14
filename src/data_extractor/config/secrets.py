"""Databricks secrets in config values: `{{secrets/<scope>/<key>}}` read through the notebook's dbutils.

No Databricks workspace is reachable from our build machines: this module is tested against small
fakes of `dbutils` that behave as the documented API does (`dbutils.secrets.get(scope, key)`).
"""

from __future__ import annotations

import os
import re
from typing import Any

from data_extractor.errors import ConfigError

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
    if "DATABRICKS_RUNTIME_VERSION" not in os.environ:
        return None
    try:
        from pyspark.dbutils import DBUtils  # type: ignore[import-not-found]
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    spark = spark or SparkSession.getActiveSession()
    return DBUtils(spark) if spark is not None else None
