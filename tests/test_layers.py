"""The house's guard: layers import downwards only, modules stay small, nothing below the CLI prints."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "paperwork"

#: Lowest first. A module may import its own layer and the ones before it.
LAYERS = ("base", "case", "rules", "render", "binder", "intake", "serve", "cli")
BASE = {"errors", "finding", "_version", "__init__", "__main__"}


def _layer(module: str) -> str:
    """``paperwork.rules.catalog`` → ``rules``; top-level modules are the base (the package root is the API)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "api"
    return parts[1] if parts[1] in LAYERS else "base"


def _modules() -> list[tuple[str, Path]]:
    out = []
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts)
        out.append((name.removesuffix(".__init__"), path))
    return out


def _imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("paperwork"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("paperwork"))
    return found


def test_lower_layers_never_import_higher_ones() -> None:
    wrong = []
    for name, path in _modules():
        own = _layer(name)
        if own in {"api", "cli"} or name in {"paperwork.__main__"}:
            continue  # the package root re-exports the public API; the CLI is the top
        for target in _imports(path):
            theirs = _layer(target)
            if theirs == "api" or LAYERS.index(theirs) > LAYERS.index(own):
                wrong.append(f"{name} ({own}) imports {target} ({theirs})")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("name", "path"), _modules(), ids=[n for n, _ in _modules()])
def test_module_stays_under_400_lines(name: str, path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= 400, f"{name} has {lines} lines; split it by concept"


def test_nothing_below_the_cli_prints_or_imports_click() -> None:
    wrong = []
    for name, path in _modules():
        if _layer(name) == "cli":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                wrong.append(f"{name}:{node.lineno} print()")
        if any(t == "click" or t.startswith("click.") for t in _imports_all(tree)):
            wrong.append(f"{name} imports click")
    assert not wrong, "\n".join(wrong)


def _imports_all(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found
