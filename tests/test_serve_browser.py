"""A clerk's day in a real Chromium (Debian's, driven by Playwright) against a real ``paperwork serve``.

New case, every section filled, papers by hand (a reply with its 申请日期), an upload and an OCR
proposal by keyboard alone, 待办 vs 错误, the 登记表 downloaded and read with python-docx, a final
build, a scan opened; the same page at 1024×768 and 1366×768 with no input cutting its text.
Chromium comes from the system (`apt install chromium`). Under CI=true a missing Chromium or
Playwright is a failure, not a skip.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from docx import Document as DocxDocument
from pypdf import PdfReader

from tests.conftest import DEMO, outline
from tests.serving import Running, running, workspace

SCANS = DEMO.parent / "scans"
CASE = "GY-2026-E2E"

#: What the clerk types in each section (data-path → value); selects get their option's value.
TYPED = {
    "customer.account_no": "3100009999",
    "customer.id_type": "营业执照",
    "customer.id_number": "91110113MA0E2E0001",
    "customer.industry": "食品制造业",
    "customer.important": "false",
    "customer.address": "北京市顺义区测试路 8 号",
    "customer.mail_address": "北京市顺义区测试路 8 号",
    "customer.postcode": "101300",
    "customer.legal_rep": "钱七",
    "customer.legal_rep_id": "110113198001011234",
    "customer.mobile": "13900009999",
    "customer.agent.name": "孙八",
    "customer.agent.id_number": "110113199002021234",
    "customer.agent.mobile": "13800008888",
    "contractor.name": "华电安装工程有限公司",
    "contractor.contact": "张敏",
    "contractor.phone": "13700001234",
    "contractor.license_no": "1-1-00123-2020",
    "capacity.requested_kva": "630",
    "power_sources": "1",
    "application.usage_category": "工业",
    "application.self_power": "无",
    "application.nonlinear_load": "false",
    "application.demand_kw": "120",
    "application.designer": "北京京电电力设计院有限公司",
    "application.live_work": "10kV 测试线 3 号杆 T 接带电搭火",
    "archive.fonds": "国网北京市电力公司顺义供电公司",
    "archive.big.archive_no": "2026-YK-E2E",
    "archive.big.file_no": "SY-YK-2026-E2E-1",
    "archive.small.archive_no": "2026-YK-E2E",
    "archive.small.file_no": "SY-YK-2026-E2E-2",
}


@pytest.fixture(scope="module")
def site(soffice: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    ws = workspace(tmp_path_factory.mktemp("browser") / "ws")
    with running(ws, "--today", "2026-12-01") as srv:
        yield srv


def _saves(page: Any) -> int:
    return int(page.locator("#save-state").get_attribute("data-saves") or 0)


def _type(page: Any, values: dict[str, str]) -> None:
    """Type into the boxes named by their data-path and wait until each change has been saved."""
    for path, value in values.items():
        before = _saves(page)
        box = page.locator(f'[data-path="{path}"]')
        if box.evaluate("e => e.tagName") == "SELECT":
            box.select_option(value)
        else:
            box.fill(value)
            box.dispatch_event("change")
        page.wait_for_function(f"Number(document.getElementById('save-state').dataset.saves || 0) > {before}")


def _cut_inputs(page: Any) -> list[object]:
    """Inputs whose text does not fit their box (measured from the element boxes)."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('input[data-path], select[data-path]')]
              .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
              .map(e => [e.dataset.path, e.scrollWidth, e.clientWidth])"""
        )
    )


def _docx_text(data: bytes) -> tuple[str, list[list[str]]]:
    doc = DocxDocument(io.BytesIO(data))
    rows = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
    return "\n".join([p.text for p in doc.paragraphs] + [c for r in rows for c in r]), rows


def _beside(rows: list[list[str]], label: str) -> str:
    """The text of the cell after the one labelled ``label`` in the form's tables."""
    for cells in rows:
        for i, cell in enumerate(cells[:-1]):
            if cell.strip() == label:
                return cells[i + 1]
    raise AssertionError(f"no cell {label}")


