"""`validate`, `browse` and `plan` answer from the database alone: Spark (and its JVM) never starts."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import pytest
import yaml

PROBE = """
import json, sys
from data_extractor.cli.main import main
code = main({argv!r})
print(json.dumps({{"code": code, "pyspark": sorted(m for m in sys.modules if m.split(".")[0] == "pyspark")}}))
"""


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nospark")
    conn = sqlite3.connect(folder / "shop.db")
    conn.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, amount DECIMAL(10,2))")
    conn.executemany("INSERT INTO orders VALUES (?, ?)", [(i, i / 4) for i in range(1, 2001)])
    conn.commit()
    conn.close()
    path = folder / "c.yaml"
    path.write_text(yaml.safe_dump({"source": {"type": "sqlite", "path": str(folder / "shop.db")},
                                    "output": {"path": str(folder / "out")}, "tables": ["orders"]}))
    return str(path)


@pytest.mark.parametrize("argv", [
    ["validate", "-c", "{c}"],
    ["browse", "-c", "{c}"],
    ["browse", "-c", "{c}", "--table", "orders"],
    ["plan", "-c", "{c}", "-t", "orders", "--strategy", "balanced", "--partitions", "4"],
    ["plan", "-c", "{c}", "-t", "orders", "--profile"],
])
def test_no_spark_for_reading_the_catalog_and_planning(config, argv):
    args = [a.format(c=config) for a in argv]
    done = subprocess.run([sys.executable, "-c", PROBE.format(argv=args)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"code": 0, "pyspark": []}
