"""What the Run tab says about a run: a table's status words and the sentence under the bars.

Pure functions of the engine's `RunModel`: no widgets.
"""

from __future__ import annotations

from data_extractor import humanize
from data_extractor.run.model import Progress, RunModel

from .formatting import short_path


def status_key(row: Progress) -> str:
    """done | failed | cancelled | cancelling | running | planned | queued | waiting (for Spark)."""
    if row.status == "succeeded":
        return "done"
    if row.cancelling and not row.ended:
        return "cancelling"
    if row.status == "queued":
        return "planned" if row.planned else ("queued" if row.spark_ready else "waiting")
    return row.status


def run_summary(model: RunModel) -> tuple[str, str]:
    """(kind, sentence) saying where the run is and what happens next; kind is hint, ok, warn or error."""
    n = len(model.tables)
    if model.start_error:
        return "error", f"the run did not start: {model.start_error}"
    if not model.finished:
        if model.run_id is None or model.spark_seconds is None:
            return "hint", (f"starting Spark for {n} table(s) (the first run in a session takes a few "
                            "seconds); Cancel stops the run")
        verb = "cancelling" if model.cancel_requested else "extracting"
        return "hint", (f"{verb} {n} table(s): {model.count('succeeded')} done, {humanize.count(model.rows)} rows "
                        "so far; Cancel stops them (nothing half-written is ever published)")
    failed, cancelled, done = model.count("failed"), model.count("cancelled"), model.count("succeeded")
    took = humanize.duration(model.seconds)
    where = f" into {short_path(model.output)}" if model.output else ""
    if failed:
        return "error", (f"{failed} of {n} table(s) failed (reason in red above, full log in the Logs tab); "
                         f"{done} done{where}. Fix the cause and Run again")
    if cancelled:
        return "warn", (f"cancelled after {took}: {done} table(s) done, {cancelled} cancelled and not published "
                        "(earlier extracts are untouched). Run to start again")
    return "ok", (f"done: {done} table(s), {model.rows:,} rows in {took}{where}. Select other tables or Run again")