def test_a_clerks_day(browser: Any, site: Running, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    # file choosers are caught from the start: Playwright turns the catching on asynchronously, and a
    # chooser opened by a key right after `expect_file_chooser` begins could otherwise slip past it
    page.on("filechooser", lambda _chooser: None)
    shots = tmp_path / "shots"
    shots.mkdir()
    page.goto(site.url + "/")
    page.get_by_role("link", name="＋ 新建案卷").click()
    page.fill("input[name=case_id]", CASE)
    page.select_option("select[name=kind]", "新装")
    page.fill("input[name=application_date]", "2026-11-20")
    page.fill("input[name=customer]", "浏览器测试食品有限公司")
    page.get_by_role("button", name="新建").click()
    page.wait_for_url(re.compile(rf".*/cases/{CASE}$"))

    # a new case: no error, its papers to do by step
    assert "没有错误" in page.locator("#error-count").inner_text()
    assert "项待办" in page.locator(".todo-count").inner_text()
    assert page.locator("#todos li.finding.todo").count() > 10

    # every section
    _type(page, TYPED)
    page.get_by_role("button", name="＋ 添加一行").click()
    _type(
        page,
        {"equipment.0.name": "螺杆式空气压缩机", "equipment.0.power_kw": "132", "equipment.0.quantity": "1"},
    )
    assert page.locator("#equipment-rule").get_attribute("data-paper") == "启动设备清单"
    assert "132 kW" in page.locator("#equipment-rule").inner_text()

    # papers by hand; a date typed the Chinese way comes back as YYYY-MM-DD
    page.get_by_role("button", name="＋ 添加资料").click()
    _type(page, {"documents.0.title": "用电申请书"})
    _type(page, {"documents.0.date": "2026年11月18号"})
    page.wait_for_function(
        "document.querySelector('[data-path=\"documents.0.date\"]').value === '2026-11-18'"
    )
    page.get_by_role("button", name="＋ 添加资料").click()
    _type(page, {"documents.1.title": "供电方案答复单"})
    assert page.locator('[data-path="documents.0.round"]').count() == 0  # 轮次 only on review papers
    _type(page, {"documents.1.application_date": "2026-11-20", "documents.1.date": "2026-11-27"})
    _type(page, {"documents.1.number": "顺供方案〔2026〕E2E号"})

    # an upload by keyboard alone
    page.locator('[data-path="documents.0.file"]').focus()
    page.keyboard.press("Tab")  # the next stop after the file box is its upload control
    assert page.evaluate("document.activeElement.dataset.action") == "upload"
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(SCANS / "用电申请书.pdf"))
    page.wait_for_function(
        "(document.querySelector('[data-path=\"documents.0.file\"]') || {}).value?.startsWith('scans/')"
    )
    page.wait_for_function("document.getElementById('save-state').textContent.startsWith('已保存')")

    # an OCR proposal, by keyboard, confirmed; its scan shows beside it
    page.locator('[data-action="ocr"]').focus()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(SCANS / "审图通知单.pdf"))
    page.locator("#papers .row.proposed").wait_for(timeout=120_000)
    assert page.locator('[data-path="documents.2.title"]').input_value() == "审图通知单"
    page.locator("#scan-viewer iframe").wait_for()
    before = _saves(page)
    page.locator("#papers .row.proposed button.confirm").click()
    page.wait_for_function(f"Number(document.getElementById('save-state').dataset.saves || 0) > {before}")

    # wrong vs not yet: a paper of 图纸送审 dated 2023 — now the 报装 papers behind it are missing (errors),
    # the later ones still to do; the date's finding stands next to its box, in her words
    page.wait_for_selector("#findings li.finding.error")
    assert "个错误" in page.locator("#error-count").inner_text()
    assert page.locator("#todos li.finding.todo").count() > 0
    note = page.locator('[data-field-for="documents.2.date"] .field-note')
    note.first.wait_for()
    assert "documents[" not in page.locator("#findings").inner_text()
    assert "资料第 3 行" in page.locator("#findings").inner_text()
    page.screenshot(path=str(shots / "case-1366.png"), full_page=True)

    # the same scan again is said to be in the case already, and is not added twice
    rows = page.locator("#papers .row").count()
    page.locator('[data-action="ocr"]').focus()
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(SCANS / "审图通知单.pdf"))
    page.wait_for_function(
        "document.getElementById('scan-state').dataset.duplicateOf === '2'", timeout=120_000
    )
    assert page.locator("#papers .row").count() == rows

    # the 登记表 as DOCX: what she typed, and no box she did not choose ticked
    got = page.request.get(f"{site.url}/api/cases/{CASE}/forms/application_register.docx")
    assert (got.ok and CASE in got.headers["content-disposition"]) or "filename*" in got.headers[
        "content-disposition"
    ]
    text, cells = _docx_text(got.body())
    for typed in ("孙八", "钱七", "北京市顺义区测试路 8 号", "3100009999", "630", "浏览器测试食品有限公司"):
        assert typed in text, typed
    assert "☑" not in _beside(cells, "需要增值税发票")  # never answered: both boxes empty
    assert "否 ☑" in _beside(cells, "重要客户") and "工业 ☑" in _beside(cells, "用电类别")

    # a final build of a case in progress is refused: its binders would lack papers
    page.get_by_role("button", name="装订案卷").click()
    page.wait_for_selector("#build-result p.bad", timeout=120_000)
    assert "PAPER_MISSING" not in page.locator("#build-result").inner_text()
    assert "缺少" in page.locator("#build-result").inner_text()

    # at 1024×768 and 1366×768 no box cuts its text
    for width in (1024, 1366):
        page.set_viewport_size({"width": width, "height": 768})
        page.reload()
        page.locator("#papers .row").first.wait_for()
        assert _cut_inputs(page) == [], width
        page.screenshot(path=str(shots / f"case-{width}.png"))
    page.close()


