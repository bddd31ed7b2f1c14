"""Configuration: pydantic models for the YAML file, `${VAR}` interpolation, env overrides.

The YAML shape is the user-facing contract (see README "Config reference"). Any key can be
overridden by an environment variable named ``DATA_EXTRACTOR__SECTION__KEY``
(e.g. ``DATA_EXTRACTOR__SOURCE__HOST``); the environment wins over the file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from data_extractor.config.dialects import available_dialects, canonical_name, dialect_class
from data_extractor.config.guards import check_aliases, check_env_overrides, read_config_text
from data_extractor.config.secrets import find_dbutils, resolve_secrets
from data_extractor.config.text import describe_error, interpolate
from data_extractor.errors import ConfigError

ENV_PREFIX = "DATA_EXTRACTOR__"
Strategy = Literal["auto", "none", "range", "balanced", "hash", "physical"]
MAX_PARTITIONS = 10_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


class SourceConfig(_Strict):
    """Where the data comes from. Which keys matter depends on `type`."""

    type: str
    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    database: str | None = None
    user: str | None = None
    password: SecretStr | None = None
    path: str | None = None  # sqlite
    service_name: str | None = None  # oracle
    sid: str | None = None  # oracle
    dsn: str | None = None  # oracle: an Easy Connect string or TNS alias
    number_type: str = "decimal(38,10)"  # oracle: Spark type for NUMBER without precision
    url: str | None = None  # jdbc: the JDBC URL
    driver: str | None = None  # jdbc: the driver class
    jars: list[str] = Field(default_factory=list)  # jdbc: the driver's jar(s)
    options: dict[str, str | int | float | bool] = Field(default_factory=dict)  # extra driver arguments

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        name = canonical_name(value)
        if name not in available_dialects():
            known = ", ".join(sorted(available_dialects()))
            raise ValueError(f"unknown source type {value!r}; use one of: {known}")
        return name

    @field_validator("number_type")
    @classmethod
    def _decimal_type(cls, value: str) -> str:
        m = re.fullmatch(r"\s*decimal\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)\s*", value, re.I)
        if not m or not (1 <= int(m[1]) <= 38 and 0 <= int(m[2]) <= int(m[1])):
            raise ValueError("must be decimal(p,s) with 1 <= p <= 38 and 0 <= s <= p, e.g. decimal(38,10)")
        return f"decimal({int(m[1])},{int(m[2])})"

    @model_validator(mode="after")
    def _required_per_type(self) -> SourceConfig:
        try:
            dialect = dialect_class(self.type)
        except (ImportError, AttributeError) as exc:  # registered, but its module or class is missing
            raise ValueError(f"the {self.type} dialect is registered but cannot be loaded ({exc}); "
                             "reinstall the package that provides it") from None
        missing = [key for key in dialect.required_keys(self) if getattr(self, key) in (None, "")]
        if missing:
            raise ValueError(f"a {self.type} source needs {', '.join('source.' + k for k in missing)}")
        return self


class SparkConfig(_Strict):
    mode: Literal["auto", "local", "cluster", "databricks", "connect"] = "auto"
    master: str = "local[*]"
    remote: str | None = None  # Spark Connect: "sc://host:15002", or "local[2]" for a local Connect server
    reader: Literal["auto", "python", "jdbc"] = "auto"
    conf: dict[str, str | int | float | bool] = Field(default_factory=dict)
    jdbc_jars: list[str] = Field(default_factory=list)


TableFormat = Literal["parquet", "delta", "iceberg"]
_SECRET_KEY = re.compile(r"secret|token|password|credential|key", re.I)


class IcebergConfig(_Strict):
    """Which Iceberg catalog registers the tables. Empty `catalog`: an embedded SQLite catalog in the output."""

    catalog: dict[str, str] = Field(default_factory=dict)  # pyiceberg catalog properties: type, uri, warehouse, ...
    catalog_name: str = "data_extractor"
    namespace: str | None = None  # default: the table's schema, else "default"


class OutputConfig(_Strict):
    path: str = "./extracts"
    compression: Literal["snappy", "zstd", "lz4", "gzip", "none"] = "snappy"
    max_rows_per_file: int | None = Field(None, ge=1000)
    writer: Literal["arrow", "spark"] = "arrow"  # arrow: tasks write Parquet with pyarrow; spark: Spark's writer
    format: TableFormat = "parquet"  # delta / iceberg: the driver commits the tasks' files in one transaction
    # Object-store options: pyarrow's names (endpoint_override, region, access_key, ...) or AWS_* names, all secret.
    storage_options: dict[str, SecretStr] = Field(default_factory=dict)
    iceberg: IcebergConfig = Field(default_factory=IcebergConfig)

    def secret_values(self) -> list[str]:
        """Values of storage and catalog options that are credentials, to keep out of logs."""
        options = {**{k: v.get_secret_value() for k, v in self.storage_options.items()}, **self.iceberg.catalog}
        return [str(v) for k, v in options.items() if v and _SECRET_KEY.search(k) and not k.upper().endswith("_ID")]

    @field_validator("path")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name a folder or URI (e.g. ./extracts); an empty path would write into "
                             "the current folder")
        return value


class PartitioningConfig(_Strict):
    """How a table is split into parallel reads. Table-level keys override `defaults.partitioning`."""

    strategy: Strategy = "auto"
    column: str | None = None
    partitions: int | None = Field(None, ge=1, le=MAX_PARTITIONS)
    target_rows: int = Field(1_000_000, ge=1)
    max_partitions: int = Field(64, ge=1, le=MAX_PARTITIONS)

    def over(self, base: PartitioningConfig) -> PartitioningConfig:
        """This config's explicitly set keys layered over `base`."""
        return base.model_copy(update={k: getattr(self, k) for k in self.model_fields_set})


