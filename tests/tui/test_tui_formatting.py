"""The pure helpers behind every cell: bars, filters, names and times."""

from __future__ import annotations

import pytest

from data_extractor_tui.clock import FrozenClock
from data_extractor_tui.formatting import bar, eta_text, fit, matches, qualified, share_bar
from data_extractor_tui.selection import Selection


@pytest.mark.parametrize(("fraction", "filled", "empty"), [
    (0.0, "", "━━━━"), (0.5, "━━", "━━"), (1.0, "━━━━", ""), (0.125, "╸", "━━━"), (1.7, "━━━━", ""),
    (-1, "", "━━━━"),
])
def test_a_bar_is_always_its_width_with_half_cells(fraction, filled, empty):
    assert bar(fraction, 4) == (filled, empty)
    assert len("".join(bar(fraction, 4))) == 4


def test_share_bars_are_relative_to_the_largest_partition():
    assert share_bar(100, 100, 10) == "█" * 10
    assert share_bar(50, 100, 10) == "█" * 5
    assert share_bar(1, 1_000_000, 10) == "▏"  # never invisible when there are rows
    assert share_bar(0, 100, 10) == "" and share_bar(None, 100, 10) == ""


@pytest.mark.parametrize(("name", "pattern", "expected"), [
    ("orders", "ord", True), ("ORDER_ITEMS", "order", True), ("customers", "ord", False),
    ("orders", "ord*", True), ("reorders", "ord*", False), ("t_0042", "t_00?2", True), ("x", "", True),
])
def test_the_filter_is_a_substring_or_a_glob_in_any_case(name, pattern, expected):
    assert matches(name, pattern) is expected


def test_qualified_names_quote_parts_the_engine_would_split():
    assert qualified("public", "orders") == "public.orders"
    assert qualified(None, "orders") == "orders"
    assert qualified("my.schema", 'odd"name') == '"my.schema"."odd""name"'


def test_fit_cuts_with_an_ellipsis_or_pads():
    assert fit("customers", 6) == "custo…"
    assert fit("ab", 4) == "ab  "


def test_eta_reads_as_a_clock():
    assert eta_text(None) == ""
    assert eta_text(61.4) == "0:01:01"
    assert eta_text(3725) == "1:02:05"


def test_a_frozen_clock_shows_utc_whatever_the_zone():
    clock = FrozenClock(1_800_000_000)
    assert clock.stamp(clock.now()) == "08:00:00"
    assert clock.minute(1_800_000_000) == "2027-01-15 08:00"
    assert clock.minute_of_iso("2027-01-15T08:00:07.500Z") == "2027-01-15 08:00"
    assert clock.minute_of_iso("not a time") == "not a time"


def test_selection_keeps_the_order_tables_were_marked_in():
    s = Selection()
    for name in ("b", "a", "c"):
        s.toggle(name)
    assert s.toggle("a") is False
    assert list(s) == ["b", "c"] and "c" in s and len(s) == 2
    for name in ("d", "e"):
        s.toggle(name)
    assert s.summary(limit=3) == "b, c, d and 1 more"
