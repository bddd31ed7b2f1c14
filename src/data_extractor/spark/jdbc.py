"""The `jdbc` reader: Spark's JDBC source executing the same partition plan (`predicates=`)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from data_extractor.errors import UserError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

    from data_extractor.source.dialects.base import ColumnInfo
    from data_extractor.spark.tasks import ReadSpec


def _missing_jars(session: SparkSession, jars: list[str]) -> list[str]:
    try:
        loaded = session.conf.get("spark.jars", "") or ""
    except Exception:  # noqa: BLE001 - not readable under Spark Connect: add them all
        loaded = ""
    return [j for j in jars if j not in loaded.split(",")]


def read_frame(session: SparkSession, spec: ReadSpec, jars: list[str] | None = None) -> DataFrame:
    from pyspark.sql import functions as F

    dialect = spec.dialect
    url = dialect.jdbc_url()
    if not url:
        raise UserError(f"the {dialect.name} dialect has no JDBC URL; use spark.reader: python")
    for jar in _missing_jars(session, jars or []):
        session.sql(f"ADD JAR '{jar}'")  # a session started without them (notebook, shared test session)
    select = dialect.select_sql(spec.table, spec.columns, None, spec.where)
    subquery = f"({select}) dx_src"
    props = {**dialect.jdbc_properties(), "fetchsize": str(spec.fetch_size), "preferTimestampNTZ": "true"}
    predicates = [p or "1=1" for p in spec.predicates]
    frame = session.read.jdbc(url, subquery, predicates=predicates, properties=props)
    # Where Spark guesses another decimal than declared (a bare numeric), its reader would round silently:
    # such columns come over as the database's text and are checked to fit the declared decimal exactly.
    # So do dates and timestamps where the driver would pass them through the JVM's time zone.
    guessed = {f.name: f.dataType.simpleString() for f in frame.schema.fields}
    temporal = ("date", "timestamp", "timestamp_ntz") if getattr(dialect, "jdbc_temporal_as_text", False) else ()
    as_text = {c.name for c in spec.columns if c.spark_type in temporal
               or (c.spark_type.startswith("decimal") and guessed.get(c.name) != c.spark_type)}
    if as_text:
        props["customSchema"] = ", ".join(f"`{n.replace('`', '``')}` STRING" for n in sorted(as_text))
        frame = session.read.jdbc(url, subquery, predicates=predicates, properties=props)
    # The declared types win over the driver's guesses; with ANSI casts an unrepresentable value fails.
    return frame.select([(_exact_decimal(c) if c.spark_type.startswith("decimal") else _parsed(c))
                         if c.name in as_text else F.col(f"`{c.name}`").cast(c.spark_type).alias(c.name)
                         for c in spec.columns])


def _parsed(column: ColumnInfo) -> Column:
    """A date or timestamp column's text as its type, or a failure naming the column (infinity, BC)."""
    from pyspark.sql import functions as F

    quoted = f"`{column.name.replace('`', '``')}`"
    text = F.col(quoted)
    # Column.try_cast is Spark 4; the SQL function is there on 3.5 too.
    value = text.try_cast(column.spark_type) if hasattr(type(text), "try_cast") else \
        F.expr(f"try_cast({quoted} AS {column.spark_type})")
    message = (f"column {column.name!r}: a value cannot be represented as {column.spark_type} "
               "(infinity or a date BC); filter it out with where: or leave the column out of columns:")
    fits = value.isNotNull() & ~text.endswith(" BC")  # Spark would read '0044-03-15 BC' as the year 44 AD
    return F.when(text.isNull() | fits, value).otherwise(F.raise_error(F.lit(message))).alias(column.name)


def _exact_decimal(column: ColumnInfo) -> Column:
    """The column's text as its decimal type, or a failure naming the column if a value would be rounded."""
    from pyspark.sql import functions as F

    m = re.fullmatch(r"decimal\((\d+),\s*(\d+)\)", column.spark_type)
    assert m, column.spark_type
    p, s = int(m[1]), int(m[2])
    fraction = rf"(\.[0-9]{{0,{s}}}0*)?" if s else r"(\.0*)?"
    fits = rf"^-?0*[0-9]{{0,{p - s}}}{fraction}$"  # plain notation: at most p-s integer and s decimal digits
    text = F.col(f"`{column.name}`")
    message = (f"column {column.name!r}: a value cannot be represented exactly as {column.spark_type} "
               "(too many digits, NaN or infinite); widen source.number_type (e.g. decimal(38,18)) "
               "or give the column a precision")
    return F.when(text.isNull() | text.rlike(fits), text.cast(column.spark_type)) \
        .otherwise(F.raise_error(F.lit(message))).alias(column.name)
