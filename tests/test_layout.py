"""The package layout is the architecture (ARCHITECTURE.md): each stage imports only the stages
below it, there is no import cycle, no module is too long to read, and the plugin path stays
light. These read the source with ``ast``; nothing is imported but in the subprocess checks."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import ghostedge

PACKAGE = Path(ghostedge.__file__).parent
MAX_MODULE_LINES = 500

# Which units a unit may import (every import counts, also those inside functions). A unit is a
# subpackage (``model.training`` is its own) or a top-level module.
BASE = {"constants", "jsonsafe", "_core"}
ALLOWED = {
    "constants": set(),
    "jsonsafe": set(),
    "data": {"constants"},
    "ingest": BASE | {"data"},
    "model": BASE | {"data"},
    "model.training": BASE | {"data", "model", "analysis"},
    "analysis": BASE | {"data", "model"},
    "viz": BASE | {"data", "model", "analysis"},
    "live": BASE | {"data", "ingest", "model", "analysis"},
    "net": BASE | {"data", "ingest", "live"},
    "sim": BASE | {"data", "ingest", "model", "analysis", "viz", "live", "net"},
    "commands": BASE | {"data", "ingest", "model", "model.training", "analysis", "viz", "live", "net",
                        "sim", "cli", "__init__"},
    "cli": {"commands", "__init__"},
    "__main__": {"cli"},
    "__init__": {"_core"},
}


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if rel.parts[0] == "samples":
            continue
        yield path, rel


def _module_name(rel: Path) -> str:
    parts = list(rel.with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def _unit(name: str) -> str:
    if name.startswith("model.training"):
        return "model.training"
    return name.split(".")[0]


def _imports(path: Path, name: str) -> set[str]:
    """Absolute module names (relative to the package) that ``path`` imports from ghostedge."""
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    base = name.split(".") if is_pkg else name.split(".")[:-1]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level == 0:
                if node.module and node.module.split(".")[0] == "ghostedge":
                    mod = node.module.split(".")[1:]
                else:
                    continue
            else:
                anchor = base[:len(base) - (node.level - 1)] if node.level > 1 else base
                if node.level - 1 > len(base):
                    raise AssertionError(f"{path}: import beyond the package")
                mod = anchor + (node.module.split(".") if node.module else [])
            if mod:
                out.add(".".join(mod))
            for alias in node.names:  # "from . import wire": the submodule itself
                out.add(".".join(mod + [alias.name]))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "ghostedge":
                    out.add(".".join(alias.name.split(".")[1:]))
    known = {_module_name(r) for _, r in _modules()} | {"_core"}
    return {m for m in out if m in known}


def _graph() -> dict[str, set[str]]:
    return {_module_name(rel): _imports(path, _module_name(rel)) for path, rel in _modules()}


def test_every_unit_has_rules():
    units = {_unit(n) for n in _graph()}
    assert units <= set(ALLOWED), f"units without layering rules: {units - set(ALLOWED)}"


def test_stages_import_only_the_stages_below_them():
    bad = []
    for name, deps in _graph().items():
        unit = _unit(name)
        for dep in deps:
            dep_unit = _unit(dep)
            if dep_unit != unit and dep_unit not in ALLOWED[unit]:
                bad.append(f"{name} imports {dep}")
    assert not bad, "layering violations:\n" + "\n".join(sorted(bad))


def test_no_import_cycle_between_modules():
    graph = _graph()
    state: dict[str, int] = {}
    cycle: list[str] = []

    def visit(node: str, stack: list[str]) -> bool:
        state[node] = 1
        for dep in sorted(graph.get(node, ())):
            if dep == node or dep not in graph:
                continue
            if state.get(dep) == 1:
                cycle.extend(stack[stack.index(dep):] + [node, dep] if dep in stack else [node, dep])
                return True
            if state.get(dep) is None and visit(dep, stack + [node]):
                return True
        state[node] = 2
        return False

    # A package's __init__ re-exporting its own modules is not a cycle of the design.
    for name in graph:
        graph[name] = {d for d in graph[name] if not (name.startswith(d + ".") or d.startswith(name + "."))}
    for name in sorted(graph):
        if state.get(name) is None and visit(name, []):
            break
    assert not cycle, f"import cycle: {' -> '.join(cycle)}"


@pytest.mark.parametrize("path", [p for p, _ in _modules()], ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_is_short_enough_to_read(path):
    n = len(path.read_text().splitlines())
    assert n <= MAX_MODULE_LINES, f"{path.relative_to(PACKAGE)} has {n} lines (> {MAX_MODULE_LINES}): split it"


HEAVY = ("pandas", "matplotlib", "torch", "tqdm", "lightgbm", "PIL")


@pytest.mark.parametrize("statement", [
    "from ghostedge import Engine, EngineConfig, Roster, GhostResult",
    "import ghostedge.live",
    "import ghostedge.net",
    "from ghostedge.net import GhostServer",
])
def test_plugin_path_imports_nothing_heavy(statement):
    code = f"import sys; {statement}; print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", f"{statement!r} imported {out.stdout.strip()}"
