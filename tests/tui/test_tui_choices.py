"""The plan the user chose is the plan the run takes: overrides land in the run's config."""

from __future__ import annotations

import pytest

from data_extractor import load_config
from data_extractor.errors import UserError
from data_extractor_tui.choices import PlanChoice, with_choices

BASE = {
    "source": {"type": "sqlite", "path": "/nowhere.db"},
    "defaults": {"partitioning": {"target_rows": 5000}},
    "tables": [{"name": "orders", "where": "amount > 0", "partitioning": {"column": "id"}}, "customers"],
}


def test_overrides_replace_only_the_chosen_keys_of_a_configured_table():
    cfg = with_choices(load_config(BASE), {"orders": PlanChoice(strategy="range", partitions=3)})
    entry = cfg.table("orders")
    part = cfg.partitioning_for(entry)
    assert (part.strategy, part.partitions, part.column, part.target_rows) == ("range", 3, "id", 5000)
    assert entry.where == "amount > 0"
    assert [t.name for t in cfg.tables] == ["orders", "customers"]


def test_a_table_not_in_the_config_is_added_with_its_overrides():
    cfg = with_choices(load_config(BASE), {"main.products": PlanChoice(partitions=2), "customers": PlanChoice()})
    assert cfg.partitioning_for(cfg.table("main.products")).partitions == 2
    assert cfg.table("customers").partitioning is None


def test_an_impossible_override_is_one_clear_sentence():
    with pytest.raises(UserError, match="orders: partitions 0 is not valid"):
        with_choices(load_config(BASE), {"orders": PlanChoice(partitions=0)})


def test_configured_tables_are_matched_as_the_engine_resolves_names():
    from data_extractor.source.dialects.base import TableInfo
    from data_extractor_tui.configured import configured_in

    tables = [TableInfo("public", n) for n in ("Orders", "customers", "items", "ITEMS", "Dup", "DUP")]
    entries = ["orders", "public.customers", "sales.orders", "ITEMS", "dup", "bad..name"]
    assert configured_in(entries, "public", "public", tables) == {
        "public.Orders": "orders", "public.customers": "public.customers", "public.ITEMS": "ITEMS"}
    assert configured_in(["orders"], "public", "sales", tables) == {}
