"""What a clerk's PC, a scanner, Word, a half-synced drive or a full disk throws at it: a corpus made at run time.

One test (or a few) per category of the hardening issue. Nothing binary is checked in: every
bad file is made here. Most builds use a stand-in converter that turns each document into a
blank one-page PDF, so the corpus runs without LibreOffice; the cases that are about
LibreOffice itself use a fake ``soffice`` script.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from paperwork import AttachmentError, build, load_case, resolve
from paperwork.binder.cache import Cache
from paperwork.binder.publish import recover
from paperwork.cli import cli
from paperwork.errors import PublishError
from tests.conftest import (
    DEMO,
    REFERENCE_FORMS,
    ROOT,
    TODAY,
    blank_pdfs,
    copy_demo,
    edit_case,
    fake_soffice,
    outline,
)


def demo_case(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "case")


def invoke(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), env=env)


def assert_clean(result: Any, code: int) -> None:
    assert result.exit_code == code, result.output
    assert "内部错误" not in result.output and "Traceback" not in result.output


def bookmarks(reader: PdfReader) -> dict[str, int]:
    """Bookmark title → page index: the same reading ``paperwork verify`` does."""
    from paperwork.binder.printed import bookmarks as read

    return read(reader)


# 1 -- a multi-page image is bound page by page and counted --------------------------------------


@pytest.mark.parametrize("kind", ["tiff-as-jpg", "gif-as-png"])
def test_a_multi_page_image_is_counted_in_the_catalog(tmp_path: Path, kind: str) -> None:
    case = demo_case(tmp_path)
    scan = case.parent / "scans" / ("营业执照复印件.jpg" if kind == "tiff-as-jpg" else "营业执照复印件.png")
    pages = [Image.new("L", (800, 1100), 200), Image.new("L", (800, 1100), 120)]
    fmt = "TIFF" if kind == "tiff-as-jpg" else "GIF"
    pages[0].save(scan, format=fmt, save_all=True, append_images=pages[1:])
    edit_case(case, documents={"营业执照复印件": {"file": f"scans/{scan.name}"}})
    result = build(resolve(load_case(case)), tmp_path / "out", converter=blank_pdfs)
    big = result.binders[0]
    reader = PdfReader(str(big.path))
    marks = bookmarks(reader)
    licence = next(v for k, v in marks.items() if k.startswith("营业执照复印件"))
    after = min(v for v in marks.values() if v > licence)
    assert after - licence == 2  # both frames bound, and the next paper starts after them
    ws = load_workbook(tmp_path / "out" / "卷内目录.xlsx")["大本资料"]
    pages = [r[5] for r in ws.iter_rows(min_row=2, values_only=True)]
    titles = [r[3] for r in ws.iter_rows(min_row=2, values_only=True)]
    at = titles.index("营业执照复印件")
    assert int(str(pages[at + 1]).split("-")[0]) - int(pages[at]) == 2
    assert len(reader.pages) == 3 + big.content_pages  # cover, catalog, papers, 备考表: nothing uncounted


# 2 -- a failed publish keeps the previous build whole ------------------------------------------


def test_a_failed_publish_keeps_the_previous_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = demo_case(tmp_path)
    out = tmp_path / "out"
    build(resolve(load_case(case)), out, converter=blank_pdfs)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    edit_case(case, archive={"filer": "另一位立卷人"})

    import paperwork.binder.publish as publish

    real = os.replace

    def immutable(src: Any, dst: Any) -> None:  # as with chattr +i on the old 小本
        if Path(src) == out / "小本资料.pdf":
            raise PermissionError(1, "Operation not permitted", str(src))
        real(src, dst)

    monkeypatch.setattr(publish.os, "replace", immutable)
    with pytest.raises(PublishError, match="上一次装订的结果原样保留"):
        build(resolve(load_case(case)), out, converter=blank_pdfs)
    after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert after == before
    assert not list(out.glob(".paperwork-*")) and not (out / ".paperwork" / "previous").exists()


def test_a_swap_cut_short_is_undone_by_the_next_build(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / ".paperwork" / "previous").mkdir(parents=True)
    (out / ".paperwork" / "previous" / "大本资料.pdf").write_text("old big")
    (out / "大本资料.pdf").write_text("new big")  # placed before the power went
    (out / "小本资料.pdf").write_text("old small")  # not yet moved aside
    journal = {"names": ["大本资料.pdf", "小本资料.pdf"], "had": ["大本资料.pdf", "小本资料.pdf"]}
    (out / ".paperwork" / "swap.json").write_text(json.dumps(journal), encoding="utf-8")
    recover(out)
    assert (out / "大本资料.pdf").read_text() == "old big"
    assert (out / "小本资料.pdf").read_text() == "old small"
    assert not (out / ".paperwork" / "swap.json").exists()


# 3 -- the cache heals ---------------------------------------------------------------------------


def test_truncated_or_swapped_cache_entries_are_made_again(tmp_path: Path) -> None:
    case = demo_case(tmp_path)
    cache = tmp_path / "cache"
    build(resolve(load_case(case)), tmp_path / "one", cache=Cache(cache), converter=blank_pdfs)
    for entry in cache.rglob("*.docx"):
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])
    other = next(cache.rglob("*.pdf"))
    for entry in cache.rglob("*.pdf"):
        if entry != other:
            shutil.copyfile(other, entry)  # another valid PDF in its place
    edit_case(case, archive={"filer": "换了立卷人"})  # so the build is not skipped as unchanged
    result = build(resolve(load_case(case)), tmp_path / "two", cache=Cache(cache), converter=blank_pdfs)
    assert all(b.total_pages > 3 for b in result.binders)
    again = build(resolve(load_case(case)), tmp_path / "three", cache=Cache(cache), converter=blank_pdfs)
    assert [b.total_pages for b in again.binders] == [b.total_pages for b in result.binders]


# 4 -- corrupt attachments are findings, not pages -----------------------------------------------


def _attach(tmp_path: Path, name: str, data: bytes, title: str = "采集单") -> Path:
    case = demo_case(tmp_path)
    (case.parent / "scans" / name).write_bytes(data)
    return edit_case(case, documents={title: {"file": f"scans/{name}"}})


def _jpeg(size: tuple[int, int] = (600, 800)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 180, 160)).save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [
        ("old.doc", os.urandom(3000), "不是能装订的格式"),
        ("half.jpg", _jpeg()[: len(_jpeg()) // 2], "已损坏或不完整"),
        ("cut.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n", "已损坏"),
        ("empty.pdf", b"", "不是能装订的格式"),
    ],
    ids=["random-bytes-doc", "half-jpeg", "cut-pdf", "empty-file"],
)
def test_unreadable_attachments_are_findings_naming_paper_and_file(
    tmp_path: Path, name: str, data: bytes, words: str
) -> None:
    case = _attach(tmp_path, name, data)
    with pytest.raises(AttachmentError, match=words) as caught:
        build(resolve(load_case(case)), tmp_path / "out", converter=blank_pdfs)
    (finding,) = caught.value.findings
    assert finding.code == "FILE_UNREADABLE" and "采集单" in finding.message and name in finding.message
    assert finding.path is not None and finding.path.endswith(".file") and finding.line is not None
    assert not (tmp_path / "out").exists()  # nothing half-written, not even an empty OUT


def test_the_cli_names_every_unreadable_paper(tmp_path: Path) -> None:
    case = _attach(tmp_path, "a.jpg", b"\xff\xd8\xff garbage")
    edit_case(case, documents={"设备编号单": {"file": "scans/a.doc"}})
    (case.parent / "scans" / "a.doc").write_bytes(b"plain text, not Word")
    result = invoke("build-binder", str(case), "-o", str(tmp_path / "out"), "--no-cache")
    assert_clean(result, 1)
    assert "a.jpg" in result.output and "a.doc" in result.output and "FILE_UNREADABLE" in result.output


# 5 -- control characters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["宏达\x0b精密机械有限公司", '"宏达\\v精密"', '"宏达\\0精密"'],
    ids=["raw-vt", "escaped-vt", "escaped-nul"],
)
@pytest.mark.parametrize("command", ["validate", "dates", "checklist", "status"])
def test_control_characters_are_refused_at_their_line(tmp_path: Path, name: str, command: str) -> None:
    text = DEMO.read_text(encoding="utf-8").replace("name: 宏达精密机械有限公司", f"name: {name}", 1)
    case = tmp_path / "case.yaml"
    case.write_text(text, encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if "宏达" in t)
    result = invoke(command, str(case))
    assert_clean(result, 1)
    assert "TEXT_CONTROL_CHAR" in result.output and f"case.yaml:{line}" in result.output


# 6 -- every failure names the file and what to do ------------------------------------------------


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size (a decompression bomb, without the memory)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0"))
        + chunk(b"IEND", b"")
    )


def _docm() -> bytes:
    from docx import Document

    buffer = io.BytesIO()
    Document().save(buffer)
    source = io.BytesIO(buffer.getvalue())
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"wordprocessingml.document.main+xml", b"ms-word.document.macroEnabled.main+xml"
                )
            zout.writestr(item, data)
        zout.writestr("word/vbaProject.bin", b"\0" * 64)
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "data", "words"),
    [("huge.png", _png_claiming(20000, 20000), "太大"), ("macro.docx", _docm(), "启用宏")],
    ids=["decompression-bomb", "docm-renamed-docx"],
)
def test_hostile_files_are_named(tmp_path: Path, name: str, data: bytes, words: str) -> None:
    case = _attach(tmp_path, name, data)
    result = invoke("build-binder", str(case), "-o", str(tmp_path / "out"), "--no-cache")
    assert_clean(result, 1)
    assert words in result.output and name in result.output and "采集单" in result.output


@pytest.mark.parametrize(
    "text",
    ["a: " + "[" * 5000 + "]" * 5000 + "\n", "case_id: a\nki\x00nd: 新装\n"],
    ids=["nesting-5000", "nul-byte"],
)
def test_broken_yaml_is_named_with_its_file(tmp_path: Path, text: str) -> None:
    case = tmp_path / "broken.yaml"
    case.write_text(text, encoding="utf-8")
    result = invoke("validate", str(case))
    assert_clean(result, 1)
    assert "broken.yaml" in result.output


def test_a_corrupt_pdf_from_libreoffice_is_caught(tmp_path: Path) -> None:
    writes_garbage = (
        'out=""; prev=""; for a in "$@"; do [ "$prev" = --outdir ] && out="$a"; prev="$a"; done\n'
        'for a in "$@"; do case "$a" in *.docx|*.doc) printf "%%PDF-1.4 garbage" > "$out/$(basename "${a%.*}").pdf";; esac; done\n'
    )
    soffice = fake_soffice(tmp_path, writes_garbage)
    result = invoke(
        "build-binder",
        str(DEMO),
        "-o",
        str(tmp_path / "out"),
        "--no-cache",
        env={"PAPERWORK_SOFFICE": str(soffice)},
    )
    assert_clean(result, 1)
    assert "已损坏" in result.output and not (tmp_path / "out").exists()


# 7 -- resource limits ---------------------------------------------------------------------------


def test_an_alias_bomb_is_refused_up_front(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    case = tmp_path / "bomb.yaml"
    case.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = invoke("validate", str(case))
    assert_clean(result, 1)
    assert "别名" in result.output


def test_ten_thousand_papers_are_read_and_checked(tmp_path: Path) -> None:
    # how fast is bench/validate_bench.py's business; here: it finishes and says something sane
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["documents"] += [{"title": "采集单", "date": "2023-07-01", "number": f"N{i}"} for i in range(10_000)]
    case = tmp_path / "case.yaml"
    case.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = invoke("validate", str(case), "--format", "json")
    assert_clean(result, 1)
    assert '"PAPER_DUPLICATE"' in result.output


# 8 -- a hung LibreOffice ------------------------------------------------------------------------


def test_a_hung_libreoffice_is_stopped_after_the_timeout(tmp_path: Path) -> None:
    soffice = fake_soffice(tmp_path, "sleep 600 &\nwait\n")
    started = time.monotonic()
    result = invoke(
        "build-binder",
        str(DEMO),
        "-o",
        str(tmp_path / "out"),
        "--no-cache",
        "--timeout",
        "2",
        env={"PAPERWORK_SOFFICE": str(soffice)},
    )
    assert_clean(result, 1)
    assert time.monotonic() - started < 30
    assert "超时" in result.output and "最多等 2 秒" in result.output


def test_paperwork_timeout_is_read_and_checked() -> None:
    from paperwork.cli.environment import office_settings
    from paperwork.errors import ConfigError

    assert office_settings({"PAPERWORK_TIMEOUT": "7"}).timeout_for(single=True) == 7.0
    assert office_settings({}).timeout_for(single=True) == 60.0
    with pytest.raises(ConfigError, match="PAPERWORK_TIMEOUT"):
        office_settings({"PAPERWORK_TIMEOUT": "soon"})


# 9 -- values that should never pass -------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        ({"application_date": "9999-12-31"}, "DATE_INVALID"),
        ({"capacity": {"requested_kva": "nan"}}, "FIELD_TYPE"),
        ({"capacity": {"requested_kva": "1e400"}}, "FIELD_TYPE"),
        ({"equipment": [{"name": "电机", "power_kw": "inf", "quantity": 1}]}, "FIELD_TYPE"),
        ({"case_id": ""}, "FIELD_MISSING"),
    ],
    ids=["year-9999", "nan", "1e400", "inf", "empty-case-id"],
)
@pytest.mark.parametrize("command", ["validate", "status", "ledger"])
def test_absurd_values_are_refused_everywhere(
    tmp_path: Path, edit: dict[str, Any], code: str, command: str
) -> None:
    case = edit_case(DEMO, to=tmp_path / "c" / "case.yaml", **edit)
    args = [command, str(case)] + (["-o", str(tmp_path / "台账.xlsx")] if command == "ledger" else [])
    result = invoke(*args)
    assert "内部错误" not in result.output and "Traceback" not in result.output
    if command == "ledger":
        assert result.exit_code == 0, result.output
        ws = load_workbook(tmp_path / "台账.xlsx")["问题清单"]
        assert any(code in str(row) for row in ws.iter_rows(values_only=True))
    else:
        assert result.exit_code == 1 and code in result.output


def test_a_date_a_century_before_the_application_is_a_warning(tmp_path: Path) -> None:
    case = edit_case(DEMO, to=tmp_path / "case.yaml", documents={"变压器合格证": {"date": "1923-03-01"}})
    result = invoke("validate", str(case))
    assert "DATE_IMPLAUSIBLE" in result.output and "1923-03-01" in result.output


def test_an_empty_out_is_a_usage_error(tmp_path: Path) -> None:
    assert_clean(invoke("build-binder", str(DEMO), "-o", ""), 2)
    assert_clean(invoke("ledger", str(DEMO), "-o", ""), 2)


# 10 -- the ledger keeps going --------------------------------------------------------------------


def test_the_ledger_has_a_row_for_each_unreadable_case(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "case.yaml").write_text("case_id: [unclosed\n", encoding="utf-8")
    bad = edit_case(DEMO, to=tmp_path / "b" / "case.yaml", application_date="1901-01-01")
    result = invoke(
        "ledger", str(tmp_path / "a" / "case.yaml"), str(bad), str(DEMO), "-o", str(tmp_path / "t.xlsx")
    )
    assert_clean(result, 0)
    rows = list(load_workbook(tmp_path / "t.xlsx")["台账"].iter_rows(values_only=True))
    assert len(rows) == 4  # header and three cases
    assert "1 个无法读取" in result.output or "2 个无法读取" in result.output


# 11 -- hostile PDFs -----------------------------------------------------------------------------


def _hostile_pdf(path: Path, *, owner_only: bool = False) -> None:
    writer = PdfWriter()
    page = writer.add_blank_page(595, 842)
    js = DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): js})
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([]),
            NameObject("/A"): js,
        }
    )
    attachment = DictionaryObject(
        {NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/FileAttachment")}
    )
    page[NameObject("/Annots")] = ArrayObject([writer._add_object(link), writer._add_object(attachment)])
    if owner_only:
        writer.encrypt(user_password="", owner_password="owner")
    with path.open("wb") as fh:
        writer.write(fh)


def test_attached_pages_lose_actions_scripts_and_attachments(tmp_path: Path) -> None:
    case = demo_case(tmp_path)
    _hostile_pdf(case.parent / "scans" / "hostile.pdf", owner_only=True)  # and only an owner password
    edit_case(case, documents={"采集单": {"file": "scans/hostile.pdf"}})
    result = build(resolve(load_case(case)), tmp_path / "out", converter=blank_pdfs)
    for binder in result.binders:
        reader = PdfReader(str(binder.path))
        assert (
            "/Names" not in reader.trailer["/Root"] or "/JavaScript" not in reader.trailer["/Root"]["/Names"]
        )
        for page in reader.pages:
            assert "/AA" not in page
            for annot in page.get("/Annots") or []:
                annot = annot.get_object()
                assert annot.get("/Subtype") != "/FileAttachment"
                assert "/A" not in annot or annot["/A"].get("/S") == "/GoTo"


# 12 -- interrupts ---------------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_an_interrupted_build_leaves_nothing_behind(tmp_path: Path, sig: int) -> None:
    soffice = fake_soffice(tmp_path, "sleep 600 &\nwait\n")
    temp = tmp_path / "tmp"
    temp.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "mine.txt").write_text("a file of the clerk's own")
    env = {**os.environ, "PAPERWORK_SOFFICE": str(soffice), "TMPDIR": str(temp), "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "paperwork", "build-binder", str(DEMO), "-o", str(out), "--no-cache"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _sleeping(soffice):
        time.sleep(0.2)
    assert _sleeping(soffice), "the fake LibreOffice never started"
    proc.send_signal(sig)
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 128 + sig, output
    assert sorted(p.name for p in out.iterdir()) == ["mine.txt"]
    assert list(temp.iterdir()) == []
    time.sleep(0.5)
    assert not _sleeping(soffice), "LibreOffice outlived the command"


def _sleeping(soffice: Path) -> bool:
    run = subprocess.run(["pgrep", "-f", str(soffice)], capture_output=True, check=False)
    return run.returncode == 0


# 13 -- friendlier matching --------------------------------------------------------------------------


def test_brackets_and_traditional_characters_match_and_unknowns_get_a_suggestion(tmp_path: Path) -> None:
    case = edit_case(
        DEMO,
        to=tmp_path / "case.yaml",
        documents={
            "送(停)电工作任务单": {"title": "送（停）电工作任务单"},
            "受电工程竣工验收单": {"title": "受電工程竣工驗收單"},
            "采集单": {"title": "采集丹"},
        },
    )
    result = invoke("validate", str(case), "--format", "json")
    unknown = [f for f in json.loads(result.output)["findings"] if f["code"] == "PAPER_UNKNOWN"]
    assert len(unknown) == 1 and "你是不是要写“采集单”" in unknown[0]["message"]


def test_pypdf_warnings_stay_off_the_screen(soffice: Path, tmp_path: Path) -> None:
    # a build reads the attachment with pypdf, which logs "incorrect startxref pointer" and "EOF marker
    # not found" for this file and reads it all the same
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    buffer = io.BytesIO()
    writer.write(buffer)
    damaged = buffer.getvalue().replace(b"startxref\n", b"startxref\n9").rstrip()
    case = _attach(tmp_path, "bad-xref.pdf", damaged)
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "paperwork", "build-binder", str(case), "-o", str(out), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "EOF marker" not in run.stdout + run.stderr and "startxref" not in run.stdout + run.stderr
    # and the page was bound: the warning was kept off the screen, not the paper out of the binder
    assert any("采集单" in title for _, title, _ in outline(PdfReader(str(out / "大本资料.pdf"))))


# 14 -- line numbers ---------------------------------------------------------------------------------


def test_a_misspelled_key_is_reported_at_its_own_line(tmp_path: Path) -> None:
    text = DEMO.read_text(encoding="utf-8")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("documents:"))
    case = tmp_path / "case.yaml"
    case.write_text(text.replace("documents:", "documnets:", 1), encoding="utf-8")
    result = invoke("validate", str(case))
    assert f"case.yaml:{line} documnets" in result.output and "你是不是要写“documents”" in result.output


def test_a_windows_path_with_backslashes_finds_its_file(tmp_path: Path) -> None:
    case = demo_case(tmp_path)
    edit_case(case, documents={"采集单": {"file": "scans\\采集单.pdf"}})
    assert (case.parent / "scans" / "采集单.pdf").is_file()
    result = invoke("validate", str(case))
    assert_clean(result, 0)


def test_randomly_damaged_scans_are_refused_or_bound_never_a_crash(tmp_path: Path) -> None:
    import random

    rng = random.Random(7)  # a fixed corpus: the same damage on every run
    sources = sorted((DEMO.parent / "scans").glob("*.*"))[:6]
    case = demo_case(tmp_path)
    for n in range(24):
        source = sources[n % len(sources)]
        data = bytearray(source.read_bytes())
        for _ in range(rng.randint(1, 40)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        if n % 3 == 0:
            data = data[: rng.randint(0, len(data))]
        target = case.parent / "scans" / f"damaged{source.suffix}"
        target.write_bytes(bytes(data))
        edit_case(case, documents={"采集单": {"file": f"scans/{target.name}"}})
        out = tmp_path / f"out{n}"
        try:
            build(resolve(load_case(case)), out, converter=blank_pdfs)
        except AttachmentError as exc:
            assert exc.findings and exc.findings[0].code == "FILE_UNREADABLE"
            assert not out.exists()


def test_an_unwritable_font_folder_only_costs_the_one_em_fonts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import paperwork.binder.libreoffice as libreoffice

    blocked = tmp_path / "blocked"
    blocked.write_text("a file where a folder should be")
    monkeypatch.setattr(libreoffice, "user_font_dir", lambda: blocked / "paperwork" / "fonts")
    conf = libreoffice.fontconfig_file(tmp_path).read_text(encoding="utf-8")
    assert "<dir>" not in conf and "AR PL UMing CN" in conf  # the fallbacks are still named


def _noise(seed: int, size: int) -> bytes:
    rng = random.Random(seed)
    return bytes(rng.randrange(256) for _ in range(size))


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("前期资料.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + _noise(7, 20000)),  # a Word header, then bytes
        ("前期资料.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + _noise(11, 60000)),
        ("前期资料.rtf", b"{\\rtf1\\ansi " + _noise(3, 30000) + b"}"),
    ],
    ids=["ole-20k", "ole-60k", "rtf-noise"],
)
def test_a_word_file_libreoffice_turns_into_mojibake_is_not_a_paper(
    soffice: Path, tmp_path: Path, name: str, data: bytes
) -> None:
    case = _attach(tmp_path, name, data)
    result = invoke("build-binder", str(case), "-o", str(tmp_path / "out"), "--no-cache")
    if result.exit_code == 0 and name.endswith(".rtf"):  # pages LibreOffice made: never mojibake
        from pypdf import PdfReader

        from paperwork.binder.phases import _common

        for binder in (tmp_path / "out").glob("*.pdf"):
            for page in PdfReader(binder).pages:
                chars = [c for c in page.extract_text() or "" if not c.isspace()]
                assert len(chars) < 20 or sum(not _common(c) for c in chars) / len(chars) < 0.4
        return
    assert_clean(result, 1)
    assert "FILE_UNREADABLE" in result.output and name in result.output
    assert not (tmp_path / "out" / "大本资料.pdf").exists()


def test_an_application_a_century_before_its_papers_is_flagged(tmp_path: Path) -> None:
    case = edit_case(DEMO, to=tmp_path / "case.yaml", application_date="1923-03-01")
    result = invoke("validate", str(case), "--format", "json", "--today", "2026-12-01")
    assert result.exit_code == 1
    absurd = [f for f in json.loads(result.output)["findings"] if f["code"] == "DATE_IMPLAUSIBLE"]
    # one finding, on the 报装日期 — not one per paper
    assert [(f["path"], f["severity"]) for f in absurd] == [("application_date", "error")]
    assert "1923-03-01" in absurd[0]["message"] and "100 年" in absurd[0]["message"]


def test_one_paper_years_after_the_rest_is_flagged_on_its_own_date() -> None:
    from paperwork import validate
    from paperwork.case.model import loads_case

    text = """
