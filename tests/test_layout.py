"""The folders are the architecture: module-level imports point one way, from faces down to config."""

from __future__ import annotations

import ast
from pathlib import Path

import data_extractor

PACKAGE = Path(data_extractor.__file__).parent
# Lower number = lower layer. A module may import its own room and any lower layer at module level.
LAYERS = {
    "errors": 0, "humanize": 0, "config": 0,
    "source": 1, "output": 1,
    "spark": 2,
    "run": 3,
    "api": 4,
    "ops": 5, "cli": 5, "databricks": 5, "__main__": 6, "__init__": 6,
}


def room(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_level_imports(path: Path) -> list[str]:
    """data_extractor modules imported at module level, outside `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text())
    found = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("data_extractor"):
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("data_extractor")]
    return found


def engine_modules() -> dict[str, Path]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        out[".".join(rel.parts)] = path
    return out


def test_every_module_sits_in_a_known_room():
    rooms = {room(m.removesuffix(".__init__")) for m in engine_modules()}
    assert rooms <= set(LAYERS), rooms - set(LAYERS)


def test_imports_never_point_upward():
    upward = []
    for name, path in engine_modules().items():
        here = LAYERS[room(name.removesuffix(".__init__"))]
        for target in module_level_imports(path):
            if target == "data_extractor":
                continue
            if LAYERS[room(target)] > here and room(target) != room(name):
                upward.append(f"{name} -> {target}")
    assert upward == []


def test_the_check_sees_an_upward_import(tmp_path):
    """Guards the test above against passing vacuously."""
    probe = tmp_path / "probe.py"
    probe.write_text("from data_extractor.api import Extractor\n")
    assert module_level_imports(probe) == ["data_extractor.api"]
    assert LAYERS[room("data_extractor.api")] > LAYERS[room("data_extractor.config.models")]
