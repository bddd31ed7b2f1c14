"""`plan --profile`: look at the values of number columns declared without precision, and suggest the
decimal(p,s) that holds them all, so that nothing is rounded or refused at run time."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from data_extractor.source.catalog import Catalog
from data_extractor.source.dialects.base import Dialect, TableRef

SAMPLE_ROWS = 1_000_000


@dataclass(frozen=True)
class NumberProfile:
    column: str
    source_type: str
    current: str  # the Spark type it lands as now
    rows_sampled: int
    integer_digits: int
    scale: int
    suggested: str
    fits: bool  # every sampled value fits the current type
    note: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _decimal(spark_type: str) -> tuple[int, int] | None:
    if not spark_type.startswith("decimal("):
        return None
    p, s = spark_type[len("decimal("):-1].split(",")
    return int(p), int(s)


def profile_numbers(dialect: Dialect, catalog: Catalog, table: TableRef, est_rows: int | None) -> list[NumberProfile]:
    out = []
    conn = catalog.connection()
    fraction = 1.0 if not est_rows or est_rows <= SAMPLE_ROWS else SAMPLE_ROWS / est_rows
    for col in dialect.columns(conn, table):
        if not dialect.unconstrained_number(col):
            continue
        sql = dialect.numeric_profile_sql(table, col.name, fraction)
        if sql is None:
            continue
        digits, scale, seen = dialect.fetch_one(conn, sql)
        digits, scale, seen = int(digits or 0), int(scale or 0), int(seen or 0)
        p = max(digits + scale, 1)
        current = _decimal(col.spark_type)
        fits = current is not None and digits <= current[0] - current[1] and scale <= current[1]
        if p > 38:
            keep = max(38 - digits, 0)
            suggested = f"decimal(38,{keep})"
            note = (f"values need {digits} integer digits and {scale} decimals, more than Spark's 38: "
                    f"decimal(38,{keep}) keeps the integers, and values with more decimals will fail the table")
        else:
            suggested = f"decimal({p},{scale})"
            note = "fits" if fits else f"does not fit {col.spark_type}: set source.number_type to {suggested} or wider"
        if fraction < 1.0:
            note += f" (from a {fraction:.1%} sample: leave headroom)"
        out.append(NumberProfile(col.name, col.source_type, col.spark_type, seen, digits, scale, suggested, fits,
                                 note))
    return out
