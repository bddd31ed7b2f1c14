"""Errors a user can cause, each carrying one clear sentence."""

from __future__ import annotations


class ExtractorError(Exception):
    """Base of every error the engine raises on purpose."""


class UserError(ExtractorError):
    """Bad input: a config, a table name, a flag. The CLI exits with code 2 and prints the message."""


class ConfigError(UserError):
    """The configuration file or its values are wrong."""


class SourceError(ExtractorError):
    """The source database refused or failed (unreachable, wrong password, missing privilege)."""
