"""Oracle column types -> Spark types, from ALL_TAB_COLS strings or python-oracledb's fetch metadata.

References are to /work/shared/ORACLE.md §4. Values the driver cannot hand to Arrow exactly are converted in
the SELECT (see `conversion_template`).
"""

from __future__ import annotations

import re
from typing import Any

DEFAULT_NUMBER_TYPE = "decimal(38,10)"

_PLAIN = {
    "BINARY_FLOAT": "float",
    "BINARY_DOUBLE": "double",
    "BOOLEAN": "boolean",
    **dict.fromkeys(("CHAR", "NCHAR", "VARCHAR", "VARCHAR2", "NVARCHAR2", "CLOB", "NCLOB", "LONG"), "string"),
    **dict.fromkeys(("RAW", "LONG RAW", "BLOB"), "binary"),
}
_UTC = "selected as SYS_EXTRACT_UTC: the instant in UTC"
# Types the driver cannot hand to Arrow as-is: (spark type, SELECT template, note).
_CONVERTED = {
    "TIMESTAMP WITH TIME ZONE": ("timestamp", "SYS_EXTRACT_UTC({})", _UTC),
    "TIMESTAMP WITH LOCAL TIME ZONE": ("timestamp", "SYS_EXTRACT_UTC({})", _UTC),
    "INTERVAL YEAR TO MONTH": ("string", "TO_CHAR({})", "selected as TO_CHAR (Oracle interval text)"),
    "INTERVAL DAY TO SECOND": ("string", "TO_CHAR({})", "selected as TO_CHAR (Oracle interval text)"),
    "ROWID": ("string", "ROWIDTOCHAR({})", "selected as ROWIDTOCHAR"),
    "UROWID": ("string", "ROWIDTOCHAR({})", "selected as ROWIDTOCHAR"),
    # sqlglot cannot parse these two; they are emitted as raw Oracle SQL.
    "XMLTYPE": ("string", "XMLSERIALIZE(CONTENT {} AS CLOB)", "selected as XMLSERIALIZE(... AS CLOB)"),
    "JSON": ("string", "JSON_SERIALIZE({} RETURNING CLOB)", "selected as JSON_SERIALIZE(... RETURNING CLOB)"),
}
_AS_IS = {*_PLAIN, "NUMBER", "FLOAT", "DATE", "TIMESTAMP"}
_FETCH_NAMES = {
    "DB_TYPE_VARCHAR": "VARCHAR2", "DB_TYPE_NVARCHAR": "NVARCHAR2", "DB_TYPE_CHAR": "CHAR",
    "DB_TYPE_NCHAR": "NCHAR", "DB_TYPE_LONG": "LONG", "DB_TYPE_LONG_NVARCHAR": "LONG", "DB_TYPE_CLOB": "CLOB",
    "DB_TYPE_NCLOB": "NCLOB", "DB_TYPE_RAW": "RAW", "DB_TYPE_LONG_RAW": "LONG RAW", "DB_TYPE_BLOB": "BLOB",
    "DB_TYPE_DATE": "DATE", "DB_TYPE_BINARY_FLOAT": "BINARY_FLOAT", "DB_TYPE_BINARY_DOUBLE": "BINARY_DOUBLE",
    "DB_TYPE_BOOLEAN": "BOOLEAN", "DB_TYPE_ROWID": "ROWID", "DB_TYPE_UROWID": "UROWID",
    "DB_TYPE_XMLTYPE": "XMLTYPE", "DB_TYPE_JSON": "JSON",
}


def base_type(data_type: str) -> str:
    """The type name without precisions: 'TIMESTAMP(6) WITH TIME ZONE' -> 'TIMESTAMP WITH TIME ZONE'."""
    return " ".join(re.sub(r"\([^)]*\)", " ", data_type.upper()).split())


