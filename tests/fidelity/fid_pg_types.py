"""A PostgreSQL table holding every common type at its edges, and an independent psycopg reader for it.

Rows are inserted with the session TimeZone set to Europe/Berlin, so wall-clock literals around the 2024
DST changes become the instants Berlin gives them; the database's own default TimeZone is Berlin too, so
every reader connection sees a non-UTC session.
"""

from __future__ import annotations

from typing import Any

import psycopg

BERLIN = "Europe/Berlin"
TEXT_MB = 5
BLOB_MB = 5

DDL = """
CREATE TYPE fid_mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE {name} (
  id integer PRIMARY KEY, label text NOT NULL,
  num_38_10 numeric(38,10), num_38_0 numeric(38,0), num_bare numeric, num_12_2 numeric(12,2),
  i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision,
  txt text, vchar varchar(64), chr char(4), flag boolean,
  day date, ts timestamp, tstz timestamptz, bin bytea,
  ivl interval, uid uuid, js json, jsb jsonb, ints integer[], texts text[], tm time, tmtz timetz, mood fid_mood
)"""

# Columns the README documents as strings: PostgreSQL's own text form.
AS_TEXT = ("ivl", "uid", "js", "jsb", "ints", "texts", "tm", "tmtz", "mood")

MAX_38_10 = "9999999999999999999999999999.9999999999"
MAX_38_0 = "9" * 38
UNICODE = ("emoji 😀👩\u200d👩\u200d👧\u200d👦🚀 | arabic مرحبا بالعالم | hebrew שלום עולם | "
           "combining e\u0301 a\u0308 \u1100\u1161 | controls \t\n\r\x01\x1f\x7f | bom \ufeff nbsp \u00a0 "
           "ls \u2028 rtl-mark \u200f")

# id -> (label, {column: SQL literal}); columns left out are NULL.
ROWS: dict[int, tuple[str, dict[str, str]]] = {
    1: ("all NULL", {}),
    2: ("maxima", {
        "num_38_10": MAX_38_10, "num_38_0": MAX_38_0, "num_bare": MAX_38_10, "num_12_2": "9999999999.99",
        "i2": "32767", "i4": "2147483647", "i8": "9223372036854775807",
        "f4": "'3.4028235e38'", "f8": "'1.7976931348623157e308'",
        "day": "'9999-12-31'", "ts": "'9999-12-31 23:59:59.999999'", "tstz": "'9999-12-31 23:59:59.999999+00'",
        "tm": "'23:59:59.999999'", "tmtz": "'24:00:00+15:59'", "ivl": "'178000000 years'",
        "flag": "true", "mood": "'happy'",
    }),
    3: ("minima", {
        "num_38_10": "-" + MAX_38_10, "num_38_0": "-" + MAX_38_0, "num_bare": "-" + MAX_38_10,
        "num_12_2": "-9999999999.99", "i2": "-32768", "i4": "-2147483648", "i8": "-9223372036854775808",
        "f4": "'-3.4028235e38'", "f8": "'-1.7976931348623157e308'",
        "day": "'0001-01-01'", "ts": "'0001-01-01 00:00:00'", "tstz": "'0001-01-01 00:00:00+00'",
        "tm": "'00:00:00'", "tmtz": "'00:00:00-15:59'", "ivl": "'-178000000 years'", "flag": "false",
    }),
    4: ("tiny, zero and empty", {
        "num_38_10": "0.0000000001", "num_38_0": "0", "num_bare": "-0.0000000001", "num_12_2": "0.01",
        "i2": "0", "i4": "0", "i8": "0", "f4": "'-0.0'", "f8": "'-0.0'",
        "txt": "''", "vchar": "''", "chr": "''", "bin": "''::bytea", "js": "'\"\"'", "jsb": "'{}'",
        "ints": "'{}'", "texts": "'{\"\"}'", "ivl": "'0'", "uid": "'00000000-0000-0000-0000-000000000000'",
    }),
    5: ("NaN", {"f4": "'NaN'", "f8": "'NaN'", "num_38_10": "-1234.5678901234", "num_bare": "1e27"}),
    6: ("+Infinity", {"f4": "'Infinity'", "f8": "'Infinity'", "num_38_0": "12345678901234567890123456789012345678"}),
    7: ("-Infinity", {"f4": "'-Infinity'", "f8": "'-Infinity'", "num_38_0": "-1"}),
    8: ("subnormals", {"f4": "'1.4e-45'", "f8": "'4.9406564584124654e-324'", "num_bare": "0.1"}),
    9: ("smallest normals", {"f4": "'1.17549435e-38'", "f8": "'2.2250738585072014e-308'", "num_bare": "-0"}),
    10: ("unicode", {
        "txt": "%(unicode)s", "vchar": "'נ😀ب'", "chr": "'é😀'", "texts": "ARRAY['שלום', 'a,b', 'q\"u''o', NULL]",
        "js": "'{\"k\": \"😀 مرحبا\", \"n\": 1.10}'", "jsb": "'{\"k\": \"😀 מים\", \"n\": 1.10}'",
        "bin": "'\\x00ff00fe7f80'::bytea", "mood": "'sad'",
    }),
    11: ("whitespace only", {"txt": "' '", "vchar": "'  '", "chr": "' '", "texts": "ARRAY[' ']"}),
    12: ("uuid, json, arrays", {
        "uid": "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'", "ints": "'{{1,2},{3,NULL}}'",
        "ivl": "'1 year 2 mons 3 days 04:05:06.789012'", "jsb": "'[1, \"two\", null, {\"a\": [true, false]}]'",
        "js": "'  {\"spaces\" :  \"kept\" }  '", "i4": "-1",
    }),
}

