"""Archive-grade binders: PDF/A-2b and 3b checked by a real validator, attachments that are hard on
PDF/A, and `paperwork verify` on fresh and tampered binders."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pdfmaker
import pikepdf
import pytest
from conftest import DEMO, FIXTURES
from openpyxl import load_workbook
from PIL import Image, ImageChops
from pypdf import PdfReader, PdfWriter

pytestmark = pytest.mark.soffice


@pytest.fixture(scope="module")
def validator():
    """page-validation, pinned; under CI=true its absence is a failure."""
    try:
        import page
    except ImportError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but page-validation is missing: {exc}")
        pytest.skip("page-validation is not installed")
    return page


def _failures(validator, path: Path, profile: str) -> list[str]:
    report = validator.validate_pdf(str(path), profile=profile)
    return [f"{f.rule_id}: {f.message}" for f in report.failures]


def _build(runner, case: Path, out: Path, *extra: str):
    from paperwork.cli import cli

    return runner.invoke(cli, ["build-binder", str(case), "-o", str(out), *extra])


def _verify(runner, path: Path):
    from paperwork.cli import cli

    result = runner.invoke(cli, ["verify", str(path), "--format", "json"])
    return result.exit_code, json.loads(result.output) if result.output.strip().startswith(
        "{"
    ) else result.output


@pytest.fixture(scope="module")
def built(soffice, tmp_path_factory, validator) -> dict[str, Path]:
    """The demo and expansion cases built with --pdfa 2b and 3b."""
    from click.testing import CliRunner

    runner = CliRunner()
    outs = {}
    for name, case in (("demo", DEMO), ("expansion", FIXTURES / "expansion" / "case.yaml")):
        for level in ("2b", "3b"):
            out = tmp_path_factory.mktemp(f"{name}-{level}")
            result = _build(runner, case, out, "--pdfa", level, "--no-cache")
            assert result.exit_code == 0, result.output
            outs[f"{name}-{level}"] = out
    return outs


@pytest.mark.parametrize("which", ["demo-2b", "demo-3b", "expansion-2b", "expansion-3b"])
def test_binders_pass_the_validator(built, validator, which):
    level = which.split("-")[1]
    for name in ("大本资料", "小本资料"):
        path = built[which] / f"{name}.pdf"
        assert _failures(validator, path, level) == [], f"{which} {name}"
        with pikepdf.open(path) as pdf:
            meta = pdf.open_metadata()
            assert meta["pdfaid:part"] == level[0] and meta["pdfaid:conformance"] == "B"
            assert pdf.trailer.ID is not None
            assert len(pdf.Root.OutputIntents) == 1


def test_3b_carries_the_case_file_and_catalog_byte_for_byte(built):
    out = built["demo-3b"]
    with pikepdf.open(out / "大本资料.pdf") as pdf:
        relationships = {str(spec.AFRelationship) for spec in pdf.Root.AF}
        files = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()}
    assert relationships == {"/Source", "/Data"}
    assert files["case.yaml"] == DEMO.read_bytes()
    assert files["卷内目录.xlsx"] == (out / "卷内目录.xlsx").read_bytes()
    with pikepdf.open(built["demo-2b"] / "大本资料.pdf") as pdf:
        assert len(pdf.attachments) == 0  # PDF/A-2 takes no files but PDF/A ones


def test_plain_build_is_not_pdfa_and_bureau_data_can_ask_for_it(
    soffice, runner, demo_copy, tmp_path, validator
):
    plain = tmp_path / "plain"
    assert _build(runner, demo_copy, plain).exit_code == 0
    with pikepdf.open(plain / "大本资料.pdf") as pdf:
        assert "pdfaid:part" not in pdf.open_metadata()
    bureau = tmp_path / "bureau.yaml"
    bureau.write_text("archive:\n  pdfa: 2b\n", encoding="utf-8")
    asked = tmp_path / "asked"
    result = _build(runner, demo_copy, asked, "--bureau", str(bureau))
    assert result.exit_code == 0, result.output
    assert _failures(validator, asked / "小本资料.pdf", "2b") == []


def _hard_case(demo_copy: Path) -> dict[str, list[str]]:
    """The demo case whose attachments are a CMYK JPEG and PDFs with unembedded Latin fonts (two
    ways), an unembedded Chinese font, form fields and JavaScript. Returns title → text expected."""
    scans = demo_copy.parent / "scans"
    texts = {
        "用电申请书": pdfmaker.cjk_unembedded(scans / "用电申请书.pdf"),
        "审图通知单": pdfmaker.latin_unembedded(scans / "审图通知单.pdf"),
        "前期资料证明": pdfmaker.with_form_fields(scans / "前期资料证明.pdf"),
        "前期资料": pdfmaker.with_javascript(scans / "前期资料.pdf"),
        "受电工程图纸审核登记表": pdfmaker.ghostscript_unembedded(scans / "图纸审核登记表-1.pdf"),
    }
    pdfmaker.cmyk_jpeg(scans / "营业执照复印件.jpg")
    return texts


def _render(pdf: Path, page: int, dpi: int = 100) -> Image.Image:
    out = pdf.parent / f"render-{pdf.stem}-{page}"
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-png",
            "-singlefile",
            "-gray",
            str(pdf),
            str(out),
        ],
        check=True,
    )
    return Image.open(out.with_suffix(".png")).convert("L")


def _ink(img: Image.Image) -> Image.Image:
    """The page's dark marks, cropped to them: what the eye reads, wherever the page put it."""
    marks = img.point(lambda v: 255 if v < 128 else 0)
    box = marks.getbbox()
    assert box is not None, "an empty page"
    return marks.crop(box)


