"""Dialects: all SQL knowledge, one module per database; `get_dialect` makes the configured one.

Which dialects exist (bundled and plugins) is the registry in `data_extractor.config.dialects`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from data_extractor.config.dialects import dialect_class

if TYPE_CHECKING:
    from data_extractor.config.models import SourceConfig
    from data_extractor.source.dialects.base import Dialect


def get_dialect(source: SourceConfig) -> Dialect:
    """The dialect instance for a validated source config."""
    return dialect_class(source.type)(source)