def spark_type_for(
    data_type: str, precision: int | None, scale: int | None, number_type: str = DEFAULT_NUMBER_TYPE
) -> tuple[str, str | None]:
    """(Spark type, note) for an ALL_TAB_COLS type (DATA_TYPE, DATA_PRECISION, DATA_SCALE).

    Example: `spark_type_for("NUMBER", 12, 2)` -> `("decimal(12,2)", None)`.
    """
    base = base_type(data_type)
    if base == "NUMBER":
        return _number(precision, scale, number_type)
    if base == "FLOAT":  # binary precision; decimal-based, so double may round
        wide = precision is None or precision > 53
        return "double", "FLOAT read as double (about 16 significant digits)" if wide else None
    if base in _PLAIN:
        return _PLAIN[base], None
    if base == "DATE":
        return "timestamp_ntz", "DATE is a wall-clock date and time without time zone"
    m = re.search(r"TIMESTAMP\s*\((\d+)\)", data_type.upper())
    digits = int(m[1]) if m else (scale if scale is not None else 6)
    cut = f"TIMESTAMP({digits}): digits past microseconds are truncated" if digits > 6 else None
    if base == "TIMESTAMP":
        return "timestamp_ntz", cut
    if base in _CONVERTED:
        spark, _, note = _CONVERTED[base]
        return spark, "; ".join(n for n in (note, cut if base.startswith("TIMESTAMP") else None) if n)
    return "string", f"{data_type} has no Arrow mapping: selected as TO_CHAR"


def _number(precision: int | None, scale: int | None, number_type: str) -> tuple[str, str | None]:
    if not precision and (scale is None or scale == -127):
        return number_type, f"NUMBER without precision read as {number_type} (source.number_type)"
    p, s = precision or 38, scale or 0  # NUMBER(*,s) is NUMBER(38,s)
    if s < 0:
        return f"decimal({min(p - s, 38)},0)", None
    if s > 38:
        return number_type, f"NUMBER({p},{s}) has more than 38 decimals: read as {number_type}"
    return f"decimal({max(p, s)},{s})", None


def spark_type_for_fetch_info(info: Any, number_type: str = DEFAULT_NUMBER_TYPE) -> tuple[str, str | None]:
    """(Spark type, note) for a python-oracledb FetchInfo (type_code, precision, scale)."""
    name = getattr(info.type_code, "name", str(info.type_code))
    p, s = info.precision, info.scale
    if name == "DB_TYPE_NUMBER":
        if s == -127:  # bare NUMBER reports (0, -127); FLOAT(b) reports (b, -127)
            return spark_type_for("FLOAT", p, None) if p else _number(None, None, number_type)
        return spark_type_for("NUMBER", p or None, s, number_type)
    data_type = {
        "DB_TYPE_TIMESTAMP": f"TIMESTAMP({s})",
        "DB_TYPE_TIMESTAMP_TZ": f"TIMESTAMP({s}) WITH TIME ZONE",
        "DB_TYPE_TIMESTAMP_LTZ": f"TIMESTAMP({s}) WITH LOCAL TIME ZONE",
        "DB_TYPE_INTERVAL_YM": f"INTERVAL YEAR({p}) TO MONTH",
        "DB_TYPE_INTERVAL_DS": f"INTERVAL DAY({p}) TO SECOND({s})",
    }.get(name) or _FETCH_NAMES.get(name) or name.removeprefix("DB_TYPE_")
    return spark_type_for(data_type, None, None, number_type)


def conversion_template(source_type: str) -> str | None:
    """The SELECT template ('{}' = quoted column) for a type, or None to select it as-is."""
    base = base_type(source_type)
    if base in _CONVERTED:
        return _CONVERTED[base][1]
    return None if base in _AS_IS else "TO_CHAR({})"


def _source_type(data_type: str, precision: int | None, scale: int | None) -> str:
    if data_type == "NUMBER" and (precision is not None or scale is not None):
        return f"NUMBER({'*' if precision is None else precision},{scale or 0})"
    if data_type == "FLOAT" and precision is not None:
        return f"FLOAT({precision})"
    return data_type
