"""The Data Extractor panel for Jupyter and Databricks notebooks (ipywidgets 7.8 and 8.x).

Example:
    >>> from data_extractor_jupyter import ExtractorPanel
    >>> ExtractorPanel("config.yaml")          # the last value of a cell shows the panel
"""

from __future__ import annotations

from .panel import ExtractorPanel

__all__ = ["ExtractorPanel"]