def test_hard_attachments_build_as_pdfa_and_keep_their_text(soffice, runner, demo_copy, tmp_path, validator):
    texts = _hard_case(demo_copy)
    out = tmp_path / "out"
    result = _build(runner, demo_copy, out, "--pdfa", "2b", "--no-cache")
    assert result.exit_code == 0, result.output
    big = out / "大本资料.pdf"
    assert _failures(validator, big, "2b") == []
    reader = PdfReader(str(big))
    text = " ".join(p.extract_text() or "" for p in reader.pages)
    flat = "".join(text.split())
    for title, lines in texts.items():
        if title == "用电申请书":
            continue  # its Chinese page is an image now: compared by its glyphs below
        for line in lines:
            assert "".join(line.split()) in flat, (title, line)
    assert "Shunde Textiles Ltd".replace(" ", "") in flat  # the form field's value, drawn into the page
    note = "".join(reader.pages[-1].extract_text().split())
    assert "用电申请书第1页的中文字体未嵌入，已按300dpi转为图像" in note
    # the turned page draws the same characters poppler draws from the original (with a Chinese font)
    record = json.loads(_record_json(big))
    row = next(r for r in record["rows"] if r["title"] == "用电申请书")
    original = _ink(_render(demo_copy.parent / "scans" / "用电申请书.pdf", 1))
    page = _render(big, row["pdf_start"] + 1)
    bound = _ink(page.crop((0, 75, *page.size)))  # below the 18 mm band of the page number
    bound = bound.resize(original.size)
    differs = ImageChops.difference(original, bound).point(lambda v: 255 if v > 128 else 0)
    share = sum(differs.histogram()[255:]) / (original.size[0] * original.size[1])
    assert share < 0.08, share
    with pikepdf.open(big) as pdf:
        assert "/JavaScript" not in str(pdf.Root.get("/Names", {}))
        assert "/OpenAction" not in pdf.Root
        for page in pdf.pages:
            assert "/AA" not in page.obj
            for annot in page.obj.get("/Annots", []):
                assert annot.get("/A", {}).get("/S") != "/JavaScript"
        images = [
            obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"
        ]
        assert images and all(obj.get("/ColorSpace") != "/DeviceCMYK" for obj in images)


def _record_json(path: Path) -> bytes:
    with pikepdf.open(path) as pdf:
        return pdf.Root.PieceInfo.Paperwork.Private.read_bytes()


def test_verify_passes_fresh_builds(built, runner):
    for which in ("demo-2b", "expansion-3b"):
        code, report = _verify(runner, built[which])
        assert code == 0, report
        assert report["ok"] and len(report["binders"]) == 2
        for binder in report["binders"]:
            assert binder["findings"] == []
            assert any("PDF/A" in c for c in binder["checked"])


