"""Binders an archivist accepts: numbers off the scans, A4 pages, the rules inside a step, the 大本's end,
counts that agree, and a checklist that says 已完成 only when it is."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from openpyxl import load_workbook
from PIL import Image
from pypdf import PdfReader, PdfWriter

from paperwork import build, checklist, load_case, resolve, validate
from paperwork.cli import cli
from tests.conftest import DEMO, blank_pdfs, copy_demo, edit_case

A4 = (595.3, 841.9)


def demo_copy(tmp_path: Path) -> Path:
    return copy_demo(tmp_path / "case")


def codes(case: Path) -> list[tuple[str, str, str]]:
    report = validate(load_case(case))
    return [(f.code, f.severity, f.message) for f in report.findings]


def page_of(reader: PdfReader, title: str) -> int:
    def walk(items: list[Any]) -> int | None:
        for item in items:
            if isinstance(item, list):
                found = walk(item)
                if found is not None:
                    return found
            elif str(item.title).startswith(title):
                return reader.get_destination_page_number(item)
        return None

    found = walk(reader.outline)
    assert found is not None, title
    return found


# -- numbers off the scans; every attached page A4 ------------------------------------------------


def test_an_all_black_scan_keeps_its_number_on_white_paper(soffice: Path, tmp_path: Path) -> None:
    case = demo_copy(tmp_path)
    Image.new("L", (1240, 1754), 0).save(case.parent / "scans" / "black.png")  # black to its edges
    edit_case(case, documents={"采集单": {"file": "scans/black.png"}})
    result = build(resolve(load_case(case)), tmp_path / "out")  # the real numbers, set by LibreOffice
    reader = PdfReader(str(result.binders[0].path))
    at = page_of(reader, "采集单")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "72",
            "-f",
            str(at + 1),
            "-l",
            str(at + 1),
            str(result.binders[0].path),
            str(tmp_path / "p"),
        ],
        check=True,
    )
    picture = Image.open(next(tmp_path.glob("p-*.png"))).convert("L")
    width, height = picture.size
    band = picture.crop((int(width * 0.6), 0, width, int(height * 0.045)))  # the number's corner, top 13 mm
    dark = band.histogram()[:100]
    dark = sum(dark)
    assert 0 < dark < band.width * band.height * 0.2  # the number is there, on white, not on black
    scan = picture.crop((int(width * 0.2), int(height * 0.3), int(width * 0.8), int(height * 0.7)))
    levels = scan.histogram()
    assert (
        sum(i * n for i, n in enumerate(levels)) / (scan.width * scan.height) < 30
    )  # the scan is still black


def test_a3_and_landscape_pages_come_out_a4_and_the_reduction_is_noted(tmp_path: Path) -> None:
    case = demo_copy(tmp_path)
    writer = PdfWriter()
    writer.add_blank_page(841.9, 1190.6)  # A3
    with (case.parent / "scans" / "a3.pdf").open("wb") as fh:
        writer.write(fh)
    Image.new("RGB", (1754, 1240), (240, 240, 240)).save(case.parent / "scans" / "wide.jpg")  # landscape
    edit_case(case, documents={"采集单": {"file": "scans/a3.pdf"}, "设备编号单": {"file": "scans/wide.jpg"}})
    result = build(resolve(load_case(case)), tmp_path / "out", converter=blank_pdfs)
    for binder in result.binders:
        for page in PdfReader(str(binder.path)).pages:
            size = (float(page.mediabox.width), float(page.mediabox.height))
            assert abs(size[0] - A4[0]) < 2 and abs(size[1] - A4[1]) < 2, size
    note = tmp_path / "out" / "docx" / "大本资料-卷内备考表.docx"
    from tests.conftest import docx_text

    text = docx_text(note)
    assert "采集单第 1 页原为 A3，已按比例缩小为 A4" in text and "设备编号单" not in text


def test_a_tiny_image_is_never_enlarged(tmp_path: Path) -> None:
    from paperwork.binder.attachments import image_to_pdf

    Image.new("RGB", (200, 100), (200, 0, 0)).save(tmp_path / "stamp.png", dpi=(150, 150))
    pdf = image_to_pdf(tmp_path / "stamp.png", "采集单", tmp_path / "stamp.pdf")
    page = PdfReader(str(pdf)).pages[0]
    images = page.images
    assert images and images[0].image.size == (200, 100)
    # placed at its own size (200 px at 150 dpi = 96 pt wide), not stretched to the page
    assert b"96" in page.get_contents().get_data() or float(page.mediabox.width) > 500


# -- the rules inside a step ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "later", "earlier"),
    [
        (
            {"受电工程图纸审核结果通知单": {"date": "2023-04-19"}},
            "受电工程图纸审核结果通知单（第1轮）",
            "受电工程图纸审核登记表（第1轮）",
        ),
        ({"审图通知单": {"date": "2023-05-16"}}, "审图通知单", "受电工程图纸审核结果通知单（第2轮）"),
        ({"前期资料": {"date": "2023-05-18"}}, "前期资料", "审图通知单"),
        ({"保护定值单": {"date": "2023-05-18"}}, "保护定值单", "审图通知单"),
        (
            {"受电工程中间检查结果通知单": {"date": "2023-07-09"}},
            "受电工程中间检查结果通知单",
            "受电工程中间检查登记表",
        ),
    ],
    ids=["round-result", "review-notice", "early-docs", "settings", "midcheck"],
)
def test_order_inside_a_step_is_an_error_naming_both_papers(
    tmp_path: Path, changes: dict[str, dict[str, str]], later: str, earlier: str
) -> None:
    def only_first_round(data: dict[str, Any]) -> None:
        for doc in data["documents"]:
            key = doc["title"]
            if key in changes and doc.get("round", 1) == 1:
                doc.update(changes[key])

    case = edit_case(DEMO, only_first_round, to=tmp_path / "case.yaml")
    found = [(c, s, m) for c, s, m in codes(case) if c == "ORDER_VIOLATED"]
    assert found, codes(case)
    assert any(later in m and earlier in m and s == "error" for _, s, m in found), found


def test_review_rounds_come_from_date_order(tmp_path: Path) -> None:
    def drop_rounds(data: dict[str, Any]) -> None:
        for doc in data["documents"]:
            doc.pop("round", None)

    case = edit_case(DEMO, drop_rounds, to=tmp_path / "case.yaml")
    papers = [p for p in resolve(load_case(case)).papers if p.title == "受电工程图纸审核结果通知单"]
    assert sorted((p.date.isoformat(), p.round) for p in papers if p.date) == [
        ("2023-04-28", 1),
        ("2023-05-17", 2),
    ]
    result = CliRunner().invoke(cli, ["status", str(case), "--format", "json", "--today", "2023-09-01"])
    steps = [s["step"] for s in json.loads(result.output)["steps"]]
    assert "设计文件审核（第2轮）" in steps


def test_papers_filed_nowhere_do_not_block(tmp_path: Path) -> None:
    def drop_invoice(data: dict[str, Any]) -> None:
        data["documents"] = [d for d in data["documents"] if d["title"] != "带电接火发票"]

    case = edit_case(demo_copy(tmp_path), drop_invoice)
    found = [(c, s) for c, s, _ in codes(case) if c == "PAPER_MISSING"]
    assert found == [("PAPER_MISSING", "warning")]
    build(resolve(load_case(case)), tmp_path / "out", converter=blank_pdfs)  # builds


def test_the_big_binder_ends_at_its_hand_in() -> None:
    resolved = resolve(load_case(DEMO))
    from paperwork import catalogs

    big, small = catalogs(resolved)
    titles = {r.form.title for r in big.rows}
    assert not titles & {"供用电合同", "预付费协议书", "受电工程竣工检查申请", "委托带电施工申请"}
    contract = next(p.date for p in resolved.papers if p.title == "供用电合同")
    assert big.end is not None and contract is not None and big.end < contract  # R1: before the hand-in
    assert "受电工程竣工检查申请" in {r.form.title for r in small.rows}


# -- catalog, cover, 备考表, draft -------------------------------------------------------------------


def test_catalog_rounds_interleave_and_attachments_are_marked(tmp_path: Path) -> None:
    result = build(resolve(load_case(DEMO)), tmp_path / "out", converter=blank_pdfs)
    big = load_workbook(result.catalog_xlsx)["大本资料"]
    titles = [r[3] for r in big.iter_rows(min_row=2, values_only=True)]
    review = [t for t in titles if "图纸审核" in t]
    assert review == [
        "受电工程图纸审核登记表（第1轮）",
        "受电工程图纸审核结果通知单（第1轮）",
        "受电工程图纸审核登记表（第2轮）",
        "受电工程图纸审核结果通知单（第2轮）",
    ]
    small = list(load_workbook(result.catalog_xlsx)["小本资料"].iter_rows(min_row=2, values_only=True))
    attached = [r for r in small if "附件" in str(r[6] or "")]
    assert next(r[3] for r in attached) == "用户电工证" and len(attached) == 5


def test_the_draft_counts_agree_and_marks_each_page_once(tmp_path: Path) -> None:
    def drop(data: dict[str, Any]) -> None:
        data["documents"] = [
            d
            for d in data["documents"]
            if d["title"] not in {"法人身份证复印件", "受电工程图纸审核结果通知单"} or d.get("round") == 1
        ]

    case = edit_case(demo_copy(tmp_path), drop)
    result = build(resolve(load_case(case)), tmp_path / "out", converter=blank_pdfs, draft=True)
    from tests.conftest import docx_text

    cover = docx_text(tmp_path / "out" / "docx" / "大本资料-案卷封面.docx")
    rows = list(load_workbook(result.catalog_xlsx)["大本资料"].iter_rows(min_row=2, values_only=True))
    assert f"{len(rows)} 件" in cover
    assert any(
        r[3] == "受电工程图纸审核结果通知单（第2轮）" and r[6] == "待补" for r in rows
    )  # its own 待补 page
    note = docx_text(tmp_path / "out" / "docx" / "大本资料-卷内备考表.docx")
    copies = note.split("其中复印件")[1].split("。")[0] if "其中复印件" in note else ""
    assert "法人身份证复印件" not in copies  # a missing copy is not counted as present
    assert "草稿" not in cover  # the 草稿 mark is laid over each page once, not printed on the cover too


def test_a_step_is_done_only_with_all_its_papers(tmp_path: Path) -> None:
    def no_certificates(data: dict[str, Any]) -> None:
        data["documents"] = [d for d in data["documents"] if not d["title"].endswith("合格证")]

    case = edit_case(DEMO, no_certificates, to=tmp_path / "case.yaml")
    steps = {s.name: s for s in checklist(resolve(load_case(case)))}
    assert not steps["收集合格证"].done
    full = {s.name: s for s in checklist(resolve(load_case(DEMO)))}
    optional = [i for s in full.values() for i in (*s.bring, *s.returns) if i.name == "前期资料证明"]
    assert all(i.status != "missing" for i in optional)


def test_validate_names_the_register_by_its_official_title() -> None:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    assert any(d["title"] == "高压客户用电登记表" for d in data["documents"])
    resolved = resolve(load_case(DEMO))
    assert resolved.bureau.form("高压客户用电申请登记表") is resolved.bureau.form("高压客户用电登记表")
