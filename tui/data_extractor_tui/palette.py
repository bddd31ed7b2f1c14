"""Colours from the app's current theme, for Rich text drawn inside tables (bars, statuses)."""

from __future__ import annotations

from rich.style import Style
from textual.app import App
from textual.color import Color, ColorParseError

FALLBACK = {"success": "green", "error": "red", "warning": "yellow", "accent": "blue", "primary": "blue",
            "text-success": "green", "text-error": "red", "text-warning": "yellow", "text-accent": "blue",
            "foreground-muted": "grey50", "background": "black"}


def _color(app: App[object], name: str) -> Color:
    value = app.theme_variables.get(name) or FALLBACK.get(name, "white")
    try:
        return Color.parse(value)
    except ColorParseError:
        return Color.parse(FALLBACK.get(name, "white"))


def tone(app: App[object], name: str, bold: bool = False) -> Style:
    """A Rich style in the theme's `name` colour (success, error, warning, accent, foreground-muted, ...).

    Translucent theme colours are blended onto the theme's background, as Textual draws them.
    """
    color = _color(app, name)
    if color.a < 1:
        color = _color(app, "background") + color
    return Style(color=color.rich_color, bold=bold)
