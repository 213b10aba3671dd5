"""Many cases at once, the cache, rebuilds that redo only what changed."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pypdf import PdfReader

import paperwork.render.docx_templates as render
from paperwork import load_case, resolve
from paperwork.binder.batch import BuildOptions, build_many
from paperwork.binder.build import build
from paperwork.binder.cache import Cache
from paperwork.cli import cli
from tests.conftest import DEMO, EXPANSION, FIXTURES, edit_case


def copy_case(src: Path, dst: Path) -> Path:
    shutil.copytree(src.parent, dst)
    return dst / "case.yaml"


def test_many_cases_go_to_their_own_folders_and_one_failure_does_not_stop_them(
    soffice: Path, tmp_path: Path, runner: CliRunner
) -> None:
    cases = tmp_path / "cases"
    copy_case(DEMO, cases / "a")
    copy_case(EXPANSION, cases / "b")
    copy_case(FIXTURES / "in-progress" / "case.yaml", cases / "c")  # in progress: its binders lack papers
    out = tmp_path / "out"
    args = ["build-binder", str(cases), "-o", str(out), "--jobs", "2", "--cache", str(tmp_path / "cache")]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1
    assert "GY-2026-088" in result.output and "PAPER_MISSING" in result.output
    assert "份要归档的资料还没有" in result.output and "0 个错误" not in result.output
    for case_id in ("GY-2023-017", "CY-2024-031"):
        folder = out / case_id
        assert {p.name for p in folder.iterdir()} >= {"大本资料.pdf", "小本资料.pdf", "卷内目录.xlsx", "docx"}
        assert load_workbook(folder / "卷内目录.xlsx").sheetnames == ["大本资料", "小本资料"]
    assert not (out / "GY-2026-088").exists() or not (out / "GY-2026-088" / "大本资料.pdf").exists()
    assert "[3/3]" in result.output  # plain progress lines when not on a terminal
    assert "已装订" in result.output and "失败" in result.output

    again = runner.invoke(cli, args)
    assert again.exit_code == 1
    assert again.output.count("未变") >= 2  # unchanged cases are not built again
    rows = json.loads(runner.invoke(cli, [*args, "--format", "json"]).output)
    for row in (r for r in rows if r["status"] == "unchanged"):  # the pages OUT holds, read again
        held = sum(
            len(PdfReader(str(out / row["case_id"] / f"{b}.pdf")).pages) for b in ("大本资料", "小本资料")
        )
        assert row["pages"] == held > 0, row
    assert sum(r["status"] == "unchanged" for r in rows) == 2


def test_duplicate_case_ids_fail_the_second(soffice: Path, tmp_path: Path) -> None:
    a = copy_case(DEMO, tmp_path / "a")
    b = copy_case(DEMO, tmp_path / "b")
    outcomes = build_many([a, b], tmp_path / "out", jobs=1, options=BuildOptions(cache=tmp_path / "cache"))
    assert [o.status for o in outcomes] == ["built", "failed"]
    assert "重复" in outcomes[1].message


def test_changing_one_date_refills_only_what_shows_it(
    soffice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = copy_case(DEMO, tmp_path / "case")
    cache = tmp_path / "cache"
    out = tmp_path / "out"
    build(resolve(load_case(case)), out, cache=Cache(cache))
    first = PdfReader(str(out / "小本资料.pdf"))
    assert build(resolve(load_case(case)), out, cache=Cache(cache)).unchanged

    edit_case(case, documents={"受电工程竣工验收单": {"date": "2023-08-09"}})
    filled: list[str] = []
    real = render.render_docx
    monkeypatch.setattr(render, "render_docx", lambda key, *a, **k: filled.append(key) or real(key, *a, **k))
    converted: list[Path] = []

    def counting(files: list[Path], outdir: Path) -> list[Path]:
        converted.extend(files)
        from paperwork.binder.libreoffice import convert_batch

        return convert_batch(files, outdir)

    result = build(resolve(load_case(case)), out, cache=Cache(cache), converter=counting)
    assert not result.unchanged
    # the 委托带电施工申请 shows the acceptance date; the 小本 catalog lists it; nothing else changed
    assert sorted(filled) == ["archive_catalog", "live_work_request"]
    assert len(converted) == 1  # both went through LibreOffice in one merged document
    text = "".join(p.extract_text() for p in PdfReader(str(out / "小本资料.pdf")).pages[1:2])
    assert "20230809" in text.replace(" ", "") and len(first.pages) == len(
        PdfReader(str(out / "小本资料.pdf")).pages
    )


def test_a_corrupt_cache_entry_is_made_again(soffice: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    build(resolve(load_case(EXPANSION)), tmp_path / "one", cache=Cache(cache))
    entries = list(cache.rglob("*.pdf"))  # single PDFs and the merged blobs the slices point into
    assert entries and list((cache / "blob").rglob("*.pdf"))
    for entry in entries:
        entry.write_bytes(b"%PDF-1.4 broken")
    result = build(resolve(load_case(EXPANSION)), tmp_path / "two", cache=Cache(cache))
    for binder in result.binders:
        assert len(PdfReader(str(binder.path)).pages) == binder.total_pages
    for entry in entries:
        assert len(PdfReader(str(entry)).pages) >= 1  # rewritten, sound


def test_a_form_over_one_page_is_numbered_right(soffice: Path, tmp_path: Path) -> None:
    case = copy_case(DEMO, tmp_path / "case")
    edit_case(case, equipment=[{"name": f"设备{i}", "power_kw": 110 + i, "quantity": 1} for i in range(60)])
    result = build(resolve(load_case(case)), tmp_path / "out")
    ws = load_workbook(tmp_path / "out" / "卷内目录.xlsx")["大本资料"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    titles = [r[3] for r in rows]
    i = titles.index("启动设备清单")
    span = int(rows[i + 1][5]) - int(rows[i][5])
    assert span >= 2  # the list ran over a page
    reader = PdfReader(str(result.binders[0].path))
    marks = next(item for item in reader.outline if isinstance(item, list))  # the papers under 正文
    page = reader.get_destination_page_number(marks[i + 1])
    lines = [line.strip() for line in reader.pages[page].extract_text().splitlines()]
    assert rows[i + 1][5] in lines  # the paper after it carries the catalog's 页号


def test_a_document_libreoffice_cannot_convert_fails_only_its_case(soffice: Path, tmp_path: Path) -> None:
    from paperwork.binder.libreoffice import convert_batch
    from paperwork.errors import ConversionError

    good = copy_case(DEMO, tmp_path / "good")
    bad = copy_case(EXPANSION, tmp_path / "bad")
    (bad.parent / "scans" / "old.doc").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 not really a Word 97 file"
    )
    edit_case(bad, documents={"采集单": {"file": "scans/old.doc"}})

    def picky(files: list[Path], outdir: Path) -> list[Path]:
        # LibreOffice is lenient with broken .doc files; this stands in for one it gives up on
        if any(f.suffix == ".doc" for f in files):
            raise ConversionError("LibreOffice 没有产生这些文件的 PDF：old.doc")
        return convert_batch(files, outdir)

    outcomes = build_many([good, bad], tmp_path / "out", jobs=1, options=BuildOptions(), batch=picky)
    assert [o.status for o in outcomes] == ["built", "failed"]
    assert "old.doc" in outcomes[1].message
    assert (tmp_path / "out" / "GY-2023-017" / "大本资料.pdf").is_file()
