"""What differs between ipywidgets 7.8 (pinned by Databricks) and 8.x, in one place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets

IPYWIDGETS_MAJOR = int(widgets.__version__.split(".", 1)[0])


def set_tab_titles(tab: widgets.Tab, children: Sequence[widgets.Widget], titles: Sequence[str]) -> None:
    """Children first, then `set_title` one by one: 7 has no `.titles`, and assigning it there does nothing."""
    tab.children = tuple(children)
    for i, title in enumerate(titles):
        tab.set_title(i, title)


def tab_titles(tab: widgets.Tab) -> list[str]:
    return [tab.get_title(i) for i in range(len(tab.children))]


def mimebundle(widget: widgets.Widget, **kwargs: Any) -> dict[str, Any]:
    """The display data of `widget`: 8 has `_repr_mimebundle_`, 7 displays through `_ipython_display_`."""
    if hasattr(widget, "_repr_mimebundle_"):
        return widget._repr_mimebundle_(**kwargs)
    return {
        "text/plain": repr(widget),
        "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                     "model_id": widget.model_id},
    }


def classed(widget: Any, *classes: str) -> Any:
    """`widget` with CSS classes added (what the browser tests and the stylesheet select by)."""
    for name in classes:
        widget.add_class(name)
    return widget


def text_widget(value: str = "", *classes: str, width: str = "auto") -> widgets.HTML:
    """An HTML widget as wide as it needs (ipywidgets 8 gives HTML a fixed inline width by default)."""
    return classed(widgets.HTML(value, layout=widgets.Layout(width=width)), *classes)
