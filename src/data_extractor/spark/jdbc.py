"""The `jdbc` reader: Spark's JDBC source executing the same partition plan (`predicates=`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from .tasks import ReadSpec


def _missing_jars(session: SparkSession, jars: list[str]) -> list[str]:
    loaded = session.sparkContext.getConf().get("spark.jars", "") or ""
    return [j for j in jars if j not in loaded.split(",")]


def read_frame(session: SparkSession, spec: ReadSpec, jars: list[str] | None = None) -> DataFrame:
    from pyspark.sql import functions as F

    dialect = spec.dialect
    url = dialect.jdbc_url()
    if not url:
        from ..errors import UserError

        raise UserError(f"the {dialect.name} dialect has no JDBC URL; use spark.reader: python")
    for jar in _missing_jars(session, jars or []):
        session.sql(f"ADD JAR '{jar}'")  # a session started without them (notebook, shared test session)
    select = dialect.select_sql(spec.table, spec.columns, None, spec.where)
    subquery = f"({select}) dx_src"
    props = {**dialect.jdbc_properties(), "fetchsize": str(spec.fetch_size), "preferTimestampNTZ": "true"}
    predicates = [p or "1=1" for p in spec.predicates]
    frame = session.read.jdbc(url, subquery, predicates=predicates, properties=props)
    # The declared types win over the driver's guesses; with ANSI casts an unrepresentable value fails.
    return frame.select([F.col(f"`{c.name}`").cast(c.spark_type).alias(c.name) for c in spec.columns])
