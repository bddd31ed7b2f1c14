"""The Arrow-native writer's encoding choices, checked in the Parquet files a real run writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from data_extractor import Extractor
from data_extractor.spark.arrow_writer import dictionary_columns

pytestmark = pytest.mark.spark


def test_dictionary_only_where_values_repeat():
    table = pa.table({"key": list(range(1000)), "status": ["new", "paid"] * 500, "empty": [None] * 1000,
                      "half": [i // 2 for i in range(1000)], "mostly": [i // 2 + (i % 3 == 0) for i in range(1000)]})
    assert dictionary_columns(table) == ["status", "empty", "half"]


def test_a_run_dictionary_encodes_the_repeating_columns_and_not_the_keys(spark, tmp_path):
    db = tmp_path / "src.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, status TEXT, note TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)",
                     [(i, ["new", "paid", "void"][i % 3], f"note {i} é") for i in range(20_000)])
    conn.commit()
    conn.close()
    with Extractor({"source": {"type": "sqlite", "path": str(db)}, "output": {"path": str(tmp_path / "out")},
                    "tables": ["t"]}) as ex:
        assert ex.run().ok
    files = sorted(Path(tmp_path / "out").rglob("*.parquet"))
    assert files
    meta = pq.ParquetFile(files[0]).metadata
    encodings = {meta.schema.column(i).name: meta.row_group(0).column(i).encodings for i in range(3)}
    assert any("DICTIONARY" in e for e in encodings["status"])
    assert not any("DICTIONARY" in e for e in encodings["id"])
    assert not any("DICTIONARY" in e for e in encodings["note"])
    back = pa.concat_tables([pq.read_table(f) for f in files]).sort_by("id")
    assert back.num_rows == 20_000 and back.column("note")[7].as_py() == "note 7 é"


def test_tasks_report_rows_as_they_stream_and_the_report_is_not_published(spark, tmp_path):
    from data_extractor.spark.arrow_writer import PROGRESS, _write_partition, streamed_rows
    from data_extractor.spark.tasks import ReadSpec

    db = tmp_path / "src.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"v{i}") for i in range(30_000)])
    conn.commit()
    conn.close()
    events = []
    with Extractor({"source": {"type": "sqlite", "path": str(db)}, "output": {"path": str(tmp_path / "out")},
                    "defaults": {"partitioning": {"strategy": "range", "column": "id", "partitions": 2}},
                    "tables": ["t"]}) as ex:
        assert ex.run(on_event=events.append).ok
        plan = ex.plan("t")
        columns = ex.catalog.select_columns(plan.ref, None)
        spec = ReadSpec(ex.dialect, plan.ref, columns, [p.predicate for p in plan.partitions], None, 1000)
        staging = tmp_path / "staging"
        staging.mkdir()
        assert streamed_rows(str(staging)) is None
        # a task creates no folder: one outliving a failed (and discarded) job must not bring staging back
        _write_partition(spec, 0, str(staging), "snappy", None)
        assert not (staging / PROGRESS).exists()
        (staging / PROGRESS).mkdir()  # the driver's job
        stats = [_write_partition(spec, i, str(staging), "snappy", None) for i in range(2)]
        gone = tmp_path / "discarded"
        with pytest.raises(FileNotFoundError):
            _write_partition(spec, 1, str(gone), "snappy", None)
        assert not gone.exists()
    assert streamed_rows(str(staging)) == sum(s["rows"] for s in stats) == 30_000
    published = tmp_path / "out"
    assert not list(published.rglob(PROGRESS)), "the progress reports were published"
    finished = [e for e in events if type(e).__name__ == "TableFinished"]
    assert finished and finished[0].rows == 30_000
    progress = [e for e in events if type(e).__name__ == "TableProgress"]
    assert progress[-1].rows == 30_000 and progress[-1].partitions_done == 2  # the count, not an estimate
