"""Take the README's screenshots: a server on a copy of the fixtures, driven by Debian's chromium.

Usage: python docs/make_screenshots.py   (writes docs/screenshots/*.png)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

import httpx
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scanmaker import make_notices  # noqa: E402
from tests.serving import running  # noqa: E402
from tests.test_serve_browser import CHROMIUM_FLAGS  # noqa: E402

OUT = ROOT / "docs" / "screenshots"


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        for name in ("demo", "in-progress", "expansion"):
            shutil.copytree(ROOT / "fixtures" / name, ws / name)
        with running(ws) as srv, sync_playwright() as p:
            httpx.post(srv.url + "/api/cases/GY-2023-017/build", timeout=300).raise_for_status()
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "chromium", args=CHROMIUM_FLAGS
            )
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.goto(srv.url + "/")
            page.screenshot(path=str(OUT / "list.png"))
            page.goto(srv.url + "/cases/GY-2026-088")  # a case in progress: its sections, 待办 and due dates
            page.screenshot(path=str(OUT / "case.png"))
            page.goto(srv.url + "/cases/GY-2023-017")
            page.locator("#build").scroll_into_view_if_needed()
            page.wait_for_function(
                "[...document.querySelectorAll('.previews img')].every(i => i.complete && i.naturalWidth)"
            )
            page.locator("#build").screenshot(path=str(OUT / "built.png"))
            make_notices(
                Path(tmp) / "notices"
            )  # a scan read on the case page: the proposed row, the scan beside
            page.locator("#scan-file").set_input_files(str(Path(tmp) / "notices" / "midcheck-result.pdf"))
            proposed = page.locator("#papers .row.proposed")
            proposed.wait_for(timeout=300_000)
            page.locator("#scan-viewer iframe").wait_for()
            page.wait_for_timeout(1500)  # the browser's PDF viewer draws the page
            proposed.scroll_into_view_if_needed()
            page.screenshot(path=str(OUT / "proposal.png"))
            browser.close()


if __name__ == "__main__":
    main()
