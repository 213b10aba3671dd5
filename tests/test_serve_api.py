"""The HTTP API against a real `paperwork serve` (uvicorn on 127.0.0.1, a workspace of copies)."""

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

from tests.conftest import DEMO, outline
from tests.serving import Running, running, workspace

REQUIRED_ROW = {"case_id", "customer", "kind", "ok", "errors", "warnings", "overdue"}


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


def test_case_list_rows(api: httpx.Client) -> None:
    rows = {r["case_id"]: r for r in api.get("/api/cases").json()}
    assert set(rows["GY-2023-017"]) >= REQUIRED_ROW
    demo = rows["GY-2023-017"]
    assert (demo["customer"], demo["kind"], demo["ok"], demo["errors"]) == (
        "宏达精密机械有限公司",
        "新装",
        True,
        0,
    )
    late = rows["GY-2026-088"]
    assert late["ok"] is False and late["errors"] > 0 and late["overdue"] == len(late["overdue_steps"]) >= 1


def test_findings_dates_status_are_the_clis_json(api: httpx.Client, server: Running) -> None:
    case_file = Path(server.log.parent / "ws" / "in-progress" / "case.yaml")
    assert api.get("/api/cases/GY-2026-088/findings").json() == _cli_json("validate", str(case_file))
    assert api.get("/api/cases/GY-2026-088/dates").json() == _cli_json("dates", str(case_file))
    assert api.get("/api/cases/GY-2026-088/status").json() == _cli_json("status", str(case_file))


