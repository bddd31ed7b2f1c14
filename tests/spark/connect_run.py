"""Run the demo extraction on a local Spark Connect server (a separate process: one server per machine)."""

from __future__ import annotations

import json
import sys

from data_extractor import Extractor
from data_extractor.spark import session


def main(db: str, out: str) -> None:
    cfg = {"source": {"type": "sqlite", "path": db}, "tables": ["orders", "customers", "products"],
           "output": {"path": out}, "spark": {"remote": "local[2]"},
           "defaults": {"parallel_tables": 2, "partitioning": {"target_rows": 10_000}}}
    progress = []
    result = Extractor(cfg).run(on_event=lambda e: progress.append(e.table) if e.kind == "TableProgress" else None)
    root = session.get_session(Extractor(cfg).config.spark)
    print(json.dumps({"result": result.to_dict(), "connect": session.is_connect(root), "progress": len(progress)}))
    session.stop()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
