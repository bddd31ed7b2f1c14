"""The panel's small stylesheet, shipped as an HTML widget. The panel reads well without it too."""

from __future__ import annotations

import ipywidgets as widgets

CSS = """
<style>
.dx-tables select { font-family: var(--jp-code-font-family, monospace); font-size: 12px; }
.dx-row-name, .dx-row-rows, .dx-row-rate, .dx-row-pct { font-family: var(--jp-code-font-family, monospace);
  font-size: 12px; }
.dx-row-rows, .dx-row-rate, .dx-row-pct { text-align: right; }
.dx-row { align-items: center; }
.dx-logs { max-height: 360px; overflow: auto; }
.dx-plan { max-height: 480px; overflow: auto; }
.dx-header { font-size: 13px; }
.dx-selection .widget-html-content, .dx-run-summary .widget-html-content,
.dx-message .widget-html-content { line-height: 1.5; }
</style>
"""


def stylesheet() -> widgets.HTML:
    return widgets.HTML(CSS)
