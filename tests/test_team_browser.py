"""A clerk of a team in a real Chromium against a real ``paperwork serve``: she logs in with her own
name, edits a field, opens 修改记录 (her name, the field in her words, old → new), restores the
earlier version after the confirmation, and logs out. Chromium and Playwright are required when
CI=true (marked like the LibreOffice tests, so ``make test-fast`` needs neither).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from paperwork.cli import cli
from tests.serving import running, workspace

pytestmark = pytest.mark.soffice  # needs a system program (Chromium): not part of `make test-fast`

PASSWORD = "anna-Geheim-2026"


def test_login_edit_history_restore(browser: Any, tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    runner = CliRunner()
    args = [
        "users",
        "add",
        "anna",
        "--display",
        "张敏",
        "--admin",
        "--password-stdin",
        "--workspace",
        str(ws),
    ]
    assert runner.invoke(cli, args, input=PASSWORD + "\n").exit_code == 0
    case_file = ws / "demo" / "case.yaml"
    original = case_file.read_bytes()
    no_office = {"PAPERWORK_SOFFICE": "/nonexistent/soffice"}
    with running(ws, "--no-cache", "--today", "2026-12-01", env=no_office) as srv:
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        page.goto(srv.url + "/cases/GY-2023-017")
        assert page.locator("form[data-login=user]").is_visible()  # every page asks for the login first
        page.fill("input[name=name]", "anna")
        page.fill("input[name=password]", "wrong-password")
        page.click("form[data-login=user] button[type=submit]")
        assert "用户名或密码不对" in page.locator("[role=alert]").inner_text()
        page.fill("input[name=name]", "anna")
        page.fill("input[name=password]", PASSWORD)
        page.click("form[data-login=user] button[type=submit]")
        page.wait_for_url("**/cases/GY-2023-017")
        assert page.locator("header .who").inner_text() == "张敏"

        box = page.locator('[data-path="customer.phone"]')
        box.fill("010-12345678")
        box.dispatch_event("change")
        page.wait_for_function("Number(document.getElementById('save-state').dataset.saves || 0) > 0")
        assert b"010-12345678" in case_file.read_bytes()

        page.locator("#history-details summary").click()
        entry = page.locator("#history-list li[data-entry]").first
        entry.wait_for()
        text = entry.inner_text()
        assert "张敏" in text and "修改" in text and "010-69441234" in text and "010-12345678" in text
        assert "customer.phone" not in text  # the field in her words, never the YAML key
        page.screenshot(path=str(tmp_path / "history.png"), full_page=True)

        # the version before her change: the file as first seen is not an entry, so edit once more and go
        # back one step — the restore asks first, and is itself on record
        box.fill("010-87654321")
        box.dispatch_event("change")
        page.wait_for_function("Number(document.getElementById('save-state').dataset.saves || 0) > 1")
        page.wait_for_function("document.querySelectorAll('#history-list li[data-entry]').length >= 2")
        asked: list[str] = []

        def accept(dialog: Any) -> None:
            asked.append(dialog.message)
            dialog.accept()

        page.on("dialog", accept)
        with page.expect_navigation():
            page.locator("#history-list [data-restore]").first.click()
        assert asked and "恢复" in asked[0]
        assert b"010-12345678" in case_file.read_bytes() and b"010-87654321" not in case_file.read_bytes()
        assert page.locator('[data-path="customer.phone"]').input_value() == "010-12345678"
        page.locator("#history-details summary").click()
        newest = page.locator("#history-list li[data-entry]").first
        newest.wait_for()
        assert "恢复旧版本" in newest.inner_text() and "张敏" in newest.inner_text()

        page.click("header form.logout button")
        page.wait_for_url("**/login")
        page.goto(srv.url + "/")
        assert page.locator("form[data-login=user]").is_visible()
        page.close()
    assert case_file.read_bytes() != original
