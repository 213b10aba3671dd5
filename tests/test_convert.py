"""LibreOffice conversion: batches, the hung-process kill and retry, the missing-tool message."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from docx import Document
from pypdf import PdfReader

from paperwork.binder.libreoffice import OfficeSettings, convert_batch, find_soffice
from paperwork.errors import ConversionError
from paperwork.render.fonts import INSTALL_HINT
from tests.conftest import fake_soffice


def make_docs(folder: Path, n: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        doc = Document()
        doc.add_paragraph(f"第 {i + 1} 份文件：高压客户用电登记表")
        path = folder / f"doc{i}.docx"
        doc.save(str(path))
        paths.append(path)
    return paths


def test_one_run_converts_a_batch(soffice: Path, tmp_path: Path) -> None:
    docs = make_docs(tmp_path / "in", 3)
    pdfs = convert_batch(docs, tmp_path / "out")
    assert [p.name for p in pdfs] == ["doc0.pdf", "doc1.pdf", "doc2.pdf"]
    for i, pdf in enumerate(pdfs):
        assert f"第{i + 1}份文件" in PdfReader(str(pdf)).pages[0].extract_text().replace(" ", "")


def test_missing_libreoffice_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(Path, "is_file", lambda self: False)
    with pytest.raises(ConversionError) as info:
        find_soffice()
    assert INSTALL_HINT in str(info.value) and "libreoffice" in str(info.value)


def test_hung_run_is_killed_at_the_limit_and_not_retried(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    count = tmp_path / "count"
    script = fake_soffice(tmp_path, f"echo run >> {count}\nsleep 30 &\nwait\n")
    docs = make_docs(tmp_path / "in", 2)
    started = time.monotonic()
    with pytest.raises(ConversionError, match="超时") as info:
        convert_batch(docs, tmp_path / "out", timeout=3, settings=OfficeSettings(soffice=script))
    took = time.monotonic() - started
    assert took < 3 * 2  # the wait announced is the whole wait: no second run (another 3 s) after a hang
    assert count.read_text().count("run") == 1 and info.value.timed_out
    assert "重试" not in str(info.value)


def test_a_libreoffice_that_dies_is_retried_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    count = tmp_path / "count"
    script = fake_soffice(tmp_path, f"echo run >> {count}\nexit 81\n")
    docs = make_docs(tmp_path / "in", 2)
    with pytest.raises(ConversionError, match="重试一次仍失败") as info:
        convert_batch(docs, tmp_path / "out", timeout=20, settings=OfficeSettings(soffice=script))
    assert count.read_text().count("run") == 2 and not info.value.timed_out


def test_empty_output_is_an_error_naming_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # writes an empty PDF for every input: "converted" but unusable
    body = (
        'out=""; prev=""\nfor a in "$@"; do if [ "$prev" = "--outdir" ]; then out="$a"; fi; prev="$a"; done\n'
    )
    body += 'for a in "$@"; do case "$a" in *.docx) : > "$out/$(basename "${a%.docx}").pdf";; esac; done\n'
    settings = OfficeSettings(soffice=fake_soffice(tmp_path, body))
    docs = make_docs(tmp_path / "in", 2)
    with pytest.raises(ConversionError, match=r"doc0\.docx"):
        convert_batch(docs, tmp_path / "out", timeout=20, settings=settings)
    assert os.path.getsize(tmp_path / "out" / "doc0.pdf") == 0


def test_missing_cjk_font_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import paperwork.render.fonts as convert

    monkeypatch.setattr(convert, "_has_cjk_font", lambda: False)
    settings = OfficeSettings(soffice=fake_soffice(tmp_path, "exit 0\n"))
    with pytest.raises(ConversionError, match="fonts-noto-cjk"):
        convert_batch(make_docs(tmp_path / "in", 1), tmp_path / "out", settings=settings)