SchemaChange = Literal["fail", "warn", "evolve"]
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(d|h|m|s)\s*", re.I)


def parse_duration(text: str | int | float) -> float:
    """'24h', '1d', '30m', '90s' (or a number of seconds) -> seconds."""
    if isinstance(text, int | float):
        return float(text)
    m = _DURATION.fullmatch(text)
    if not m:
        raise ValueError(f"{text!r} is not a duration; write e.g. 24h, 1d, 30m or 90s")
    return float(m[1]) * {"d": 86400, "h": 3600, "m": 60, "s": 1}[m[2].lower()]


class IncrementalConfig(_Strict):
    """Extract in time windows of `column`, from `start`, each into its own folder."""

    column: str
    window: str = "24h"
    start: dt.datetime
    lag: str = "0h"  # a window is extracted only once it ended at least `lag` ago
    lookback: str = "0h"  # re-extract complete windows that ended within `lookback` before the watermark

    @field_validator("window", "lag", "lookback")
    @classmethod
    def _duration(cls, value: str) -> str:
        seconds = parse_duration(value)
        if seconds < 0:
            raise ValueError("must not be negative")
        return value

    @field_validator("start", mode="before")
    @classmethod
    def _date(cls, value: Any) -> Any:
        return dt.datetime.combine(value, dt.time()) if isinstance(value, dt.date) and not isinstance(
            value, dt.datetime) else value

    @model_validator(mode="after")
    def _window_positive(self) -> IncrementalConfig:
        if parse_duration(self.window) < 60:
            raise ValueError("incremental.window must be at least 1m")
        return self

    @property
    def window_seconds(self) -> float:
        return parse_duration(self.window)


class SnapshotConfig(_Strict):
    """One point in time for every partition of every table of a run (PostgreSQL, Oracle)."""

    consistent: bool = False  # take one snapshot at run start (PostgreSQL exported snapshot, Oracle SCN)
    scn: int | None = Field(None, ge=1)  # Oracle: read AS OF this SCN
    timestamp: str | None = None  # Oracle: read AS OF this timestamp ("2026-01-01 00:00:00")

    @property
    def enabled(self) -> bool:
        return self.consistent or self.scn is not None or self.timestamp is not None


class DefaultsConfig(_Strict):
    parallel_tables: int = Field(2, ge=1, le=64)
    fetch_size: int = Field(10_000, ge=1, le=1_000_000)
    partitioning: PartitioningConfig = Field(default_factory=PartitioningConfig)
    on_schema_change: SchemaChange = "warn"
    retries: int = Field(2, ge=0, le=20)  # connection attempts retried per partition, with backoff
    retry_wait: float = Field(1.0, ge=0, le=300)  # seconds before the first retry; doubles each time
    reconcile: bool = True  # count the source after each table and compare with the rows written
    # A table planned as one partition of at most this many estimated rows is read and written by the driver
    # itself (the same code a task runs), with no Spark job: a Spark job's fixed cost dwarfs a small table's.
    driver_read_rows: int = Field(50_000, ge=0)