def test_create_case_then_read_it(api: httpx.Client) -> None:
    body = {
        "case_id": "GY-2031-001",
        "kind": "增容",
        "application_date": "2031年3月2日",
        "customer": {"name": "测试客户"},
    }
    made = api.post("/api/cases", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["case_id"] == "GY-2031-001" and made.json()["kind"] == "增容"
    got = api.get("/api/cases/GY-2031-001")
    assert got.status_code == 200 and got.headers["etag"]
    assert got.json()["application_date"] == "2031-03-02" and got.json()["customer"] == {"name": "测试客户"}
    again = api.post("/api/cases", json=body)
    assert again.status_code == 409 and again.json()["findings"][0]["code"] == "CASE_EXISTS"
    assert "GY-2031-001" in {r["case_id"] for r in api.get("/api/cases").json()}


def test_new_case_refused_with_chinese_findings(api: httpx.Client) -> None:
    bad = api.post(
        "/api/cases",
        json={"case_id": "X-1", "kind": "改造", "application_date": "2023-02-30", "customer": {}},
    )
    assert bad.status_code == 422
    found = {f["path"]: f for f in bad.json()["findings"]}
    assert set(found) == {"kind", "application_date", "customer.name"}
    assert all(f["code"] == "REQUEST_INVALID" for f in found.values())
    assert "新装" in found["kind"]["message"] and "客户名称" in found["customer.name"]["message"]


def test_put_keeps_comments_and_refuses_a_stale_write(api: httpx.Client, server: Running) -> None:
    path = server.log.parent / "ws" / "demo" / "case.yaml"
    first = api.get("/api/cases/GY-2023-017")
    tag, data = first.headers["etag"], first.json()
    # two clerks read the same case; the first saves a new phone number
    mine = json.loads(json.dumps(data))
    mine["customer"]["phone"] = "010-11112222"
    saved = api.put("/api/cases/GY-2023-017", json=mine, headers={"If-Match": tag})
    assert saved.status_code == 200, saved.text
    assert saved.json()["ok"] is True and saved.headers["etag"] != tag
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# 演示案卷") and "phone: 010-11112222" in text
    assert 'number: "No 04417783"' in text  # untouched values keep their quoting
    # the second clerk saves with what she read before: refused, nothing lost
    theirs = json.loads(json.dumps(data))
    theirs["customer"]["mobile"] = "13900000000"
    stale = api.put("/api/cases/GY-2023-017", json=theirs, headers={"If-Match": tag})
    assert stale.status_code == 409
    assert stale.json()["findings"][0]["code"] == "CASE_STALE"
    assert path.read_text(encoding="utf-8") == text
    # she reads again, makes her change on top, and both are kept
    fresh = api.get("/api/cases/GY-2023-017")
    merged = fresh.json()
    merged["customer"]["mobile"] = "13900000000"
    ok = api.put("/api/cases/GY-2023-017", json=merged, headers={"If-Match": fresh.headers["etag"]})
    assert ok.status_code == 200
    final = api.get("/api/cases/GY-2023-017").json()["customer"]
    assert (final["phone"], final["mobile"]) == ("010-11112222", "13900000000")


def test_put_reports_findings_of_the_new_content(api: httpx.Client) -> None:
    got = api.get("/api/cases/GY-2023-017")
    data = got.json()
    data["documents"][0]["date"] = "2023-02-30"
    answer = api.put("/api/cases/GY-2023-017", json=data, headers={"If-Match": got.headers["etag"]})
    assert answer.status_code == 200
    assert answer.json()["ok"] is False
    assert any(
        f["code"] == "DATE_INVALID" and f["path"] == "documents[0].date" for f in answer.json()["findings"]
    )
    data["documents"][0]["date"] = "2023-02-27"
    fixed = api.put("/api/cases/GY-2023-017", json=data, headers={"If-Match": answer.headers["etag"]})
    assert fixed.json()["ok"] is True


def test_upload_by_content(api: httpx.Client, server: Running) -> None:
    pdf = (DEMO.parent / "scans" / "用电申请书.pdf").read_bytes()
    up = api.post("/api/cases/GY-2026-088/files", files={"file": ("申请 书.pdf", pdf, "application/pdf")})
    assert up.status_code == 201, up.text
    stored = server.log.parent / "ws" / "in-progress" / up.json()["file"]
    assert up.json()["file"] == "scans/申请 书.pdf" and stored.read_bytes() == pdf
    # the same file again: the same name; another file of that name: a new name, nothing overwritten
    assert (
        api.post("/api/cases/GY-2026-088/files", files={"file": ("申请 书.pdf", pdf)}).json()["file"]
        == up.json()["file"]
    )
    jpg = (DEMO.parent / "scans" / "营业执照复印件.jpg").read_bytes()
    other = api.post("/api/cases/GY-2026-088/files", files={"file": ("申请 书.pdf", jpg)})
    assert other.json()["file"] == "scans/申请 书.jpg"  # named by what it is
    assert stored.read_bytes() == pdf
    text = api.post("/api/cases/GY-2026-088/files", files={"file": ("scan.pdf", b"not a pdf at all")})
    assert text.status_code == 415 and text.json()["findings"][0]["code"] == "UPLOAD_REFUSED"
    big = api.post(
        "/api/cases/GY-2026-088/files", files={"file": ("big.pdf", b"%PDF-1.4\n" + b"0" * (2 << 20))}
    )
    assert big.status_code == 413 and "超过 1 MB" in big.json()["findings"][0]["message"]
    assert not any(p.name.startswith(".upload") for p in stored.parent.iterdir())


def test_names_cannot_leave_the_workspace(api: httpx.Client, server: Running, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "case.yaml").write_text(
        (DEMO).read_text(encoding="utf-8").replace("GY-2023-017", "OUT-1"), encoding="utf-8"
    )
    link = server.log.parent / "ws" / "escape"
    link.symlink_to(outside, target_is_directory=True)
    try:
        assert "OUT-1" not in {r["case_id"] for r in api.get("/api/cases").json()}
        assert api.get("/api/cases/escape").status_code == 400
        for bad in ("..", "..%2F..%2Fetc", ".hidden", "a%5Cb"):
            assert api.get(f"/api/cases/{bad}/findings").status_code in (400, 404), bad
        assert api.get("/api/cases/GY-2023-017/files/..%2Fcase.yaml").status_code in (400, 404)
        assert api.get("/api/cases/GY-2023-017/files/case.yaml").status_code == 404
        refused = api.post(
            "/api/cases",
            json={
                "case_id": "../x",
                "kind": "新装",
                "application_date": "2023-01-01",
                "customer": {"name": "a"},
            },
        )
        assert refused.status_code == 400 and refused.json()["findings"][0]["code"] == "REQUEST_INVALID"
    finally:
        link.unlink()


def test_cross_site_writes_are_refused(api: httpx.Client) -> None:
    body = {"case_id": "CSRF-1", "kind": "新装", "application_date": "2023-01-01", "customer": {"name": "a"}}
    evil = api.post("/api/cases", json=body, headers={"Origin": "http://evil.example"})
    assert evil.status_code == 403
    assert api.post("/api/cases", json=body, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert api.get("/api/cases/CSRF-1").status_code == 404
    own = api.post("/api/cases", json=body, headers={"Origin": str(api.base_url).rstrip("/")})
    assert own.status_code == 201


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


def test_openapi_and_docs_without_a_cdn(api: httpx.Client) -> None:
    schema = api.get("/openapi.json").json()
    for path in (
        "/api/cases",
        "/api/cases/{case_id}",
        "/api/cases/{case_id}/findings",
        "/api/cases/{case_id}/build",
        "/api/cases/{case_id}/files",
        "/api/cases/{case_id}/files/{name}",
        "/api/ledger.xlsx",
    ):
        assert path in schema["paths"], path
    docs = api.get("/docs").text
    assert "/static/swagger/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert api.get("/static/swagger/swagger-ui-bundle.js").status_code == 200


def test_unknown_case_is_404_with_a_finding(api: httpx.Client) -> None:
    missing = api.get("/api/cases/NO-SUCH/findings")
    assert missing.status_code == 404 and "NO-SUCH" in missing.json()["findings"][0]["message"]
    page = api.get("/cases/NO-SUCH", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "NO-SUCH" in page.text and "Traceback" not in page.text


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


def test_a_pasted_control_character_leaves_the_file_readable(api: httpx.Client) -> None:
    got = api.get("/api/cases/GY-2023-017")
    data = got.json()
    data["customer"]["name"] = "宏达\x0b精密"  # Word's soft line break, pasted into a box
    answer = api.put("/api/cases/GY-2023-017", json=data, headers={"If-Match": got.headers["etag"]})
    assert answer.status_code == 200  # written escaped: the file still reads, the clerk can fix it
    again = api.get("/api/cases/GY-2023-017")
    assert again.status_code == 200 and again.json()["customer"]["name"] == "宏达\x0b精密"
    data["customer"]["name"] = "宏达精密机械有限公司"
    fixed = api.put("/api/cases/GY-2023-017", json=data, headers={"If-Match": again.headers["etag"]})
    assert fixed.status_code == 200 and fixed.json()["ok"] is True


def test_lenient_where_a_script_may_differ(api: httpx.Client) -> None:
    pdf = (DEMO.parent / "scans" / "采集单.pdf").read_bytes()
    other_field = api.post("/api/cases/GY-2026-088/files", files={"upload": ("采集单.pdf", pdf)})
    assert other_field.status_code == 201 and other_field.json()["file"] == "scans/采集单.pdf"
    nothing = api.post("/api/cases/GY-2026-088/files", data={"x": "1"})
    assert nothing.status_code == 422 and nothing.json()["findings"][0]["code"] == "REQUEST_INVALID"
    got = api.get("/api/cases/GY-2026-088")
    unquoted = got.headers["etag"].strip('"')
    assert (
        api.put("/api/cases/GY-2026-088", json=got.json(), headers={"If-Match": unquoted}).status_code == 200
    )


def test_without_libreoffice_the_pages_work_and_a_build_says_why(tmp_path: Path) -> None:
    ws = workspace(tmp_path / "ws")
    no_office = {"PAPERWORK_SOFFICE": str(tmp_path / "no-soffice")}
    with running(ws, "--no-cache", env=no_office) as srv, srv.client() as client:  # nothing cached to use
        assert "注意" in srv.log.read_text(encoding="utf-8")
        assert client.get("/api/cases").status_code == 200
        built = client.post("/api/cases/GY-2023-017/build")
        assert built.status_code == 500 and built.json()["ok"] is False
        assert "PAPERWORK_SOFFICE" in built.json()["message"] and "Traceback" not in built.text