def _copy(built: dict[str, Path], tmp_path: Path) -> Path:
    target = tmp_path / "out"
    shutil.copytree(built["demo-2b"], target)
    return target


def _codes(report) -> list[str]:
    return [f["code"] for b in report["binders"] for f in b["findings"]]


def _messages(report) -> str:
    return "\n".join(f["message"] for b in report["binders"] for f in b["findings"])


def test_verify_finds_a_swapped_page(built, runner, tmp_path):
    out = _copy(built, tmp_path)
    big = out / "大本资料.pdf"
    record = json.loads(_record_json(big))
    row = next(r for r in record["rows"] if r["title"] == "设计委托书")
    other = next(r for r in record["rows"] if r["title"] == "供电方案答复单")
    with pikepdf.open(big, allow_overwriting_input=True) as pdf:  # one page replaced by another paper's
        pdf.pages[row["pdf_start"]] = pdf.pages[other["pdf_start"]]
        pdf.save(big)
    code, report = _verify(runner, big)
    assert code == 1
    assert "BINDER_PAGE_CHANGED" in _codes(report)
    assert "设计委托书" in _messages(report)


def test_verify_finds_a_removed_page_written_by_another_program(built, runner, tmp_path):
    out = _copy(built, tmp_path)
    big = out / "大本资料.pdf"
    record = json.loads(_record_json(big))
    row = next(r for r in record["rows"] if r["title"].startswith("受电工程图纸审核登记表"))
    reader = PdfReader(str(big))
    writer = PdfWriter()  # pypdf copies the pages only: the document's own record is left behind
    for i, page in enumerate(reader.pages):
        if i != row["pdf_start"]:
            writer.add_page(page)
    with big.open("wb") as fh:
        writer.write(fh)
    code, report = _verify(runner, big)
    assert code == 1
    assert "BINDER_PAGE_MISSING" in _codes(report)
    assert row["title"] in _messages(report)


def test_verify_finds_an_edited_page(built, runner, tmp_path):
    out = _copy(built, tmp_path)
    big = out / "小本资料.pdf"
    record = json.loads(_record_json(big))
    row = record["rows"][2]
    with pikepdf.open(big, allow_overwriting_input=True) as pdf:  # a white box painted over a line
        page = pdf.pages[row["pdf_start"]]
        page.contents_add(pdf.make_stream(b"q 1 1 1 rg 100 400 300 40 re f Q"), prepend=False)
        pdf.save(big)
    code, report = _verify(runner, big)
    assert code == 1
    changed = [
        f["message"] for b in report["binders"] for f in b["findings"] if f["code"] == "BINDER_PAGE_CHANGED"
    ]
    assert len(changed) == 1 and row["title"] in changed[0]


def test_verify_finds_a_changed_catalog_date(built, runner, tmp_path):
    out = _copy(built, tmp_path)
    book = out / "卷内目录.xlsx"
    wb = load_workbook(book)
    ws = wb["大本资料"]
    title, old = ws.cell(row=3, column=4).value, ws.cell(row=3, column=5).value
    ws.cell(row=3, column=5).value = "20230101"
    wb.save(book)
    code, report = _verify(runner, out)
    assert code == 1
    assert "BINDER_CATALOG_CHANGED" in _codes(report)
    assert title in _messages(report) and "20230101" in _messages(report)
    # the record's own date changed inside the PDF: the catalog page and the cover (R1) disagree
    shutil.copy(built["demo-2b"] / "卷内目录.xlsx", book)
    big = out / "大本资料.pdf"
    with pikepdf.open(big, allow_overwriting_input=True) as pdf:
        private = pdf.Root.PieceInfo.Paperwork.Private
        data = json.loads(private.read_bytes())
        last = max(range(len(data["rows"])), key=lambda k: data["rows"][k]["date"])
        data["rows"][last]["date"] = "20231231"
        private.write(json.dumps(data, ensure_ascii=False).encode())
        pdf.save(big)
    code, report = _verify(runner, big)
    assert code == 1
    assert {"BINDER_CATALOG_CHANGED", "BINDER_COVER_DATES"} <= set(_codes(report))
    assert old  # the workbook had a date to change


