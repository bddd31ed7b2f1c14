"""The config room: pydantic models, YAML text and `${ENV}` interpolation, overrides, secrets, the dialect registry.

Everything else reads a validated `ExtractorConfig`; nothing here reads a database or starts Spark.
"""

from data_extractor.config.models import ENV_PREFIX, ExtractorConfig, load_config

__all__ = ["ENV_PREFIX", "ExtractorConfig", "load_config"]
