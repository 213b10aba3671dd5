"""Shared fixtures: paths to the shipped cases and a CLI runner."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from click.testing import CliRunner

if TYPE_CHECKING:
    from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
DEMO = FIXTURES / "demo" / "case.yaml"
EXPANSION = FIXTURES / "expansion" / "case.yaml"
BROKEN = FIXTURES / "broken"
REFERENCE_FORMS = Path(__file__).resolve().parent / "reference-forms"  # public State Grid forms, copied in
TODAY = None  # validate against the real date; fixtures are all in the past


def docx_text(path: Path) -> str:
    """Every paragraph and table cell of a DOCX, read back with python-docx."""
    from docx import Document

    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def edit_case(
    path: Path,
    edit: Callable[[dict[str, Any]], object] | None = None,
    *,
    to: Path | None = None,
    documents: dict[str, dict[str, Any]] | None = None,
    **changes: Any,
) -> Path:
    """Load a case file's YAML, change it, write it back (or to ``to``); returns the file written.

    ``changes`` set top-level keys; ``documents`` maps a title to the keys to set on every paper
    of that title; ``edit`` may change the data in place for anything else.
    """
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(changes)
    for title, keys in (documents or {}).items():
        for doc in data["documents"]:
            if doc["title"] == title:
                doc.update(keys)
    if edit is not None:
        edit(data)
    target = to or path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return target


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that needs LibreOffice (through the soffice fixture) is marked, for `make test-fast`."""
    for item in items:
        if "soffice" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.soffice)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A private copy of the demo case folder, safe to edit."""
    target = tmp_path / "demo"
    shutil.copytree(DEMO.parent, target)
    return target / "case.yaml"


@pytest.fixture(scope="session")
def soffice() -> Path:
    """LibreOffice must be there; under CI=true its absence is a failure, not a skip."""
    from paperwork.binder.libreoffice import find_soffice
    from paperwork.errors import ConversionError

    try:
        return find_soffice()
    except ConversionError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but LibreOffice is missing: {exc}")
        pytest.skip(f"LibreOffice is missing: {exc}")


@pytest.fixture(scope="session")
def demo_build(soffice: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo case built once for the whole session; returns OUT."""
    from paperwork import load_case, resolve
    from paperwork.binder.build import build

    out = tmp_path_factory.mktemp("demo-out")
    build(resolve(load_case(DEMO)), out)
    return out


def outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every bookmark."""
    out: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, item.title, reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out
