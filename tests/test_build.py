"""The binders, read back: bookmarks, stamped page numbers, covers, fonts, the workbook, the forms."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from paperwork import load_case, resolve
from paperwork.binder.build import build
from paperwork.case.dates import compact
from paperwork.errors import AttachmentError
from paperwork.rules.catalog import catalogs
from tests.conftest import DEMO, REFERENCE_FORMS, docx_text, edit_case, outline


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_outputs_exist(demo_build: Path) -> None:
    for name in ("大本资料.pdf", "小本资料.pdf", "卷内目录.xlsx", "docx"):
        assert (demo_build / name).exists(), name
    hidden = [p.name for p in demo_build.iterdir() if p.name.startswith(".")]
    assert hidden == [".paperwork"]  # the build manifest; no staging folder left


@pytest.mark.parametrize("binder", ["大本资料", "小本资料"])
def test_every_row_has_a_bookmark_opening_its_stamped_page(demo_build: Path, binder: str) -> None:
    reader = PdfReader(str(demo_build / f"{binder}.pdf"))
    ws = load_workbook(demo_build / "卷内目录.xlsx")[binder]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    papers = [b for b in outline(reader) if b[0] == 1]
    assert len(papers) == len(rows)
    for (_, title, page), row in zip(papers, rows, strict=True):
        assert title.startswith(row[3])
        first = row[5].split("-")[0]
        lines = reader.pages[page].extract_text().splitlines()
        assert first in [line.strip() for line in lines], (title, first, lines[:5])
    # content numbering starts at 1 on the first page after cover and catalog
    assert rows[0][5] == "1"
    catalog_page = next(p for d, t, p in outline(reader) if t == "卷内目录")
    assert catalog_page == 1 and papers[0][2] > catalog_page


def test_last_row_shows_its_range_and_pages_add_up(demo_build: Path) -> None:
    reader = PdfReader(str(demo_build / "小本资料.pdf"))
    ws = load_workbook(demo_build / "卷内目录.xlsx")["小本资料"]
    labels = [r[5].value for r in ws.iter_rows(min_row=2)]
    # 供用电合同 has 3 pages, so the row after it starts 3 later
    titles = [r[3].value for r in ws.iter_rows(min_row=2)]
    i = titles.index("供用电合同")
    assert int(labels[i + 1]) == int(labels[i]) + 3
    last = labels[-1]
    content = len(reader.pages) - 3  # cover, catalog, 备考表
    assert last == str(content) or last.endswith(f"-{content}")


def test_no_number_on_cover_catalog_and_note(demo_build: Path) -> None:
    reader = PdfReader(str(demo_build / "大本资料.pdf"))
    for index in (0, 1, len(reader.pages) - 1):
        lines = [line.strip() for line in reader.pages[index].extract_text().splitlines()]
        assert not any(re.fullmatch(r"\d{1,3}", line) for line in lines[:1]), lines[:3]


def test_covers_follow_r1_and_r2(demo_build: Path) -> None:
    big, small = catalogs(resolve(load_case(DEMO)))
    big_cover = flat(PdfReader(str(demo_build / "大本资料.pdf")).pages[0].extract_text())
    small_cover = flat(PdfReader(str(demo_build / "小本资料.pdf")).pages[0].extract_text())
    assert f"自{compact(date(2023, 3, 1))}至{compact(big.end)}" in big_cover  # R1: from the application
    assert f"自{compact(small.start)}至{compact(small.end)}" in small_cover  # R2
    assert "保管期限30年" in big_cover and "宏达精密机械有限公司" in big_cover
    pages = len(PdfReader(str(demo_build / "小本资料.pdf")).pages) - 3
    assert f"页数{pages}页" in small_cover
    assert f"件数{len(small.rows)}件" in small_cover


def test_note_counts_pages_and_papers_with_r3_date(demo_build: Path) -> None:
    reader = PdfReader(str(demo_build / "小本资料.pdf"))
    note = flat(reader.pages[-1].extract_text())
    assert "卷内备考表" in note
    assert f"共{len(reader.pages) - 3}页" in note and "16件" in note
    assert "2023年8月21日" in note  # R3: the 用户客户档案记录卡
    assert "复印件" in note


def test_outline_nests_papers_under_parts(demo_build: Path) -> None:
    tops = [t for d, t, _ in outline(PdfReader(str(demo_build / "小本资料.pdf"))) if d == 0]
    assert tops == ["案卷封面", "卷内目录", "正文", "附件", "卷内备考表"]


def test_metadata_and_embedded_cjk_font(demo_build: Path) -> None:
    reader = PdfReader(str(demo_build / "大本资料.pdf"))
    assert reader.metadata is not None
    assert reader.metadata.subject == "GY-2023-017"
    assert reader.metadata.title.startswith("客服大本资料")
    embedded = set()
    for page in reader.pages[:3]:
        fonts = page["/Resources"].get_object().get("/Font", {})
        for ref in fonts.values():
            font = ref.get_object()
            descendants = font.get("/DescendantFonts")
            target = descendants[0].get_object() if descendants else font
            desc = target.get("/FontDescriptor")
            if desc and any(k in desc.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                embedded.add(str(font["/BaseFont"]))
    assert any("CJK" in name for name in embedded), embedded


def test_qpdf_check_passes(demo_build: Path) -> None:
    for name in ("大本资料.pdf", "小本资料.pdf"):
        result = subprocess.run(["qpdf", "--check", str(demo_build / name)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


def test_workbook_matches_pdf_catalog(demo_build: Path) -> None:
    wb = load_workbook(demo_build / "卷内目录.xlsx")
    assert wb.sheetnames == ["大本资料", "小本资料"]
    for name in wb.sheetnames:
        ws = wb[name]
        assert [c.value for c in ws[1]] == ["序号", "文号", "责任者", "题名", "日期", "页号", "备注"]
        assert ws.freeze_panes == "A2"
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == int(
            ws.PAPERSIZE_A4
        )
        assert ws.column_dimensions["D"].width >= 30
        reader = PdfReader(str(demo_build / f"{name}.pdf"))
        first_content = next(p for d, t, p in outline(reader) if t == "正文")
        text = "".join(flat(reader.pages[i].extract_text()) for i in range(1, first_content))
        at = 0
        for row in ws.iter_rows(min_row=2, values_only=True):
            assert isinstance(row[4], str) and re.fullmatch(r"\d{8}", row[4])
            for value in (row[3], row[4]):
                found = text.find(flat(value), at)
                assert found >= 0, (name, value)
            at = text.find(flat(row[3]), at)


def test_filled_forms_hold_the_case_values(demo_build: Path) -> None:
    register = docx_text(demo_build / "docx" / "高压客户用电登记表.docx")
    assert "宏达精密机械有限公司" in register and "91110113MA01B2C3D4" in register
    assert "2023年2月27日" in register  # R4
    assert "新装 ☑" in register and "工业 ☑" in register  # the official form: the box after the option
    assert "注：" not in register  # no internal note on a paper the customer signs
    design = docx_text(demo_build / "docx" / "设计委托书.docx")
    assert "2023年3月2日" in design  # R5
    # it cites the application (2023-03-01), nothing dated after itself (the reply is 2023-03-20)
    assert "北京京电电力设计院有限公司" in design and "2023年3月1日" in design and "顺供方案" not in design
    equipment = docx_text(demo_build / "docx" / "启动设备清单.docx")
    assert "螺杆式空气压缩机" in equipment and "中央空调冷水机组" in equipment and "754" in equipment
    assert "{{" not in register + design + equipment and "{%" not in equipment


def test_draft_builds_with_placeholders_and_marks(soffice: Path, tmp_path: Path) -> None:
    case_dir = tmp_path / "case"
    shutil.copytree(DEMO.parent / "scans", case_dir / "scans")

    def drop_settings(data: dict[str, Any]) -> None:  # a paper the 大本 files, and one only to bring
        data["documents"] = [d for d in data["documents"] if d["title"] not in ("采集单", "保护定值单")]

    edit_case(DEMO, drop_settings, to=case_dir / "case.yaml")
    resolved = resolve(load_case(case_dir / "case.yaml"))
    from paperwork import CaseError

    with pytest.raises(CaseError):
        build(resolved, tmp_path / "out")
    assert not (tmp_path / "out" / "大本资料.pdf").exists()
    result = build(resolved, tmp_path / "out", draft=True)
    reader = PdfReader(str(result.binders[0].path))
    texts = [flat(p.extract_text()) for p in reader.pages]
    assert any("待补：采集单" in t for t in texts)
    assert not any("待补：保护定值单" in t for t in texts)  # filed when there, never waited for
    assert all("草稿" in t for t in texts)


def with_attachment(tmp_path: Path, title: str, source: Path) -> Path:
    case_dir = tmp_path / "case"
    shutil.copytree(DEMO.parent / "scans", case_dir / "scans")
    shutil.copy(source, case_dir / "scans" / source.name)
    return edit_case(DEMO, to=case_dir / "case.yaml", documents={title: {"file": f"scans/{source.name}"}})


def test_real_reference_forms_go_through_as_docx_attachments(soffice: Path, tmp_path: Path) -> None:
    forms = REFERENCE_FORMS
    case = with_attachment(tmp_path, "启动设备清单", forms / "客户主要用电设备清单.docx")
    attach = {
        "供电方案答复单": "高压供电方案答复单.docx",  # the first reply sheet
        "高压客户用电登记表": "高压客户用电登记表.docx",  # the clerk's own filled form instead of ours
        "前期资料": "高压现场勘察单.docx",
    }
    for name in attach.values():
        shutil.copy(forms / name, case.parent / "scans")
    edit_case(case, documents={title: {"file": f"scans/{name}"} for title, name in attach.items()})
    result = build(resolve(load_case(case)), tmp_path / "out")
    text = "".join(flat(p.extract_text()) for p in PdfReader(str(result.binders[0].path)).pages)
    for heading in ("客户主要用电设备清单", "高压供电方案答复单", "高压客户用电登记表", "高压现场勘查单"):
        assert heading in text, heading
    assert "启动设备清单.docx" not in [
        p.name for p in result.docx
    ]  # the clerk's own file, not a generated one


@pytest.mark.parametrize(
    ("name", "content", "match"),
    [
        ("broken.pdf", b"%PDF-1.4\nnot really a pdf", "已损坏"),
        ("broken.png", b"\x89PNG\r\n\x1a\n garbage", "已损坏"),
        ("broken.docx", b"PK\x03\x04 not a zip", "已损坏"),
    ],
)
def test_corrupt_attachments_name_file_and_paper(
    tmp_path: Path, name: str, content: bytes, match: str
) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    case = with_attachment(tmp_path, "采集单", bad)
    with pytest.raises(AttachmentError, match=match) as info:
        build(resolve(load_case(case)), tmp_path / "out", converter=lambda files, out: [])
    assert "采集单" in str(info.value) and name in str(info.value)


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt("secret")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as fh:
        writer.write(fh)
    case = with_attachment(tmp_path, "采集单", locked)
    with pytest.raises(AttachmentError, match="已加密"):
        build(resolve(load_case(case)), tmp_path / "out", converter=lambda files, out: [])


def test_failed_build_leaves_previous_binders(soffice: Path, demo_build: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(demo_build, out)
    before = {p.name: p.read_bytes() for p in out.glob("*.pdf")}
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 broken")
    case = with_attachment(tmp_path, "采集单", bad)
    with pytest.raises(AttachmentError):
        build(resolve(load_case(case)), out)
    assert {p.name: p.read_bytes() for p in out.glob("*.pdf")} == before
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in demo_build.iterdir())


def test_image_scans_are_fitted_to_a4(demo_build: Path) -> None:
    reader = PdfReader(str(demo_build / "大本资料.pdf"))
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2


def number_x(page) -> float | None:  # type: ignore[no-untyped-def]
    """Where the stamped page number starts, from the left edge (None: no number found)."""
    found: list[float] = []

    def visit(text, cm, tm, font, size):  # type: ignore[no-untyped-def]
        if text.strip().isdigit() and tm[5] * cm[3] + cm[5] > 780:
            found.append(tm[4] * cm[0] + cm[4])

    page.extract_text(visitor_text=visit)
    return found[0] if found else None


def test_duplex_starts_every_part_on_a_front_and_numbers_backs_on_the_left(
    soffice: Path, tmp_path: Path
) -> None:
    result = build(resolve(load_case(DEMO)), tmp_path / "out", duplex=True)
    for binder in result.binders:
        reader = PdfReader(str(binder.path))
        starts = {p for _, _, p in outline(reader)}
        assert all(p % 2 == 0 for p in starts), sorted(starts)  # page p+1 of the file is odd: a front
        numbered = 0
        for i, page in enumerate(reader.pages):
            x = number_x(page)
            if not page.extract_text().strip():
                assert x is None  # a blank back: no number
                continue
            if x is None:
                continue  # cover, catalog, 备考表
            numbered += 1
            assert (x < 200) if i % 2 == 1 else (x > 400), (i, x)  # backs at the upper left
        assert numbered == binder.content_pages


def test_a_png_with_transparency_is_bound(tmp_path: Path) -> None:
    from PIL import Image

    from paperwork.binder.attachments import image_to_pdf

    source = tmp_path / "screenshot.png"
    Image.new("RGBA", (400, 600), (255, 0, 0, 128)).save(source)
    pdf = image_to_pdf(source, "采集单", tmp_path / "out.pdf")
    page = PdfReader(str(pdf)).pages[0]
    assert round(float(page.mediabox.width)) == 595 and round(float(page.mediabox.height)) == 842


def test_an_old_word_doc_attachment_is_converted(soffice: Path, tmp_path: Path) -> None:
    source = tmp_path / "doc-src" / "前期资料.docx"
    source.parent.mkdir()
    shutil.copy(REFERENCE_FORMS / "高压现场勘察单.docx", source)
    subprocess.run(
        [
            str(soffice),
            f"-env:UserInstallation={(tmp_path / 'p').as_uri()}",
            "--headless",
            "--convert-to",
            "doc",
            "--outdir",
            str(source.parent),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    case = with_attachment(tmp_path, "前期资料", source.with_suffix(".doc"))
    result = build(resolve(load_case(case)), tmp_path / "out")
    text = "".join(flat(p.extract_text()) for p in PdfReader(str(result.binders[0].path)).pages)
    assert "高压现场勘查单" in text
