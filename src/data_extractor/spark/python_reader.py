"""The `python` reader feeding Spark's own writer, on whichever API this Spark has.

Spark 4: the Python Data Source (`datasource.py`). Spark 3.5 has none: there the same tasks run through
`mapInArrow` over a DataFrame of partition numbers (`spark.range(0, N, 1, N)`, one per task), each yielding its
predicate's Arrow batches, which Spark's writer then writes like any DataFrame.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from data_extractor.source.typemap import spark_ddl
from data_extractor.spark.features import pyspark_version, python_datasource, say_once
from data_extractor.spark.tasks import read_partition

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from data_extractor.spark.tasks import ReadSpec


def read_frame(session: SparkSession, spec: ReadSpec) -> DataFrame:
    """A DataFrame of the plan's rows, one Spark task per partition."""
    if python_datasource():
        from data_extractor.spark import datasource  # imports pyspark.sql.datasource: Spark 4 only

        return datasource.read_frame(session, spec)
    say_once("no-datasource", "Spark %s has no Python Data Source API (Spark 4): the python reader hands its "
             "Arrow batches to Spark's writer through mapInArrow", pyspark_version())
    n = len(spec.predicates)
    return session.range(0, n, 1, n).mapInArrow(partition_batches(spec), spark_ddl(spec.columns))


def spark_arrow_schema(spec: ReadSpec) -> pa.Schema:
    """The plan's Arrow schema as Spark's Arrow reader takes it: 32-bit offsets, not the large variants."""
    import pyarrow as pa

    small = {pa.large_string(): pa.string(), pa.large_binary(): pa.binary()}
    return pa.schema([f.with_type(small.get(f.type, f.type)) for f in spec.schema()])


def partition_batches(spec: ReadSpec) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The mapInArrow function: for each partition number it receives, that partition's rows as batches."""

    def run(numbers: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        schema = spark_arrow_schema(spec)
        for batch in numbers:
            for index in batch.column(0).to_pylist():
                for rows in read_partition(spec, int(index)):
                    yield rows.cast(schema)

    return run