def test_verify_a_pdf_it_did_not_build(runner, tmp_path):
    foreign = tmp_path / "other.pdf"
    pdfmaker.latin_unembedded(foreign)
    code, report = _verify(runner, foreign)
    assert code == 1  # its fonts are not embedded
    assert _codes(report) == ["BINDER_FONT_NOT_EMBEDDED"]
    binder = report["binders"][0]
    assert any("没有装订记录" in item for item in binder["not_checked"])
    from paperwork.cli import cli

    assert runner.invoke(cli, ["verify", str(tmp_path / "nowhere.pdf")]).exit_code == 2
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"not a pdf at all")
    code, report = _verify(runner, garbage)
    assert code == 1 and _codes(report) == ["BINDER_UNREADABLE"]


def test_record_survives_and_digests_hold(built):
    from paperwork.binder.record import page_digests, read_record

    with pikepdf.open(built["demo-3b"] / "小本资料.pdf") as pdf:
        record = read_record(pdf)
        assert record is not None and record.pdfa == "3b"
        assert record.page_sha256 == page_digests(pdf)
        assert {f.name for f in record.attached} == {"case.yaml", "卷内目录.xlsx"}
        assert record.attached[0].sha256 == hashlib.sha256(DEMO.read_bytes()).hexdigest()


def _outline_target(pdf: pikepdf.Pdf, title_start: str) -> pikepdf.Dictionary:
    stack = [pdf.Root.Outlines.First]
    while stack:
        item = stack.pop()
        if str(item.Title).startswith(title_start):
            return item
        if "/First" in item:
            stack.append(item.First)
        if "/Next" in item:
            stack.append(item.Next)
    raise AssertionError(title_start)


def test_verify_finds_moved_and_added_pages_and_a_wrong_bookmark(built, runner, tmp_path):
    out = _copy(built, tmp_path)
    big = out / "大本资料.pdf"
    record = json.loads(_record_json(big))
    design = next(r for r in record["rows"] if r["title"] == "设计委托书")
    with pikepdf.open(big, allow_overwriting_input=True) as pdf:
        moved = pikepdf.Page(pdf.pages[design["pdf_start"]])
        del pdf.pages[design["pdf_start"]]
        pdf.pages.append(moved)  # the page put at the end
        pdf.add_blank_page(page_size=(595, 842))  # and a page that was never bound
        pdf.save(big)
    code, report = _verify(runner, big)
    assert code == 1
    codes = set(_codes(report))
    assert {"BINDER_PAGE_MOVED", "BINDER_PAGE_ADDED", "BINDER_PAGE_COUNT"} <= codes
    assert "设计委托书" in _messages(report)

    small = out / "小本资料.pdf"
    record = json.loads(_record_json(small))
    first, second = record["rows"][0], record["rows"][1]
    with pikepdf.open(small, allow_overwriting_input=True) as pdf:
        item = _outline_target(pdf, first["title"])
        item.Dest = pikepdf.Array([pdf.pages[second["pdf_start"]].obj, pikepdf.Name.Fit])
        if "/A" in item:  # a bookmark may jump by an action or by a destination
            del item["/A"]
        pdf.save(small)
    code, report = _verify(runner, small)
    # (a re-save by pikepdf may compress a stream we stored plain: BINDER_PDFA then, rightly)
    assert code == 1 and "BINDER_BOOKMARK" in _codes(report)
    assert set(_codes(report)) <= {"BINDER_BOOKMARK", "BINDER_PDFA"}
    assert first["title"] in _messages(report)


def test_verify_without_a_record_checks_the_page_numbers_in_order(built, runner, tmp_path):
    out = _copy(built, tmp_path)
    big = out / "大本资料.pdf"
    with pikepdf.open(big, allow_overwriting_input=True) as pdf:
        for holder in (pdf.Root, *(p.obj for p in pdf.pages)):
            del holder["/PieceInfo"]  # the record gone: a PDF like any other
        del pdf.pages[6]  # and a page with it: 页号 5 is followed by 7
        pdf.save(big)
    code, report = _verify(runner, big)
    assert code == 1
    assert "BINDER_PAGE_NUMBER" in _codes(report)
    assert any("没有装订记录" in item for item in report["binders"][0]["not_checked"])


