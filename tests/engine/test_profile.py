"""`plan --profile` suggests the decimal that holds a bare numeric column's values."""

from __future__ import annotations

import json
import subprocess
import sys

import sqlglot
import yaml

from data_extractor.config.models import SourceConfig
from data_extractor.source.dialects.base import TableRef
from data_extractor.source.dialects.oracle import OracleDialect


def test_profile_suggests_a_decimal_for_unconstrained_numeric(pg, pg_conn, tmp_path):
    pg_conn.execute("DROP TABLE IF EXISTS loose")
    pg_conn.execute("CREATE TABLE loose (id int PRIMARY KEY, small numeric, wide numeric, fixed numeric(10,2))")
    pg_conn.execute("INSERT INTO loose VALUES (1, 12.5, 123456789012345678901234.123456789012, 1.5), "
                    "(2, -3.25, 0.000000000001, 2), (3, NULL, NULL, NULL)")
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump({"source": pg.source(), "tables": ["public.loose"]}))
    proc = subprocess.run([sys.executable, "-m", "data_extractor", "plan", "-c", str(path), "-t", "public.loose",
                           "--profile", "--json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    prof = {p["column"]: p for p in json.loads(proc.stdout)["profile"]}
    assert set(prof) == {"small", "wide"}  # fixed has a declared precision
    assert prof["small"]["suggested"] == "decimal(4,2)" and prof["small"]["fits"]
    assert prof["wide"]["integer_digits"] == 24 and prof["wide"]["scale"] == 12
    assert prof["wide"]["suggested"] == "decimal(36,12)" and not prof["wide"]["fits"]
    assert "source.number_type" in prof["wide"]["note"]
    text = subprocess.run([sys.executable, "-m", "data_extractor", "plan", "-c", str(path), "-t", "public.loose",
                           "--profile"], capture_output=True, text=True, timeout=60)
    assert text.returncode == 0 and "decimal(36,12)" in text.stdout


def test_oracle_profile_sql_parses():
    d = OracleDialect(SourceConfig(type="oracle", host="h", service_name="S", user="u", password="p"))
    for fraction in (1.0, 0.01):
        sqlglot.parse_one(d.numeric_profile_sql(TableRef("S", "T"), "AMOUNT", fraction), read="oracle")
