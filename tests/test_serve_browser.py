"""A clerk in a real Chromium (Debian's, driven by Playwright): new case, papers, a finding, a build.

Chromium comes from the system (`apt install chromium`): Playwright's own browser download is
not used. Under CI=true a missing Chromium or Playwright is a failure, not a skip.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from tests.conftest import CHROMIUM_FLAGS, DEMO, chromium_path, outline
from tests.serving import Running, running, workspace

SCANS = DEMO.parent / "scans"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
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


@pytest.fixture(scope="module")
def site(soffice: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    ws = workspace(tmp_path_factory.mktemp("browser") / "ws")
    with running(ws) as srv:
        yield srv


def _fill_row(page: Any, row: int, **fields: str) -> None:
    """Type into a row's boxes and wait until the page has saved (each change is one save)."""
    saves = int(page.locator("#save-state").get_attribute("data-saves") or 0)
    for name, value in fields.items():
        box = page.locator(f'#papers tr[data-index="{row}"] input[data-field="{name}"]')
        box.fill(value)
        box.dispatch_event("change")
    done = saves + len(fields)
    page.wait_for_function(f"Number(document.getElementById('save-state').dataset.saves || 0) >= {done}")


def test_clerk_creates_a_case_fixes_a_date_and_builds(browser: Any, site: Running, tmp_path: Path) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    shots = tmp_path / "shots"
    shots.mkdir()
    page.goto(site.url + "/")
    assert "宏达精密机械有限公司" in page.locator("#cases").inner_text()
    page.screenshot(path=str(shots / "list.png"), full_page=True)

    page.get_by_role("link", name="＋ 新建案卷").click()
    page.fill("input[name=case_id]", "GY-2031-E2E")
    page.select_option("select[name=kind]", "新装")
    page.fill("input[name=application_date]", "2031-03-03")
    page.fill("input[name=customer]", "浏览器测试机械有限公司")
    page.get_by_role("button", name="新建").click()
    page.wait_for_url(re.compile(r".*/cases/GY-2031-E2E$"))
    assert "浏览器测试机械有限公司" in page.locator("h1").inner_text()

    # a paper with its scan
    page.get_by_role("button", name="＋ 添加资料").click()
    _fill_row(page, 0, title="用电申请书", date="2031-03-01")
    with page.expect_response(lambda r: r.url.endswith("/files") and r.status == 201):
        page.locator('#papers tr[data-index="0"] input[type=file]').set_input_files(
            str(SCANS / "用电申请书.pdf")
        )
    page.wait_for_function(
        "document.querySelector('#papers tr[data-index=\"0\"] input[data-field=file]').value.startsWith('scans/')"
    )
    page.wait_for_function("document.getElementById('save-state').textContent.startsWith('已保存')")

    # a reply dated before the application: the finding appears, and the date box is marked
    page.get_by_role("button", name="＋ 添加资料").click()
    _fill_row(page, 1, title="供电方案答复单", date="2031-02-20", number="测供方案〔2031〕1号")
    finding = page.locator('#findings li[data-code="DATE_BEFORE_APPLICATION"]')
    finding.wait_for()
    assert "documents[1]" in finding.inner_text()
    assert "bad" in (
        page.locator('#papers tr[data-index="1"] input[data-field="date"]').get_attribute("class") or ""
    )
    page.screenshot(path=str(shots / "case-finding.png"), full_page=True)

    # she fixes the date: the finding goes away
    _fill_row(page, 1, date="2031-03-20")
    page.wait_for_function("!document.querySelector('#findings li[data-code=\"DATE_BEFORE_APPLICATION\"]')")

    # the case file on disk has what she typed
    text = (Path(site.log.parent) / "ws" / "GY-2031-E2E" / "case.yaml").read_text(encoding="utf-8")
    assert "2031-03-20" in text and "scans/用电申请书.pdf" in text

    # a draft build, with progress, links and previews
    page.get_by_role("button", name=re.compile("装订草稿")).click()
    page.wait_for_selector(
        "#build-result a[href$='%E5%A4%A7%E6%9C%AC%E8%B5%84%E6%96%99.pdf']", timeout=120_000
    )
    assert "装订完成" in page.locator("#progress .message").inner_text()
    page.wait_for_selector("#build-result .previews img")
    page.screenshot(path=str(shots / "case-built.png"), full_page=True)
    with page.expect_download() as download_info:
        page.locator("#build-result a", has_text="大本资料.pdf").click(modifiers=["Alt"])
    pdf = download_info.value.path()
    reader = PdfReader(io.BytesIO(Path(pdf).read_bytes()))
    titles = [title for _, title, _ in outline(reader)]
    assert "案卷封面" in titles and "用电申请书（20310301）" in titles
    assert "草稿" in reader.pages[0].extract_text()
    pages_said = re.search(r"(\d+) 页", page.locator("#progress .message").inner_text())
    assert pages_said and int(pages_said.group(1)) >= len(reader.pages)
    page.goto(site.url + "/ledger")
    assert "GY-2031-E2E" in page.locator("table").inner_text()
    page.close()


def test_a_stale_page_says_its_edit_was_not_saved(browser: Any, site: Running) -> None:
    first = browser.new_page()
    second = browser.new_page()
    first.goto(site.url + "/cases/GY-2023-017")
    second.goto(site.url + "/cases/GY-2023-017")
    _fill_row(first, 0, date="2023-02-26")
    box = second.locator('#papers tr[data-index="0"] input[data-field="number"]')
    box.fill("一号")
    box.dispatch_event("change")
    second.locator("#banner").wait_for(state="visible")
    assert "没有保存" in second.locator("#banner").inner_text()
    text = (Path(site.log.parent) / "ws" / "demo" / "case.yaml").read_text(encoding="utf-8")
    assert "2023-02-26" in text and "一号" not in text
    first.close()
    second.close()
