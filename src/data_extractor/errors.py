"""Errors a user can cause, each carrying one clear sentence."""

from __future__ import annotations

import errno
import re


class ExtractorError(Exception):
    """Base of every error the engine raises on purpose."""


class UserError(ExtractorError):
    """Bad input: a config, a table name, a flag. The CLI exits with code 2 and prints the message."""


class ConfigError(UserError):
    """The configuration file or its values are wrong."""


class SourceError(ExtractorError):
    """The source database refused or failed (unreachable, wrong password, missing privilege)."""


def one_line(exc: BaseException) -> str:
    """One sentence for a failure: our own message, or the root cause out of a Spark/Py4J dump."""
    if "No space left on device" in str(exc) or getattr(exc, "errno", None) == errno.ENOSPC:
        return ("no space left on device while writing (the output path, or Spark's local folder); "
                "free space there or set output.path to a larger disk, then run again: nothing was published")
    if isinstance(exc, ExtractorError | ValueError) and "\n" not in str(exc):
        return str(exc)
    text = re.sub(r"\[[A-Z_]+(?:\.[A-Z_]+)*\] ", "", str(exc))  # Spark's error-class prefixes
    text = re.sub(r"\s*SQLSTATE: \w+", "", text)
    ours = re.findall(r"(?:data_extractor\.errors\.)?(?:SourceError|UserError|ValueError): (.+)", text)
    if ours:
        return ours[-1].strip()
    missing = re.search(r"ClassNotFoundException: ([\w.]+)", text)
    if missing:
        return (f"the JDBC driver class {missing[1]} is not on Spark's classpath; "
                "list its jar under spark.jdbc_jars")
    causes = re.findall(r"^\s*(?:[\w.]+\.)?(\w+(?:Error|Exception)): (.+)$", text, re.M)
    for name, msg in reversed(causes):
        if name not in ("PythonException", "Py4JJavaError", "SparkException", "AnalysisException"):
            return f"{name}: {msg.strip()}"
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first[:500]
