"""The house's guard: layers import downwards only, modules stay small, nothing below the CLI prints."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "paperwork"

#: Lowest first. A module may import its own layer and those of a lower rank; render and intake
#: stand side by side (rank 3) and never import each other.
RANK = {
    "base": 0,
    "case": 1,
    "rules": 2,
    "render": 3,
    "intake": 3,
    "binder": 4,
    "dispatch": 5,
    "serve": 6,
    "cli": 7,
}
LAYERS = tuple(RANK)
BASE = {"errors", "finding", "files", "_version", "__init__", "__main__"}


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
            if theirs == "api" or (theirs != own and RANK[theirs] >= RANK[own]):
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


def _calls(tree: ast.AST) -> list[tuple[int, str]]:
    """Dotted names used in the module (``os.environ``, ``date.today`` …), with their lines."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            parts = [node.attr]
            inner = node.value
            while isinstance(inner, ast.Attribute):
                parts.append(inner.attr)
                inner = inner.value
            if isinstance(inner, ast.Name):
                parts.append(inner.id)
                found.append((node.lineno, ".".join(reversed(parts))))
    return found


#: What only the edges (the CLI and the server) may ask: the environment and today's date.
EDGE_ONLY = ("os.environ", "os.getenv", "date.today", "datetime.now", "datetime.today", "dt.date.today")
#: The one use below the edges: LibreOffice is handed this process's environment (not read).
HANDED_ON = {("paperwork.binder.libreoffice", "os.environ")}


def test_environment_and_today_are_read_only_at_the_edges() -> None:
    wrong = []
    for name, path in _modules():
        if _layer(name) in {"cli", "serve"}:
            continue
        for line, dotted in _calls(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                any(dotted == e or dotted.endswith("." + e) for e in EDGE_ONLY)
                and (name, dotted) not in HANDED_ON
            ):
                wrong.append(f"{name}:{line} {dotted}")
    assert not wrong, "\n".join(wrong)


def test_every_error_class_lives_in_errors() -> None:
    import paperwork.errors as errors

    known = {n for n in errors.__all__}
    wrong = []
    for name, path in _modules():
        if name == "paperwork.errors":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):  # private signals stay home
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
                if bases & known or any(b.endswith(("Error", "Exception")) for b in bases):
                    wrong.append(f"{name}:{node.lineno} class {node.name}")
    assert not wrong, "\n".join(wrong)
    assert set(errors.__all__) <= set(__import__("paperwork").__all__)  # every one exported
    tree = errors.__doc__ or ""
    assert all(n in tree for n in errors.__all__), "the tree in errors.py's docstring names every class"


#: Where catching everything is the point: the CLI's last line, the server's 500, the UNO bridge's
#: answer for one file, and a DOCX template that fails in any way docxtpl/Jinja can.
BROAD_OK = {
    "paperwork.cli.common",
    "paperwork.serve.app",
    "paperwork.binder.unobridge",
    "paperwork.render.docx_templates",
}


def test_no_catch_all_where_a_specific_error_is_meant() -> None:
    wrong = []
    for name, path in _modules():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            broad = isinstance(node, ast.ExceptHandler) and isinstance(node.type, ast.Name)
            if broad and node.type.id == "Exception" and name not in BROAD_OK:  # type: ignore[union-attr]
                wrong.append(f"{name}:{node.lineno} except Exception")
    assert not wrong, "\n".join(wrong)
