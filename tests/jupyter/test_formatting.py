"""The panel's text and HTML helpers."""

from __future__ import annotations

from nb_helpers import text

from data_extractor.run.events import LogLine
from data_extractor.source.dialects.base import ColumnInfo, TableInfo
from data_extractor.source.planning import Partition, PartitionPlan
from data_extractor_jupyter.browse_tab import engine_name
from data_extractor_jupyter.formatting import (
    details_html,
    logs_html,
    matches,
    one_line,
    plan_html,
    rows_text,
    status_html,
    table_label,
)


def test_table_labels_align_names_rows_and_sizes():
    a = table_label("orders", 5_012_331, 612 * 2**20, 12)
    b = table_label("customers", 120_000, 14 * 2**20, 12)
    assert text(a) == "orders         5.0 M rows  612.0 MB"
    assert len(a) == len(b) and a.index("rows") == b.index("rows")
    assert "  " not in a, "spaces would collapse in a <select>: non-breaking ones are used"


def test_search_takes_a_glob_or_a_substring_in_any_case():
    assert matches("Orders", "ord*") and matches("Orders", "DER") and matches("x", "")
    assert not matches("customers", "ord*") and not matches("orders", "zz")


def test_engine_names_quote_parts_with_dots():
    assert engine_name(None, "orders") == "orders"
    assert engine_name("sales", "orders") == "sales.orders"
    assert engine_name("my.schema", 'a"b') == '"my.schema"."a""b"'


def test_rows_are_humanised_while_running_and_exact_when_done():
    assert rows_text(20_000, final=False) == "20.0 k rows"
    assert rows_text(20_000, final=True) == "20,000 rows"
    assert rows_text(None, final=True) == ""


def test_statuses_say_what_happened_and_where_to_look():
    failed = status_html("failed", 1.0, "cannot open <db>")
    assert "#c62828" in failed and text(failed) == "failed: cannot open <db> (full log in the Logs tab)"
    assert text(status_html("done", 2.0)) == "done in 2.0 s"
    assert "not published" in text(status_html("cancelled"))


def test_plan_html_has_a_bar_per_partition_sized_by_its_rows_and_lists_warnings():
    plan = PartitionPlan("orders", "main", "orders", "range", "id",
                         [Partition(0, '"id" < 10', 100), Partition(1, '"id" >= 10', 50)], 150, 1.33,
                         warnings=["partitions are skewed"], notes=["no statistics"])
    html = plan_html(plan)
    assert 'width:160px' in html and 'width:80px' in html
    shown = text(html)
    assert '"id" < 10' in shown and "skew 1.33" in shown and "partitions are skewed" in shown
    assert "note: no statistics" in shown


def test_details_list_columns_with_types_and_key():
    info = TableInfo("main", "t", rows=10, bytes=2048)
    cols = [ColumnInfo("id", "INTEGER", "bigint", False, primary_key=1), ColumnInfo("v", "TEXT", "string")]
    shown = text(details_html(info, cols))
    assert "main.t" in shown and "key: id" in shown and "TEXT" in shown and "string" in shown


def test_logs_are_escaped_coloured_and_capped():
    lines = [LogLine("r", "info", f"line {i} <b>", table="t") for i in range(5)]
    lines.append(LogLine("r", "error", "boom", table="t"))
    html = logs_html(lines, limit=3)
    assert "&lt;b&gt;" in html and "#c62828" in html
    assert "3 earlier line(s) not shown" in text(html)
    assert "no log lines yet" in text(logs_html([]))


def test_one_line_takes_the_first_line_or_the_type():
    assert one_line(ValueError("first\nsecond")) == "first"
    assert one_line(KeyError()) == "KeyError"