case_id: GY-2019-001
kind: 新装
application_date: 2019-03-01
customer: {name: 甲公司}
documents:
  - {title: 供电方案答复单, date: 2019-03-20, application_date: 2019-03-04}
  - {title: 受电工程图纸审核登记表, date: 2025-04-20}
"""
    report = validate(loads_case(text), today=TODAY)
    absurd = [f for f in report.findings if f.code == "DATE_IMPLAUSIBLE"]
    assert [(f.path, f.severity) for f in absurd] == [("documents[1].date", "warning")]
    assert "6 年" in absurd[0].message


@pytest.mark.parametrize(
    ("where", "text"),
    [
        ("customer.name", "宏达精密机械有限公司" * 1000),
        ("documents.0.note", "备" * 1001),
        ("contractor.name", "x" * 201),
    ],
    ids=["name-10000", "note-1001", "ascii-201"],
)
def test_a_text_no_form_can_print_is_refused_before_a_build(tmp_path: Path, where: str, text: str) -> None:
    def put(data: dict[str, Any]) -> None:
        node: Any = data
        *parents, last = where.split(".")
        for key in parents:
            node = node[int(key)] if key.isdigit() else node.setdefault(key, {})
        node[last] = text

    case = edit_case(DEMO, put, to=tmp_path / "case.yaml")
    started = time.monotonic()
    result = invoke("build-binder", str(case), "-o", str(tmp_path / "out"), "--draft")
    assert_clean(result, 1)
    assert "TEXT_TOO_LONG" in result.output and time.monotonic() - started < 30
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    fine = edit_case(DEMO, lambda d: d["customer"].update(name="宏" * 200), to=tmp_path / "fine.yaml")
    assert "TEXT_TOO_LONG" not in invoke("validate", str(fine)).output


_STREET = "北京市顺义区林河工业开发区顺仁路十八号院三号楼"  # a long, realistic value


def _pdf_text(pdf: Path) -> str:
    return "".join(re.sub(r"\s+", "", p.extract_text() or "") for p in PdfReader(str(pdf)).pages)


@pytest.mark.parametrize("form", sorted(p.name for p in REFERENCE_FORMS.glob("*.docx")))
def test_a_real_form_once_filled_loses_no_text(soffice: Path, tmp_path: Path, form: str) -> None:
    """Every cell of a real bureau form gets a long value (cells side by side wrap into each other's
    lines when extracted, so each value is counted by its own tag and its rare characters)."""
    from docx import Document

    from paperwork.binder.attachments import relaxed_docx
    from paperwork.binder.libreoffice import OfficeSettings, convert_batch

    settings = OfficeSettings(soffice=soffice)
    (empty,) = convert_batch([REFERENCE_FORMS / form], tmp_path / "empty", timeout=120, settings=settings)
    doc = Document(str(REFERENCE_FORMS / form))
    n = 0
    for table in doc.tables:
        seen: set[int] = set()
        for row in table.rows:
            for cell in row.cells:
                if id(cell._tc) not in seen:
                    seen.add(id(cell._tc))
                    n += 1
                    cell.paragraphs[-1].add_run(f"甲{n:02d}{_STREET}")
    filled = tmp_path / form
    doc.save(str(filled))
    from paperwork.binder.sources import Pending, attachment_source

    source = attachment_source(filled, "前期资料", lambda suffix: tmp_path / f"staged{suffix}")
    assert isinstance(source, Pending)  # a build hands LibreOffice the relaxed copy
    with zipfile.ZipFile(source.document) as z:
        assert b'"exact"' not in z.read("word/document.xml")
    staged = relaxed_docx(filled, tmp_path / f"staged-{form}")
    (pdf,) = convert_batch([staged], tmp_path / "pdf", timeout=120, settings=settings)
    text, before = _pdf_text(pdf), _pdf_text(empty)
    assert [i for i in range(1, n + 1) if f"甲{i:02d}" not in text] == []
    assert {c: text.count(c) - before.count(c) for c in "林仁院楼"} == dict.fromkeys("林仁院楼", n)


def test_our_forms_filled_with_the_longest_values_lose_no_text(soffice: Path, tmp_path: Path) -> None:
    name = "北京宏达精密机械制造股份有限公司顺义分公司第二生产基地"
    case = edit_case(
        DEMO,
        lambda d: d["customer"].update(name=name, address=_STREET * 2, mail_address=_STREET * 2),
        to=tmp_path / "case.yaml",
    )
    for form in ("application_register", "design_commission", "completion_request"):
        out = tmp_path / f"{form}.pdf"
        result = invoke("render", form, str(case), "-o", str(out))
        assert result.exit_code == 0, result.output
        text = _pdf_text(out)
        assert name in text, form
        if form == "application_register":
            assert text.count("林") >= 4 and "2023年2月27日" in text  # the signature date
