"""Record the event stream of a real run into tests/data/run_events.jsonl (the faces' shared fixture).

    python tests/record_run_events.py

The demo SQLite database (orders 400,000 rows in 8 partitions, customers, products) and a table
that vanished between browsing and the run (`gone`): the run reads three tables and fails one.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
from pathlib import Path

from data_extractor import Extractor
from data_extractor.cli.demo import build_database
from data_extractor.run import events as ev

OUT = Path(__file__).resolve().parent / "data" / "run_events.jsonl"


def load(path: Path = OUT) -> list[ev.Event]:
    """The recorded events, as the engine emitted them."""
    out = []
    for line in path.read_text().splitlines():
        data = json.loads(line)
        cls = getattr(ev, data.pop("event"))
        out.append(cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}))
    return out


def record() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "demo.db"
        build_database(db, rows=400_000)
        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE gone (id INTEGER PRIMARY KEY)")
        config = {"source": {"type": "sqlite", "path": str(db)}, "spark": {"master": "local[2]"},
                  "output": {"path": "/data/extracts"},
                  "defaults": {"parallel_tables": 2},
                  "tables": [{"name": "orders", "partitioning": {"strategy": "balanced", "partitions": 8}},
                             "customers", "gone", "products"]}
        ex = Extractor(config)
        ex.config = ex.config.model_copy(update={"output": ex.config.output.model_copy(
            update={"path": str(Path(tmp) / "extracts")})})
        with sqlite3.connect(db) as conn:
            conn.execute("DROP TABLE gone")  # vanished after the config was written
        seen: list[ev.Event] = []
        handle = ex.start(["orders", "customers", "gone", "products"], on_event=seen.append)
        handle.wait(600)
        ex.close()
    with OUT.open("w") as fh:
        for e in seen:
            data = e.to_dict()
            for key in ("path", "output"):
                if isinstance(data.get(key), str):
                    data[key] = data[key].replace(tmp, "/data")
            if isinstance(data.get("message"), str):
                data["message"] = data["message"].replace(tmp, "/data")
            fh.write(json.dumps(data) + "\n")
    print(f"{len(seen)} events -> {OUT}", file=sys.stderr)


if __name__ == "__main__":
    record()
