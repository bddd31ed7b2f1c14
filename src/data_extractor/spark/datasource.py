"""The `python` reader for Spark's own writer: a Spark Python Data Source over a partition plan.

Each of the plan's predicates is one `InputPartition`; `read()` opens the dialect's DB-API
connection on the executor and yields Arrow record batches. The spec travels as a pickled,
base64 option; the password travels in the `password` option, which Spark redacts in plans and UIs.
"""

from __future__ import annotations

import base64
import pickle
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pyspark.sql.datasource import DataSource, DataSourceReader, InputPartition

from data_extractor.source.typemap import spark_ddl
from data_extractor.spark.python_reader import spark_arrow_schema
from data_extractor.spark.tasks import read_partition

if TYPE_CHECKING:
    import pyarrow as pa
    from pyspark.sql import DataFrame, SparkSession

    from data_extractor.spark.tasks import ReadSpec

FORMAT = "data_extractor"


def _pack(spec: ReadSpec) -> tuple[str, str]:
    from pydantic import SecretStr

    password = spec.dialect.source.password
    source = spec.dialect.source.model_copy(update={"password": SecretStr("") if password else None})
    dialect = type(spec.dialect)(source)
    stripped = type(spec)(**{**spec.__dict__, "dialect": dialect})
    secret = password.get_secret_value() if password else ""
    return base64.b64encode(pickle.dumps(stripped)).decode("ascii"), secret


def _unpack(options: dict[str, str]) -> ReadSpec:
    from pydantic import SecretStr

    spec: ReadSpec = pickle.loads(base64.b64decode(options["spec"]))
    if options.get("password"):
        source = spec.dialect.source.model_copy(update={"password": SecretStr(options["password"])})
        spec.dialect = type(spec.dialect)(source)
    return spec


class PlanDataSource(DataSource):
    @classmethod
    def name(cls) -> str:
        return FORMAT

    def schema(self) -> str:
        return spark_ddl(_unpack(self.options).columns)

    def reader(self, schema: Any) -> DataSourceReader:
        return PlanReader(dict(self.options))


class PlanReader(DataSourceReader):
    def __init__(self, options: dict[str, str]) -> None:
        self.options = options

    def partitions(self) -> list[InputPartition]:
        return [InputPartition(i) for i in range(len(_unpack(self.options).predicates))]

    def read(self, partition: InputPartition) -> Iterator[pa.RecordBatch]:
        spec = _unpack(self.options)
        schema = spark_arrow_schema(spec)
        for batch in read_partition(spec, partition.value):
            yield batch.cast(schema)


def read_frame(session: SparkSession, spec: ReadSpec) -> DataFrame:
    session.dataSource.register(PlanDataSource)
    packed, secret = _pack(spec)
    return session.read.format(FORMAT).option("spec", packed).option("password", secret).load()