class TableConfig(_Strict):
    """One table to extract. `where` is raw SQL by design: it is sent to the database as written."""

    name: str = Field(min_length=1)
    columns: list[str] | None = None
    where: str | None = None
    partitioning: PartitioningConfig | None = None
    fetch_size: int | None = Field(None, ge=1, le=1_000_000)
    incremental: IncrementalConfig | None = None
    on_schema_change: SchemaChange | None = None
    format: TableFormat | None = None  # overrides output.format for this table
    query: str | None = None  # a custom SELECT (joins welcome) extracted as if it were a table named `name`

    @field_validator("query")
    @classmethod
    def _select(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = value.strip().rstrip(";").strip()
        if not re.match(r"(?is)^(select|with)\b", text):
            raise ValueError("must be a SELECT (or WITH ... SELECT) statement")
        if ";" in text:
            raise ValueError("must be one statement (no ';' inside)")
        return text

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @field_validator("columns")
    @classmethod
    def _non_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("must list at least one column, or be left out to take them all")
        return value


class MetricsConfig(_Strict):
    """Prometheus metrics after each run: a textfile-collector file and/or a Pushgateway."""

    textfile: str | None = None  # e.g. /var/lib/node_exporter/textfile/data_extractor.prom
    pushgateway: str | None = None  # e.g. http://pushgateway:9091
    job: str = "data_extractor"


class ExtractorConfig(BaseSettings):
    """The whole configuration, as loaded from YAML and the environment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", validate_default=True
    )

    source: SourceConfig
    spark: SparkConfig = Field(default_factory=SparkConfig)
    output: OutputConfig = Field(default_factory=OutputConfig)
    defaults: DefaultsConfig = Field(default_factory=DefaultsConfig)
    snapshot: SnapshotConfig = Field(default_factory=SnapshotConfig)
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    tables: list[TableConfig] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _flashback_alias(cls, data: Any) -> Any:
        if isinstance(data, dict) and "flashback" in data:  # Oracle users' word for the same thing
            data = dict(data)
            if "snapshot" in data:
                raise ValueError("give either snapshot or flashback, not both")
            data["snapshot"] = data.pop("flashback")
        return data

    @model_validator(mode="after")
    def _snapshot_fits_source(self) -> ExtractorConfig:
        snap = self.snapshot
        if (snap.scn is not None or snap.timestamp) and self.source.type != "oracle":
            raise ValueError("snapshot.scn and snapshot.timestamp are Oracle flashback; "
                             "use snapshot.consistent: true for other sources")
        if sum(bool(x) for x in (snap.consistent, snap.scn, snap.timestamp)) > 1:
            raise ValueError("choose one of snapshot.consistent, snapshot.scn, snapshot.timestamp")
        return self

    @model_validator(mode="after")
    def _tables_once(self) -> ExtractorConfig:
        seen: dict[str, str] = {}
        for entry in self.tables:
            key = entry.name.strip().lower()  # lookups ignore case, so case variants name one entry
            if key in seen:
                raise ValueError(f"table {entry.name!r} is listed twice (also as {seen[key]!r}); "
                                 "keep one entry per table")
            seen[key] = entry.name
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)  # the environment overrides the file

    def partitioning_for(self, table: TableConfig) -> PartitioningConfig:
        base = self.defaults.partitioning
        return table.partitioning.over(base) if table.partitioning else base

    def table(self, name: str) -> TableConfig:
        """The configured entry for `name`, or a bare entry for a table not in the file."""
        for entry in self.tables:
            if entry.name == name or entry.name.lower() == name.lower():
                return entry
        return TableConfig(name=name)


# ---------------------------------------------------------------- loading

def _env_overrides_present(env: dict[str, str]) -> bool:
    return any(k.upper().startswith(ENV_PREFIX) for k in env)


def load_config(source: str | os.PathLike[str] | dict[str, Any], dbutils: Any = None) -> ExtractorConfig:
    """Load and validate a configuration from a YAML file path or a dict.

    `${VAR}` values come from the environment; `{{secrets/<scope>/<key>}}` values from Databricks
    secrets through `dbutils` (found automatically on Databricks when not given).

    Raises:
        ConfigError: one sentence naming the key (and the line) and what is wrong.
    """
    text: str | None = None
    origin = "config"
    if isinstance(source, dict):
        raw: Any = source
    else:
        path = Path(source)
        origin = str(path)
        text = read_config_text(path)
        check_aliases(text, origin)
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            problem = getattr(exc, "problem", None) or "not valid YAML"
            failure = f"{path} is not valid YAML{at}: {problem}"
        else:
            failure = None
        if failure:  # raised outside `except`: the parser's error quotes the file's text, secrets included
            raise ConfigError(failure)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{origin} must be a mapping with a 'source' section at the top level")
    env = dict(os.environ)
    check_env_overrides(env, ENV_PREFIX, ExtractorConfig)
    raw = interpolate(raw, (), env)
    if "{{" in json.dumps(raw, default=str):
        raw = resolve_secrets(raw, dbutils if dbutils is not None else find_dbutils())
    try:
        return ExtractorConfig(**raw)
    except ValidationError as exc:
        message = describe_error(exc, text, origin)
        if _env_overrides_present(env):
            message += f" (note: {ENV_PREFIX}* environment variables override the file)"
    # Raised outside `except`, so no chained ValidationError carries the input (and its password).
    raise ConfigError(message)
