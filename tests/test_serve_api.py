"""End to end: a real `paperwork serve` (uvicorn on 127.0.0.1, a warm LibreOffice, a workspace of copies).

Every JSON route's contract is tested in process (``test_api.py``, no LibreOffice); these few
check what only a real server shows: a real build through the warm LibreOffice, previews drawn
by poppler, the token and login, the start-up checks.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.conftest import outline
from tests.serving import Running, running, workspace


@pytest.fixture(scope="module")
def server(soffice: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    ws = workspace(tmp_path_factory.mktemp("api") / "ws")
    with running(ws, "--max-upload", "1") as srv:
        yield srv


@pytest.fixture()
def api(server: Running) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def _cli_json(*args: str) -> object:
    done = subprocess.run(
        [sys.executable, "-m", "paperwork", *args, "--format", "json"], capture_output=True, text=True
    )
    return json.loads(done.stdout)


def test_findings_dates_status_are_the_clis_json(api: httpx.Client, server: Running) -> None:
    case_file = Path(server.log.parent / "ws" / "in-progress" / "case.yaml")
    assert api.get("/api/cases/GY-2026-088/findings").json() == _cli_json("validate", str(case_file))
    assert api.get("/api/cases/GY-2026-088/dates").json() == _cli_json("dates", str(case_file))
    assert api.get("/api/cases/GY-2026-088/status").json() == _cli_json("status", str(case_file))


def test_build_download_and_ledger(api: httpx.Client) -> None:
    refused = api.post("/api/cases/GY-2026-088/build")
    assert refused.status_code == 422 and refused.json()["ok"] is False
    assert any(f["code"] == "PAPER_MISSING" for f in refused.json()["findings"])
    built = api.post("/api/cases/GY-2023-017/build", params={"draft": "true"})
    assert built.status_code == 200, built.text
    answer = built.json()
    assert answer["ok"] is True and set(answer["files"]) == {"大本资料.pdf", "小本资料.pdf", "卷内目录.xlsx"}
    big = PdfReader(io.BytesIO(api.get("/api/cases/GY-2023-017/files/大本资料.pdf").content))
    small = PdfReader(io.BytesIO(api.get("/api/cases/GY-2023-017/files/小本资料.pdf").content))
    assert len(big.pages) + len(small.pages) == answer["pages"]
    assert "用电申请书（20230227）" in [title for _, title, _ in outline(big)]
    assert "草稿" in big.pages[0].extract_text()
    book = load_workbook(io.BytesIO(api.get("/api/cases/GY-2023-017/files/卷内目录.xlsx").content))
    assert book.sheetnames
    preview = api.get("/api/cases/GY-2023-017/previews/大本资料.pdf/1.png")
    assert preview.status_code == 200 and preview.content.startswith(b"\x89PNG")
    ledger = load_workbook(io.BytesIO(api.get("/api/ledger.xlsx").content))
    ids = [row[0] for row in ledger["台账"].iter_rows(min_row=2, values_only=True)]
    assert "GY-2023-017" in ids and "GY-2026-088" in ids


def test_token_guards_every_request(soffice: Path, tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    with running(ws, "--token", "s3cret") as srv, srv.client() as client:
        assert client.get("/api/cases").status_code == 401
        page = client.get("/", headers={"Accept": "text/html"})
        assert page.status_code == 401 and "口令" in page.text
        assert client.get("/api/cases", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/api/cases", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        assert client.post("/login", data={"token": "wrong"}).status_code == 401
        login = client.post("/login", data={"token": "s3cret", "next": "/"})
        assert login.status_code == 303 and "s3cret" not in login.headers["set-cookie"]
        assert "samesite=strict" in login.headers["set-cookie"].lower()
        assert client.get("/").status_code == 200  # the cookie now


def test_other_hosts_need_a_token(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PAPERWORK_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "paperwork", "serve", str(tmp_path), "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2 and "口令" in done.stderr and "Traceback" not in done.stderr


def test_without_libreoffice_the_pages_work_and_a_build_says_why(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    no_office = {"PAPERWORK_SOFFICE": str(tmp_path / "no-soffice")}
    with running(ws, "--no-cache", env=no_office) as srv, srv.client() as client:  # nothing cached to use
        assert "注意" in srv.log.read_text(encoding="utf-8")
        assert client.get("/api/cases").status_code == 200
        built = client.post("/api/cases/GY-2023-017/build")
        assert built.status_code == 500 and built.json()["ok"] is False
        assert "PAPERWORK_SOFFICE" in built.json()["message"] and "Traceback" not in built.text