# Wall-clock literals around the Berlin DST changes of 2024, read as Berlin time for both columns.
DST = [
    "2024-03-31 01:30:00", "2024-03-31 01:59:59.999999", "2024-03-31 02:30:00",  # 02:30 does not exist
    "2024-03-31 03:00:00", "2024-03-31 03:30:00",
    "2024-10-27 01:30:00", "2024-10-27 02:00:00", "2024-10-27 02:30:00",  # 02:00-03:00 happens twice
    "2024-10-27 02:59:59.999999", "2024-10-27 03:00:00", "2024-10-27 03:30:00",
]
# Both 02:30 wall clocks of 27 October, as distinct instants.
DST_INSTANTS = ["2024-10-27 00:30:00+00", "2024-10-27 01:30:00+00"]


def create(conn: psycopg.Connection, name: str = "fid_types") -> None:
    conn.execute(f"DROP TABLE IF EXISTS {name}")
    conn.execute("DROP TYPE IF EXISTS fid_mood")
    conn.execute(DDL.format(name=name))
    conn.execute(f"SET TimeZone = '{BERLIN}'")
    for key, (label, values) in ROWS.items():
        cols = ["id", "label", *values]
        lits = [str(key), "%(label)s", *values.values()]
        conn.execute(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join(lits)})",
                     {"label": label, "unicode": UNICODE})
    for i, text in enumerate(DST):
        conn.execute(f"INSERT INTO {name} (id, label, ts, tstz) VALUES (%s, %s, %s::timestamp, %s::timestamptz)",
                     (100 + i, f"DST {text} Berlin", text, text))
    for i, text in enumerate(DST_INSTANTS):
        conn.execute(f"INSERT INTO {name} (id, label, ts, tstz) VALUES (%s, %s, (%s::timestamptz)::timestamp, "
                     "%s::timestamptz)", (120 + i, f"DST instant {text}", text, text))
    big_text = ("0123456789abcdef€😀" * (TEXT_MB * 1024 * 1024 // 24))[: TEXT_MB * 1024 * 1024]
    big_bin = bytes(range(256)) * (BLOB_MB * 1024 * 1024 // 256)
    conn.execute(f"INSERT INTO {name} (id, label, txt, bin) VALUES (200, 'large', %s, %s)", (big_text, big_bin))
    conn.execute("RESET TimeZone")
    conn.execute(f"ANALYZE {name}")


def columns(conn: psycopg.Connection, name: str = "fid_types") -> list[str]:
    rows = conn.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0 "
                        "AND NOT attisdropped ORDER BY attnum", (name,)).fetchall()
    return [r[0] for r in rows]


def read_source(conn: psycopg.Connection, name: str = "fid_types") -> dict[int, dict[str, Any]]:
    """Every row by id, read with psycopg's binary protocol (exact floats and numerics)."""
    cols = columns(conn, name)
    exprs = [f"{c}::text AS {c}" if c in AS_TEXT else c for c in cols]
    with conn.cursor(binary=True) as cur:
        cur.execute("SET TimeZone = 'UTC'")  # Python's datetime ends at 9999-12-31 23:59:59.999999 UTC
        cur.execute(f"SELECT {', '.join(exprs)} FROM {name}")
        rows = cur.fetchall()
        cur.execute("RESET TimeZone")
    return {r[0]: dict(zip(cols, r, strict=True)) for r in rows}
