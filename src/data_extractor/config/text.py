"""A config file's text: `${VAR}` interpolation, and validation errors told by dotted path and line."""

from __future__ import annotations

import re
from typing import Any

import yaml
from pydantic import ValidationError

from data_extractor.errors import ConfigError

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-(.*?))?\}")
_UNCLOSED = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)")


def interpolate(value: Any, path: tuple[Any, ...], env: dict[str, str]) -> Any:
    """`value` with every `${NAME}` / `${NAME:-default}` in its strings replaced from `env`."""
    if isinstance(value, dict):
        return {k: interpolate(v, (*path, k), env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, (*path, i), env) for i, v in enumerate(value)]
    if not isinstance(value, str):
        return value

    def replace(m: re.Match[str]) -> str:
        name, default = m[1], m[2]
        if env.get(name) or (name in env and default is None):
            return env[name]
        if default is not None:  # unset or empty, as in the shell
            return default
        raise ConfigError(
            f"config error at {_dotted(path)}: environment variable {name} is not set "
            f"(export it, or write ${{{name}:-default}} in the file)"
        )

    leftover = _UNCLOSED.search(_VAR.sub("", value))  # checked on the text, not on substituted values
    if leftover:
        raise ConfigError(f"config error at {_dotted(path)}: ${{{leftover[1]} is not closed; "
                          f"write ${{{leftover[1]}}}")
    return _VAR.sub(replace, value)


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _line_of(text: str | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the YAML node at `loc`, if the text has it."""
    if not text:
        return None
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if str(k.value) == str(part)]
            if not match:
                break
            line, node = match[0][0].start_mark.line + 1, match[0][1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def describe_error(err: ValidationError, text: str | None, origin: str) -> str:
    """The first problem as one sentence: where (dotted path, file and line) and what."""
    first = err.errors()[0]
    loc = tuple(p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key (check its spelling and indentation; see the README's config reference)"
    elif first["type"] == "missing":
        msg = "required key is missing"
    msg = msg.removeprefix("Value error, ")
    line = _line_of(text, loc)
    where = f"{origin}, line {line}" if line else origin
    more = len(err.errors()) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"config error at {_dotted(loc)} ({where}): {msg}{tail}"