def test_final_build_with_a_blank_box_and_a_scan_opened(browser: Any, site: Running) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 768}, accept_downloads=True)
    page.goto(site.url + "/cases/GY-2023-017")
    _type(page, {"customer.legal_rep": ""})
    note = page.locator('[data-field-for="customer.legal_rep"] .field-note')
    note.first.wait_for()
    assert "高压客户用电登记表" in note.first.inner_text()
    page.get_by_role("button", name="装订案卷").click()
    page.wait_for_selector(
        "#build-result a[href$='%E5%A4%A7%E6%9C%AC%E8%B5%84%E6%96%99.pdf']", timeout=180_000
    )
    assert "装订完成" in page.locator("#progress .message").inner_text()
    assert "空栏" in page.locator("#build-result").inner_text()
    with page.expect_download() as download_info:
        page.locator("#build-result a", has_text="大本资料.pdf").click(modifiers=["Alt"])
    assert download_info.value.suggested_filename == "GY-2023-017-大本资料.pdf"
    reader = PdfReader(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    assert "草稿" not in reader.pages[0].extract_text()
    assert "用电申请书（20230227）" in [title for _, title, _ in outline(reader)]
    # a paper's scan opens in the browser
    with page.context.expect_page() as opened:
        page.locator('#papers .row[data-index="0"] a.open-file').click()
    scan = opened.value
    scan.wait_for_load_state()
    assert scan.url.endswith("/api/cases/GY-2023-017/documents/0/file")
    for row in ("0", "1"):  # a PDF's first page, an image itself
        thumb = page.locator(f'#papers .row[data-index="{row}"] img.thumb')
        thumb.scroll_into_view_if_needed()
        page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=thumb.element_handle())
    page.close()


def test_a_stale_page_says_its_edit_was_not_saved(browser: Any, site: Running) -> None:
    first = browser.new_page()
    second = browser.new_page()
    first.goto(site.url + "/cases/GY-2023-017")
    second.goto(site.url + "/cases/GY-2023-017")
    _type(first, {"documents.0.date": "2023-02-26"})
    box = second.locator('[data-path="documents.0.number"]')
    box.fill("一号")
    box.dispatch_event("change")
    second.locator("#banner").wait_for(state="visible")
    assert "没有保存" in second.locator("#banner").inner_text()
    text = (Path(site.log.parent) / "ws" / "demo" / "case.yaml").read_text(encoding="utf-8")
    assert "2023-02-26" in text and "一号" not in text
    first.close()
    second.close()
