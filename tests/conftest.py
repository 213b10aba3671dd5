"""Shared fixtures: paths to the shipped cases and a CLI runner."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
DEMO = FIXTURES / "demo" / "case.yaml"
EXPANSION = FIXTURES / "expansion" / "case.yaml"
BROKEN = FIXTURES / "broken"
SHARED = ROOT.parent / "shared"
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
