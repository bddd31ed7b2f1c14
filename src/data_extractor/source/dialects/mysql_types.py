"""MySQL/MariaDB column types -> Spark types, and the SELECT conversions that keep values exact."""

from __future__ import annotations

import re

_SIGNED = {"tinyint": "tinyint", "smallint": "smallint", "mediumint": "int", "int": "int",
           "integer": "int", "bigint": "bigint"}
# An unsigned type widens to the next signed Spark type.
_UNSIGNED = {"tinyint": "smallint", "smallint": "int", "mediumint": "int", "int": "bigint",
             "integer": "bigint", "bigint": "decimal(20,0)"}
_TEXT = {"char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set", "json",
         "national char", "nchar", "nvarchar", "long varchar"}
_BINARY = {"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"}
_GEOMETRY = {"geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon",
             "geometrycollection", "geomcollection"}
_TYPE = re.compile(r"\s*([a-z ]+?)\s*(?:\(([^)]*)\))?\s*((?:unsigned|signed|zerofill|\s)*)$")


def _parse(column_type: str) -> tuple[str, list[str], bool]:
    """'bigint(20) unsigned' -> ('bigint', ['20'], True); enum/set arguments are not split."""
    text = column_type.strip().lower()
    m = _TYPE.match(text)
    if not m or text.startswith(("enum", "set")):
        return text.split("(")[0].strip(), [], False
    args = [a.strip() for a in (m[2] or "").split(",") if a.strip()]
    return m[1].strip(), args, "unsigned" in (m[3] or "")


def spark_type_for(column_type: str, number_type: str = "decimal(38,10)") -> tuple[str, str | None]:
    """(Spark type, note) for an information_schema COLUMN_TYPE.

    Example: `spark_type_for("bigint(20) unsigned")` -> `("decimal(20,0)", None)`.
    """
    base, args, unsigned = _parse(column_type)
    if base == "tinyint" and args == ["1"] and not unsigned:
        return "boolean", "TINYINT(1) read as boolean: a value other than 0 and 1 fails the table"
    if base in _SIGNED:
        return (_UNSIGNED if unsigned else _SIGNED)[base], None
    if base in ("decimal", "numeric", "dec", "fixed"):
        p = int(args[0]) if args else 10
        s = int(args[1]) if len(args) > 1 else 0
        if p <= 38:
            return f"decimal({p},{s})", None
        return number_type, (f"{base.upper()}({p},{s}) is wider than Spark's 38 digits: read as "
                             f"{number_type} (source.number_type); a value that does not fit fails the table")
    if base == "float":
        return "float", None
    if base in ("double", "real", "double precision"):
        return "double", None
    if base == "bit":
        width = int(args[0]) if args else 1
        if width == 1:
            return "boolean", None
        return ("bigint", None) if width < 64 else ("decimal(20,0)", None)
    if base == "year":
        return "int", None
    if base == "date":
        return "date", "a zero or invalid date fails the table"
    if base == "datetime":
        return "timestamp_ntz", "DATETIME is a wall-clock time without time zone"
    if base == "timestamp":
        return "timestamp", "TIMESTAMP is an instant: read in UTC (session time_zone +00:00)"
    if base == "time":
        return "string", "TIME is a duration (-838:59:59 to 838:59:59): read as its text"
    if base in _TEXT:
        return "string", None
    if base in _BINARY:
        return "binary", None
    if base in _GEOMETRY:
        return "binary", "geometry read as WKB (ST_AsBinary; the SRID is dropped)"
    return "string", f"{column_type} read as text (CAST AS CHAR)"


def select_template(column_type: str) -> str | None:
    """The SELECT template ('{}' = quoted column) for a type, or None to select it as-is."""
    base, _, _ = _parse(column_type)
    if base in ("bit", "year"):
        return "CAST({} AS UNSIGNED)" if base == "bit" else "CAST({} AS SIGNED)"
    if base == "float":  # the text protocol sends FLOAT with 6 digits; as a double it arrives exact
        return "({} + 0E0)"
    if base in ("char", "nchar", "national char", "enum", "set"):
        return "CAST({} AS CHAR)"  # typed VARCHAR, so that Spark's JDBC reader does not pad it to the width
    if base in _GEOMETRY:
        return "ST_AsBinary({})"
    plain = {*_SIGNED, "decimal", "numeric", "dec", "fixed", "double", "real", "double precision",
             "date", "datetime", "timestamp", *_TEXT, *_BINARY}
    return None if base in plain else "CAST({} AS CHAR)"


def result_type(type_code: int, flags: int, charsetnr: int, length: int, scale: int) -> str:
    """A COLUMN_TYPE-like name for a result column from the protocol's field metadata.

    Example: `result_type(8, 32, 63, 20, 0)` -> `"bigint unsigned"`.
    """
    from pymysql.constants import FIELD_TYPE as F
    from pymysql.constants import FLAG

    unsigned = " unsigned" if flags & FLAG.UNSIGNED else ""
    ints = {F.TINY: "tinyint", F.SHORT: "smallint", F.INT24: "mediumint", F.LONG: "int", F.LONGLONG: "bigint"}
    if type_code == F.TINY and length == 1 and not unsigned:
        return "tinyint(1)"
    if type_code in ints:
        return ints[type_code] + unsigned
    if type_code in (F.DECIMAL, F.NEWDECIMAL):  # the display length counts the point and the sign
        p = length - (1 if scale else 0) - (0 if unsigned else 1)
        return f"decimal({max(p, 1)},{scale}){unsigned}"
    if type_code == F.BIT:
        return f"bit({length})"
    simple = {F.FLOAT: "float", F.DOUBLE: "double", F.DATE: "date", F.NEWDATE: "date", F.DATETIME: "datetime",
              F.TIMESTAMP: "timestamp", F.TIME: "time", F.YEAR: "year", F.JSON: "json", F.GEOMETRY: "geometry"}
    if type_code in simple:
        return simple[type_code]
    if flags & FLAG.ENUM:
        return "enum"
    if flags & FLAG.SET:
        return "set"
    binary = charsetnr == 63
    if type_code == F.STRING:
        return "binary" if binary else "char"
    if type_code in (F.VARCHAR, F.VAR_STRING):
        return "varbinary" if binary else "varchar"
    if type_code in (F.TINY_BLOB, F.BLOB, F.MEDIUM_BLOB, F.LONG_BLOB):
        return "blob" if binary else "text"
    return f"type {type_code}"
