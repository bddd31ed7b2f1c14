"""Live rows without a shared disk: tasks' reports reach the driver's listener over TCP."""

from __future__ import annotations

import subprocess
import sys
import time

from data_extractor.spark.rows_listener import RowsListener, RowsReporter

TASK = """
import sys
from data_extractor.spark.rows_listener import RowsReporter
r = RowsReporter(("127.0.0.1", int(sys.argv[1])), int(sys.argv[2]))
for rows in (100, 200, 300):
    r.report(rows, force=True)
r.close()
"""


def wait_for(fn, value, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and fn() != value:
        time.sleep(0.05)
    return fn()


def test_the_listener_keeps_the_latest_count_per_partition_from_other_processes():
    listener = RowsListener("127.0.0.1")
    try:
        assert listener.rows() is None
        for partition in (0, 1):
            subprocess.run([sys.executable, "-c", TASK, str(listener.address[1]), str(partition)], check=True,
                           timeout=60)
        assert wait_for(listener.rows, 600) == 600  # 300 each: the latest, not the sum of reports
        again = RowsReporter(listener.address, 1)  # a retried attempt starts over
        again.report(50, force=True)
        again.close()
        assert wait_for(listener.rows, 350) == 350
    finally:
        listener.close()


def test_a_reporter_that_cannot_connect_gives_up_quietly():
    listener = RowsListener("127.0.0.1")
    address = listener.address
    listener.close()
    reporter = RowsReporter(address, 0)
    reporter.report(10, force=True)
    assert reporter.address is None
    reporter.report(20, force=True)  # no second attempt, no error
