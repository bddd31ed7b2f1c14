"""The `jdbc` reader: Spark's JDBC source executing the same partition plan (`predicates=`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from .tasks import ReadSpec


def read_frame(session: SparkSession, spec: ReadSpec) -> DataFrame:
    from pyspark.sql import functions as F

    dialect = spec.dialect
    url = dialect.jdbc_url()
    if not url:
        from ..errors import UserError

        raise UserError(f"the {dialect.name} dialect has no JDBC URL; use spark.reader: python")
    select = dialect.select_sql(spec.table, spec.columns, None, spec.where)
    subquery = f"({select}) dx_src"
    props = {**dialect.jdbc_properties(), "fetchsize": str(spec.fetch_size), "preferTimestampNTZ": "true"}
    predicates = [p or "1=1" for p in spec.predicates]
    frame = session.read.jdbc(url, subquery, predicates=predicates, properties=props)
    # The declared types win over the driver's guesses; with ANSI casts an unrepresentable value fails.
    return frame.select([F.col(f"`{c.name}`").cast(c.spark_type).alias(c.name) for c in spec.columns])
