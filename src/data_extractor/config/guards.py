"""Guards on a config's raw input, before pydantic sees it: encoding, size, YAML aliases, overrides.

Each refuses with one `ConfigError` sentence naming the cause and the fix, never quoting a value
(a value may be a password).
"""

from __future__ import annotations

import json
import types
import typing
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from data_extractor.errors import ConfigError

MAX_BYTES = 4 << 20  # a config file is a few KB; this bounds what the YAML parser is given
MAX_NODES = 200_000  # values after YAML aliases are expanded (an "alias bomb" expands exponentially)


def read_config_text(path: Path) -> str:
    """The file's text, refused when it is too large or not UTF-8."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(f"config file {path} is {size:,} bytes, more than a config can be "
                              f"({MAX_BYTES:,}); check that -c names the YAML config")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist; check the path given to -c") from None
    except IsADirectoryError:
        raise ConfigError(f"config file {path} is a folder; give the YAML file to -c") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise ConfigError(f"config file {path} is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); "
                          "save it as UTF-8") from None


def check_aliases(text: str, origin: str) -> None:
    """Refuse YAML whose aliases expand past `MAX_NODES` values or refer to themselves.

    Composing keeps one node per anchor (linear in the text); only expanding it is exponential, so the
    expanded size is counted over the node graph, each shared node once.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return  # the loader reports it, with its position
    if root is None:
        return
    sizes: dict[int, int] = {}
    open_: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_:
            raise ConfigError(f"{origin} has a YAML alias that refers to itself; remove the loop")
        open_.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(n) for n in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        open_.discard(key)
        sizes[key] = total = min(total, MAX_NODES + 1)
        return total

    if size(root) > MAX_NODES:
        raise ConfigError(f"{origin} expands to more than {MAX_NODES:,} values through YAML aliases "
                          "(an alias bomb?); write the config without nested aliases")


def check_env_overrides(env: dict[str, str], prefix: str, model: type[BaseModel]) -> None:
    """Every `PREFIX_A__B` variable names a key of the config, and a section or list override is JSON."""
    for name, value in sorted(env.items()):
        if not name.upper().startswith(prefix):
            continue
        path = [p.lower() for p in name[len(prefix):].split("__")]
        target: Any = model
        for depth, part in enumerate(path):
            fields = target.model_fields if _is_model(target) else None
            if fields is None:
                break  # a dict's keys, or a list given whole: the model validates them
            if part not in fields:
                dotted = ".".join(path[:depth + 1])
                raise ConfigError(f"environment variable {name} names no config key ({dotted} is unknown); "
                                  f"unset it or fix its spelling (keys: {', '.join(fields)})")
            target = _unwrap(fields[part].annotation)
        if (_is_model(target) or typing.get_origin(target) in (list, dict)) and _not_json(value):
            raise ConfigError(f"environment variable {name} must be JSON (e.g. {_example(target)}); "
                              "fix its value or unset it")


def _unwrap(annotation: Any) -> Any:
    """`X | None` -> X."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return args[0] if len(args) == 1 else annotation
    return annotation


def _is_model(target: Any) -> bool:
    return isinstance(target, type) and issubclass(target, BaseModel)


def _not_json(value: str) -> bool:
    try:
        json.loads(value)
    except ValueError:
        return True
    return False


def _example(target: Any) -> str:
    return '["public.orders"]' if typing.get_origin(target) is list else '{"key": "value"}'
