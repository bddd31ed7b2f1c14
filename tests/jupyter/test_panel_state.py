"""The panel's widget state, driven as a user would (set a widget's value, click a button), with no browser.

Runs under ipywidgets 8 here and under 7.8 through test_ipywidgets7.py (DX_EXPECT_IPYWIDGETS=7).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
import time
import traceback

import ipywidgets
import pyarrow.parquet as pq
import pytest
from nb_helpers import Demo, text

from data_extractor.run.model import RunModel
from data_extractor_jupyter import ExtractorPanel
from data_extractor_jupyter.compat import tab_titles

RUN_TIMEOUT = int(os.environ.get("DX_RUN_TIMEOUT", "180"))


def finished(panel: ExtractorPanel):
    """The run's result; on a timeout, fails with every thread's stack so a hang can be diagnosed."""
    result = panel.wait(RUN_TIMEOUT)
    if result is None:
        stacks = "\n".join(f"--- {t.name}\n" + "".join(traceback.format_stack(sys._current_frames()[t.ident]))
                           for t in threading.enumerate() if t.ident in sys._current_frames())
        pytest.fail(f"the run did not end within {RUN_TIMEOUT} s; threads:\n{stacks}")
    return result


def panel_for(demo: Demo, **kwargs) -> ExtractorPanel:
    kwargs.setdefault("throttle", 0.1)
    return ExtractorPanel(str(demo.config), **kwargs)


def test_runs_under_the_expected_ipywidgets_major():
    expected = os.environ.get("DX_EXPECT_IPYWIDGETS")
    major = ipywidgets.__version__.split(".")[0]
    assert major == (expected or major), f"ipywidgets {ipywidgets.__version__}, expected {expected}.x"


def test_tabs_are_titled_in_order_and_browse_lists_tables_with_estimated_rows(demo: Demo):
    panel = panel_for(demo, warm_up=False)
    assert tab_titles(panel.tabs) == ["Browse", "Plan", "Run", "Logs"]
    assert panel.tabs.selected_index == 0
    assert panel.browse.schema.value == "main"
    labels = {value: text(label) for label, value in panel.browse.tables.options}
    assert list(labels) == ["customers", "orders", "products"]
    assert "20.0 k rows" in labels["orders"] and "500 rows" in labels["customers"]
    assert "select tables" in text(panel.browse.selection.value)
    assert "select tables in Browse, then Run" in text(panel.run_tab.next_run.value)
    bundle = panel._repr_mimebundle_()
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == panel.widget.model_id


def test_search_filters_the_list_and_keeps_the_selection(demo: Demo):
    panel = panel_for(demo, warm_up=False)
    panel.browse.tables.value = ("customers", "orders")
    panel.browse.search.value = "ord*"
    assert [v for _, v in panel.browse.tables.options] == ["orders"]
    assert panel.browse.tables.value == ("orders",)
    panel.browse.search.value = "zzz"
    assert "no table matches 'zzz'" in text(panel.browse.details.value)
    panel.browse.search.value = "CUST"
    assert panel.browse.tables.value == ("customers",)
    panel.browse.search.value = ""
    assert panel.selected == ["customers", "orders"]


def test_details_show_each_column_with_its_source_and_parquet_type(demo: Demo):
    panel = panel_for(demo, warm_up=False)
    panel.browse.tables.value = ("orders",)
    details = text(panel.browse.details.value)
    assert "main.orders" in details and "key: id" in details
    assert "amount" in details and "DECIMAL(12,2)" in details and "decimal(12,2)" in details
    assert "ordered_at" in details and "timestamp_ntz" in details


def test_plan_tab_follows_the_strategy_and_partition_count(demo: Demo):
    panel = panel_for(demo, warm_up=False)
    panel.browse.tables.value = ("orders",)
    panel.browse.plan_button.click()
    assert panel.tabs.selected_index == 1
    plan = panel.plan.output.value
    assert "strategy none" in text(plan) and plan.count("dx-plan-bar") == 1  # 20 k rows < target_rows 50 k
    panel.plan.strategy.value = "balanced"
    panel.plan.partitions.value = 4
    plan = panel.plan.output.value
    assert "strategy balanced" in text(plan) and "column id" in text(plan) and plan.count("dx-plan-bar") == 4
    assert "skew 1.00" in text(plan) and "5,000" in text(plan)
    panel.plan.partitions.value = 2
    assert panel.plan.output.value.count("dx-plan-bar") == 2
    panel.plan.partitions.value = -3  # refused: back to "as configured"
    assert panel.plan.partitions.value == 0
    assert "strategy balanced" in text(panel.plan.output.value)


def test_an_unknown_table_shows_one_red_line_not_a_traceback(demo: Demo):
    panel = panel_for(demo, warm_up=False)
    panel.select(["orders", "ordres"])
    assert panel.messages.kind == "error"
    message = text(panel.messages.text)
    assert "table 'ordres' was not found in schema 'main'" in message and "did you mean 'orders'" in message
    assert "Traceback" not in message and "\n" not in message
    assert panel.selected == ["orders"]


def test_a_config_that_cannot_be_read_shows_the_cause_in_the_panel(tmp_path):
    panel = ExtractorPanel(str(tmp_path / "missing.yaml"), warm_up=False)
    assert panel.messages.kind == "error"
    assert "missing.yaml" in text(panel.messages.text) and "create the panel again" in text(panel.messages.text)
    panel.run_tab.run_button.click()  # nothing to run, nothing raised
    assert panel.handle is None


def test_run_without_a_selection_says_what_to_do(demo: Demo):
    panel = panel_for(demo, warm_up=False)
    panel.tabs.selected_index = 2
    panel.run_tab.run_button.click()
    assert panel.handle is None
    assert text(panel.messages.text) == "select tables in Browse, then Run"
    assert panel.tabs.selected_index == 0


@pytest.mark.spark
def test_run_fills_every_bar_and_shows_the_source_row_counts(demo: Demo, spark):
    panel = panel_for(demo)
    panel.browse.tables.value = ("customers", "orders")
    t0 = time.monotonic()
    panel.run_tab.run_button.click()
    assert time.monotonic() - t0 < 2, "the click handler must return at once"
    assert panel.tabs.selected_index == 2
    assert panel.run_tab.run_button.disabled and not panel.run_tab.cancel_button.disabled
    result = finished(panel)
    assert result.ok, result.to_dict()

    rows = panel.run_tab.rows
    assert list(rows) == ["customers", "orders"]
    for name, line in rows.items():
        assert line.bar.value == line.bar.max >= 1
        assert line.bar.bar_style == "success"
        assert text(line.pct.value) == "100%"
        assert text(line.rows.value) == f"{demo.counts[name]:,} rows"
        assert text(line.status.value).startswith("done in ")
        assert pq.read_table(demo.folder / "extracts" / "main" / name).num_rows == demo.counts[name]
    assert panel.run_tab.overall.value == panel.run_tab.overall.max
    summary = text(panel.run_tab.summary.value)
    assert f"done: 2 table(s), {demo.counts['customers'] + demo.counts['orders']:,} rows" in summary
    assert "Run again" in summary
    assert not panel.run_tab.run_button.disabled and panel.run_tab.cancel_button.disabled
    assert panel.bridge is not None and panel.bridge.renders >= 3
    assert "ready" in text(panel.header.value)

    logs = text(panel.logs.output.value)
    assert "published" in logs and "customers" in logs and "orders" in logs
    panel.logs.filter.value = "orders"
    filtered = text(panel.logs.output.value)
    assert "orders" in filtered and "customers" not in filtered


@pytest.mark.spark
def test_the_run_uses_the_strategy_and_partitions_chosen_in_plan(demo: Demo, spark):
    panel = panel_for(demo, tables=["orders"])
    panel.browse.plan_button.click()
    panel.plan.strategy.value = "range"
    panel.plan.partitions.value = 3
    panel.run_tab.run_button.click()
    result = finished(panel)
    assert result.ok
    assert (result.tables[0].strategy, result.tables[0].partitions) == ("range", 3)
    assert panel.run_tab.rows["orders"].bar.max == panel.run_tab.rows["orders"].bar.value
    assert text(panel.run_tab.rows["orders"].rows.value) == f"{demo.counts['orders']:,} rows"


@pytest.mark.spark
def test_a_table_dropped_after_browsing_fails_alone_in_red_with_its_reason(demo: Demo, spark):
    panel = panel_for(demo)
    panel.browse.tables.value = ("customers", "products")
    with sqlite3.connect(demo.db) as conn:
        conn.execute("DROP TABLE products")
    panel.browse.plan_button.click()
    plan = panel.plan.output.value
    assert "strategy none" in text(plan)  # customers is still planned
    assert "products" in text(plan) and "dx-error" in plan and "was not found" in text(plan)
    assert panel.messages.kind == "error"

    panel.run_tab.run_button.click()
    result = finished(panel)
    assert not result.ok
    failed = panel.run_tab.rows["products"]
    assert failed.bar.bar_style == "danger"
    assert "color:#c62828" in failed.status.value
    status = text(failed.status.value)
    assert status.startswith("failed: ") and "products" in status and "Logs tab" in status
    assert text(panel.run_tab.rows["customers"].status.value).startswith("done")
    summary = text(panel.run_tab.summary.value)
    assert "1 of 2 table(s) failed" in summary and "Run again" in summary
    assert not panel.run_tab.run_button.disabled
    assert panel.run_tab.overall.value < panel.run_tab.overall.max  # a failed table never counts as done
    panel.logs.filter.value = "products"  # the status points here: the reason must be in the log
    assert "ERROR" in text(panel.logs.output.value) and "was not found" in text(panel.logs.output.value)


@pytest.mark.spark
def test_cancel_stops_the_run_and_says_nothing_was_published(demo: Demo, spark):
    panel = panel_for(demo, tables=["orders"])
    panel.run_tab.run_button.click()
    panel.run_tab.cancel_button.click()
    assert "cancelling" in text(panel.run_tab.rows["orders"].status.value)
    result = finished(panel)
    assert [t.status for t in result.tables] == ["cancelled"]
    line = panel.run_tab.rows["orders"]
    assert text(line.status.value) == "cancelled: not published (an earlier extract stays as it was)"
    assert line.bar.bar_style == "warning"
    assert "cancelled" in text(panel.run_tab.summary.value) and "Run to start again" in text(
        panel.run_tab.summary.value)
    assert not (demo.folder / "extracts" / "main" / "orders").exists()
    assert not panel.run_tab.run_button.disabled
    assert panel.run_tab.overall.value < panel.run_tab.overall.max
    assert not text(panel.run_tab.overall_text.value).startswith("100%")


def test_an_unreachable_source_says_why_and_how_to_retry(demo: Demo):
    demo.db.rename(demo.db.with_suffix(".moved"))
    panel = panel_for(demo, warm_up=False)
    assert panel.messages.kind == "error"
    assert "demo.db does not exist; check source.path" in text(panel.messages.text)
    assert "press the reload button" in text(panel.browse.details.value)
    demo.db.with_suffix(".moved").rename(demo.db)
    panel.browse.refresh.click()
    assert panel.messages.kind == "hint" and panel.messages.text == ""
    assert [v for _, v in panel.browse.tables.options] == ["customers", "orders", "products"]
    assert "reload" not in text(panel.browse.details.value)  # the advice went with the cause
    assert "select a table" in text(panel.browse.details.value)


def test_an_unreadable_source_does_not_start_spark(demo: Demo):
    demo.db.rename(demo.db.with_suffix(".moved"))
    try:
        panel = panel_for(demo, warm_up=True)
        assert panel.messages.kind == "error"
        assert panel.spark_status == "starts with the first Run"
        assert not any(t.name == "dx-panel-warm-up" for t in threading.enumerate())
    finally:
        demo.db.with_suffix(".moved").rename(demo.db)


def test_a_long_failure_never_squeezes_the_cells_of_its_row(demo: Demo):
    panel = panel_for(demo, warm_up=False)
    panel.browse.tables.value = ("orders",)
    panel.run_tab.prepare(RunModel(["orders"]))
    line = panel.run_tab.rows["orders"]
    for cell in (line.label, line.bar, line.pct, line.rows, line.rate, line.cancel):
        assert cell.layout.flex == "0 0 auto" and cell.layout.min_width == cell.layout.width, cell
    assert line.status.layout.min_width == "0" and line.status.layout.overflow == "hidden"


@pytest.mark.spark
def test_the_cancel_button_of_one_line_stops_that_table_only(demo: Demo, spark):
    panel = panel_for(demo, tables=["customers", "orders"])
    panel.run_tab.run_button.click()
    panel.run_tab.rows["orders"].cancel.click()
    result = finished(panel)
    assert {t.table: t.status for t in result.tables} == {"customers": "succeeded", "orders": "cancelled"}
    assert text(panel.run_tab.rows["customers"].status.value).startswith("done")
    assert text(panel.run_tab.rows["orders"].status.value).startswith("cancelled")
    assert panel.run_tab.rows["orders"].cancel.layout.visibility == "hidden"
