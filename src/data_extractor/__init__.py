"""Data Extractor: database tables to Parquet with Apache Spark.

The public API every face uses::

    from data_extractor import Extractor, load_config

    ex = Extractor(load_config("config.yaml"))
    ex.catalog.tables("public")
    plan = ex.plan("public.orders")

Importing this package never imports Spark, Textual, ipywidgets or rich.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Extractor", "load_config", "ExtractorConfig", "UserError", "__version__"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from data_extractor.api import Extractor
    from data_extractor.config.models import ExtractorConfig, load_config
    from data_extractor.errors import UserError


def __getattr__(name: str) -> Any:
    # Lazy exports keep `import data_extractor` cheap and free of heavy dependencies.
    if name == "Extractor":
        from data_extractor.api import Extractor

        return Extractor
    if name in ("load_config", "ExtractorConfig"):
        from data_extractor.config import models as config

        return getattr(config, name)
    if name == "UserError":
        from data_extractor.errors import UserError

        return UserError
    raise AttributeError(name)
