"""Shared fixtures: paths to the shipped cases and a CLI runner."""

from __future__ import annotations

import os
import shutil
import zipfile
from collections.abc import Callable, Iterator
from datetime import date
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
IN_PROGRESS = FIXTURES / "in-progress" / "case.yaml"
BROKEN = FIXTURES / "broken"
REFERENCE_FORMS = Path(__file__).resolve().parent / "reference-forms"  # public State Grid forms, copied in
#: The day the tests check against: fixed, so that no test depends on the real date.
TODAY = date(2026, 12, 1)


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


def copy_demo(target: Path) -> Path:
    """A private copy of the demo case folder at ``target``, safe to edit; returns its case file."""
    shutil.copytree(DEMO.parent, target)
    return target / "case.yaml"


def fake_soffice(folder: Path, body: str) -> Path:
    """A stand-in ``soffice``: a bash script with ``body``, for LibreOffice that hangs, fails, lies."""
    script = folder / "fake-soffice"
    script.write_text("#!/usr/bin/env bash\n" + body, encoding="utf-8")
    script.chmod(0o755)
    return script


def _pages_of(doc: Path) -> int:
    """How many pages a DOCX asks for by explicit page breaks (our stamps: one number a page)."""
    try:
        with zipfile.ZipFile(doc) as z:
            xml = z.read("word/document.xml").decode("utf-8")
    except (zipfile.BadZipFile, KeyError):
        return 1
    return 1 + xml.count("<w:pageBreakBefore/>") + xml.count('w:type="page"')


def blank_pdfs(files: list[Path], outdir: Path) -> list[Path]:
    """A converter stand-in: blank A4 pages for each document (one per page break), instantly."""
    from pypdf import PdfWriter

    outdir.mkdir(parents=True, exist_ok=True)
    out = []
    for f in files:
        writer = PdfWriter()
        for _ in range(_pages_of(f)):
            writer.add_blank_page(595, 842)
        target = outdir / f"{f.stem}.pdf"
        with target.open("wb") as fh:
            writer.write(fh)
        out.append(target)
    return out


#: How the browser tests start Debian's Chromium: headless, nothing fetched from the network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Debian's Chromium (or ``$PAPERWORK_CHROMIUM``); under CI=true its absence is a failure."""
    found = (
        os.environ.get("PAPERWORK_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if found:
        return found
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but Chromium is missing (apt install chromium)")
    pytest.skip("Chromium is missing (apt install chromium)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright (a failure, not a skip, when CI=true and it is missing)."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Playwright is missing (pip install playwright)")
        pytest.skip("Playwright is missing")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    """A private copy of the demo case folder, safe to edit."""
    return copy_demo(tmp_path / "demo")


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


@pytest.fixture()
def ws(tmp_path: Path) -> Path:
    """A workspace of copies: the demo case with its scans, and the in-progress case."""
    from tests.serving import workspace

    return workspace(tmp_path / "ws")


@pytest.fixture()
def api(ws: Path) -> Iterator[Any]:
    """The server for ``ws`` in process (a TestClient); see :func:`tests.serving.in_process`."""
    from tests.serving import in_process

    with in_process(ws) as client:
        yield client
