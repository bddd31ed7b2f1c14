"""Colours from the app's current theme, for Rich text drawn inside tables (bars, statuses)."""

from __future__ import annotations

from rich.color import Color, ColorParseError
from rich.style import Style
from textual.app import App

FALLBACK = {"success": "green", "error": "red", "warning": "yellow", "accent": "blue", "primary": "blue",
            "foreground-muted": "bright_black"}


def tone(app: App[object], name: str, bold: bool = False) -> Style:
    """A Rich style in the theme's `name` colour (success, error, warning, accent, primary, ...)."""
    value = app.theme_variables.get(name) or FALLBACK.get(name, "default")
    try:
        color = Color.parse(value)
    except ColorParseError:
        color = Color.parse(FALLBACK.get(name, "default"))
    return Style(color=color, bold=bold)