def test_verify_finds_a_damaged_record_wrong_counts_a_changed_file_and_broken_pdfa(built, runner, tmp_path):
    out = tmp_path / "out3b"
    shutil.copytree(built["demo-3b"], out)
    big, small = out / "大本资料.pdf", out / "小本资料.pdf"
    with pikepdf.open(big, allow_overwriting_input=True) as pdf:
        private = pdf.Root.PieceInfo.Paperwork.Private
        data = json.loads(private.read_bytes())
        data["content_pages"] += 1  # the record says one page more than its catalog
        private.write(json.dumps(data, ensure_ascii=False).encode())
        spec = pdf.attachments["case.yaml"]
        spec.obj.EF.F.write(b"case_id: forged\n")  # the case file inside changed
        pdf.save(big)
    code, report = _verify(runner, big)
    assert code == 1 and {"BINDER_COUNTS", "BINDER_ATTACHMENT"} <= set(_codes(report))
    with pikepdf.open(small, allow_overwriting_input=True) as pdf:
        pdf.Root.PieceInfo.Paperwork.Private.write(b"{not json")
        del pdf.Root["/OutputIntents"]  # no longer PDF/A, while its metadata says it is
        pdf.save(small)
    code, report = _verify(runner, small)
    assert code == 1 and {"BINDER_RECORD_DAMAGED", "BINDER_PDFA"} <= set(_codes(report))


@pytest.mark.parametrize(
    ("case", "flags"),
    [("in-progress", ["--draft", "--pdfa", "2b"]), ("demo", ["--duplex", "--pdfa", "3b"])],
)
def test_drafts_and_double_sided_binders_pass_and_verify(soffice, runner, tmp_path, validator, case, flags):
    out = tmp_path / "out"
    result = _build(runner, FIXTURES / case / "case.yaml", out, *flags)
    assert result.exit_code == 0, result.output
    for name in ("大本资料", "小本资料"):
        assert _failures(validator, out / f"{name}.pdf", flags[-1]) == []
    code, report = _verify(runner, out)  # the 草稿 mark and the numbers of the backs read right
    assert code == 0, report


def _ending_in_cr(prefix: bytes) -> tuple[bytes, bytes]:
    """Data whose zlib stream ends with CR (its Adler-32 does), and that stream."""
    import random
    import zlib

    rng = random.Random(7)
    for _ in range(100_000):
        data = prefix + bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(8))
        packed = zlib.compress(data, 9)
        if packed.endswith(b"\r"):
            return data, packed
    raise AssertionError("no data found")


def test_streams_ending_in_cr_are_mended_without_touching_a_files_bytes(tmp_path):
    from paperwork.binder.archival import _ends_cr, _mend_cr_endings

    content, packed_content = _ending_in_cr(b"0 0 1 rg 10 10 50 50 re f % ")
    carried, packed_file = _ending_in_cr(b"case_id: GY-1\n# ")
    pdf = pikepdf.new()
    pdf.add_blank_page()
    page_stream = pikepdf.Stream(pdf, b"")
    page_stream.write(packed_content, filter=pikepdf.Name.FlateDecode)
    pdf.pages[0].obj.Contents = pdf.make_indirect(page_stream)
    embedded = pikepdf.Stream(pdf, b"")
    embedded.write(packed_file, filter=pikepdf.Name.FlateDecode)
    embedded.Type = pikepdf.Name.EmbeddedFile
    pdf.Root.Carried = pdf.make_indirect(embedded)
    path = tmp_path / "cr.pdf"
    pdf.save(path, compress_streams=False)
    with pikepdf.open(path) as written:
        assert sum(isinstance(o, pikepdf.Stream) and _ends_cr(o) for o in written.objects) == 2
        _mend_cr_endings(written)
        written.save(tmp_path / "mended.pdf", compress_streams=False)
    with pikepdf.open(tmp_path / "mended.pdf") as mended:
        assert not any(isinstance(o, pikepdf.Stream) and _ends_cr(o) for o in mended.objects)
        assert mended.Root.Carried.read_bytes() == carried  # a file stays byte for byte
        assert mended.pages[0].obj.Contents.read_bytes().rstrip(b"\n") == content
