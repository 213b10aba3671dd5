"""The HTTP API in process: FastAPI's TestClient, a stand-in converter, a fixed day — no LibreOffice.

The end-to-end tests against a real ``paperwork serve`` with a real LibreOffice are in
``test_serve_api.py``; these check every JSON route's contract and run in ``make test-fast``.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from pypdf import PdfReader

from paperwork.cli import cli
from paperwork.serve.app import create_app, make_server
from paperwork.serve.overview import ServerSettings
from tests.conftest import DEMO, TODAY, blank_pdfs, outline

REQUIRED_ROW = {"case_id", "customer", "kind", "ok", "errors", "warnings", "overdue"}


def _cli_json(*args: str) -> object:
    done = CliRunner().invoke(cli, [*args, "--format", "json"])
    return json.loads(done.output)


def _codes(answer: object) -> list[str]:
    assert isinstance(answer, dict)
    return [f["code"] for f in answer["findings"]]


def test_case_list_rows(api: TestClient) -> None:
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
    # a case in progress: nothing wrong, its later papers to do, a step that ran over its limit
    assert late["ok"] is True and late["errors"] == 0 and late["todos"] > 0
    assert late["overdue"] == len(late["overdue_steps"]) >= 1


def test_findings_dates_status_are_the_clis_json(api: TestClient, ws: Path) -> None:
    case_file = str(ws / "in-progress" / "case.yaml")
    day = TODAY.isoformat()
    assert api.get("/api/cases/GY-2026-088/findings").json() == _cli_json(
        "validate", case_file, "--today", day
    )
    assert api.get("/api/cases/GY-2026-088/dates").json() == _cli_json("dates", case_file)
    assert api.get("/api/cases/GY-2026-088/status").json() == _cli_json("status", case_file, "--today", day)


def test_create_case_then_read_it(api: TestClient) -> None:
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
    assert again.status_code == 409 and _codes(again.json()) == ["CASE_EXISTS"]


def test_new_case_refused_with_chinese_findings(api: TestClient) -> None:
    bad = api.post(
        "/api/cases",
        json={"case_id": "X-1", "kind": "改造", "application_date": "2023-02-30", "customer": {}},
    )
    assert bad.status_code == 422
    found = {f["path"]: f for f in bad.json()["findings"]}
    assert set(found) == {"kind", "application_date", "customer.name"}
    assert all(f["code"] == "REQUEST_INVALID" for f in found.values())
    assert "新装" in found["kind"]["message"] and "客户名称" in found["customer.name"]["message"]


def test_the_page_and_the_api_refuse_a_new_case_alike(api: TestClient) -> None:
    form = {"case_id": "X-2", "kind": "新装", "application_date": "", "customer": "某客户"}
    page = api.post("/cases/new", data=form, follow_redirects=False)
    assert page.status_code == 422 and "请填写报装日期" in page.text
    form["application_date"] = "2023-03-01"
    made = api.post("/cases/new", data=form, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/cases/X-2"
    assert api.get("/api/cases/X-2").json()["customer"] == {"name": "某客户"}


def test_put_keeps_comments_and_refuses_a_stale_write(api: TestClient, ws: Path) -> None:
    path = ws / "demo" / "case.yaml"
    first = api.get("/api/cases/GY-2023-017")
    tag, data = first.headers["etag"], first.json()
    mine = json.loads(json.dumps(data))
    mine["customer"]["phone"] = "010-11112222"
    saved = api.put("/api/cases/GY-2023-017", json=mine, headers={"If-Match": tag})
    assert saved.status_code == 200, saved.text
    assert saved.json()["ok"] is True and saved.headers["etag"] != tag
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# 演示案卷") and "phone: 010-11112222" in text
    assert 'number: "No 04417783"' in text  # untouched values keep their quoting
    theirs = json.loads(json.dumps(data))
    theirs["customer"]["mobile"] = "13900000000"
    stale = api.put("/api/cases/GY-2023-017", json=theirs, headers={"If-Match": tag})
    assert stale.status_code == 409 and _codes(stale.json()) == ["CASE_STALE"]
    message = stale.json()["findings"][0]["message"]
    assert "GY-2023-017" in message and str(path.parent) not in message  # never where the server keeps it
    assert stale.headers["etag"] == saved.headers["etag"]
    assert path.read_text(encoding="utf-8") == text


def test_put_reports_findings_of_the_new_content(api: TestClient) -> None:
    got = api.get("/api/cases/GY-2023-017")
    data = got.json()
    data["documents"][0]["date"] = "2023-02-30"
    answer = api.put("/api/cases/GY-2023-017", json=data, headers={"If-Match": got.headers["etag"]})
    assert answer.status_code == 200 and answer.json()["ok"] is False
    assert any(
        f["code"] == "DATE_INVALID" and f["path"] == "documents[0].date" for f in answer.json()["findings"]
    )


def test_a_case_body_over_the_limit_is_413(api: TestClient) -> None:
    got = api.get("/api/cases/GY-2023-017")
    huge = json.dumps({**got.json(), "note": "x" * 5_100_000})
    answer = api.put(
        "/api/cases/GY-2023-017",
        content=huge,
        headers={"If-Match": got.headers["etag"], "Content-Type": "application/json"},
    )
    assert answer.status_code == 413 and _codes(answer.json()) == ["UPLOAD_TOO_LARGE"]


def test_upload_by_content(api: TestClient, ws: Path) -> None:
    pdf = (DEMO.parent / "scans" / "用电申请书.pdf").read_bytes()
    up = api.post("/api/cases/GY-2026-088/files", files={"file": ("申请 书.pdf", pdf, "application/pdf")})
    assert up.status_code == 201, up.text
    stored = ws / "in-progress" / up.json()["file"]
    assert up.json()["file"] == "scans/申请 书.pdf" and stored.read_bytes() == pdf
    same = api.post("/api/cases/GY-2026-088/files", files={"file": ("申请 书.pdf", pdf)})
    assert same.json()["file"] == up.json()["file"]
    jpg = (DEMO.parent / "scans" / "营业执照复印件.jpg").read_bytes()
    other = api.post("/api/cases/GY-2026-088/files", files={"file": ("申请 书.pdf", jpg)})
    assert other.json()["file"] == "scans/申请 书.jpg"  # named by what it is
    assert stored.read_bytes() == pdf
    text = api.post("/api/cases/GY-2026-088/files", files={"file": ("scan.pdf", b"not a pdf at all")})
    assert text.status_code == 415 and _codes(text.json()) == ["UPLOAD_REFUSED"]
    empty = api.post("/api/cases/GY-2026-088/files", files={"file": ("scan.pdf", b"")})
    assert empty.status_code == 422 and _codes(empty.json()) == ["UPLOAD_REFUSED"]
    big = api.post(
        "/api/cases/GY-2026-088/files", files={"file": ("big.pdf", b"%PDF-1.4\n" + b"0" * (2 << 20))}
    )
    assert big.status_code == 413 and _codes(big.json()) == ["UPLOAD_TOO_LARGE"]
    assert "超过 1 MB" in big.json()["findings"][0]["message"]
    assert not any(p.name.startswith(".upload") for p in stored.parent.iterdir())


def test_a_tiff_uploads_as_it_attaches(api: TestClient) -> None:
    # one sniffer for the CLI's attachments, the intake and the upload: a TIFF is a scan everywhere
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (40, 60), 255).save(buffer, format="TIFF")
    up = api.post("/api/cases/GY-2026-088/files", files={"file": ("扫描.tif", buffer.getvalue())})
    assert up.status_code == 201 and up.json()["file"] == "scans/扫描.tif"


def test_names_cannot_leave_the_workspace(api: TestClient, ws: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "case.yaml").write_text(
        DEMO.read_text(encoding="utf-8").replace("GY-2023-017", "OUT-1"), "utf-8"
    )
    (ws / "escape").symlink_to(outside, target_is_directory=True)
    assert "OUT-1" not in {r["case_id"] for r in api.get("/api/cases").json()}
    assert api.get("/api/cases/escape").status_code == 400
    for bad in ("..", ".hidden", "a%5Cb"):
        assert api.get(f"/api/cases/{bad}/findings").status_code in (400, 404), bad
    assert api.get("/api/cases/GY-2023-017/files/case.yaml").status_code == 404
    refused = api.post(
        "/api/cases",
        json={"case_id": "../x", "kind": "新装", "application_date": "2023-01-01", "customer": {"name": "a"}},
    )
    assert refused.status_code == 400 and _codes(refused.json()) == ["REQUEST_INVALID"]


def test_cross_site_writes_are_refused(api: TestClient) -> None:
    body = {"case_id": "CSRF-1", "kind": "新装", "application_date": "2023-01-01", "customer": {"name": "a"}}
    assert api.post("/api/cases", json=body, headers={"Origin": "http://evil.example"}).status_code == 403
    assert api.post("/api/cases", json=body, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert api.get("/api/cases/CSRF-1").status_code == 404


def test_refusals_have_codes_of_their_own(api: TestClient) -> None:
    missing = api.get("/api/cases/NO-SUCH/findings")
    assert missing.status_code == 404 and _codes(missing.json()) == ["CASE_NOT_FOUND"]
    assert "NO-SUCH" in missing.json()["findings"][0]["message"]
    page = api.get("/cases/NO-SUCH", headers={"Accept": "text/html"})
    assert page.status_code == 404 and "NO-SUCH" in page.text and "Traceback" not in page.text
    not_built = api.get("/api/cases/GY-2023-017/files/大本资料.pdf")
    assert not_built.status_code == 404 and _codes(not_built.json()) == ["OUTPUT_MISSING"]
    no_preview = api.get("/api/cases/GY-2023-017/previews/大本资料.pdf/1.png")
    assert no_preview.status_code == 404 and _codes(no_preview.json()) == ["OUTPUT_MISSING"]


def test_a_bug_is_500_internal_error_without_a_trace(ws: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from paperwork.serve.index import CaseIndex

    def broken(*args: object) -> object:
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(CaseIndex, "rows", broken)
    server = make_server(ws, converter=blank_pdfs, settings=ServerSettings(today=TODAY))
    with TestClient(create_app(server), base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        answer = client.get("/api/cases")
    assert answer.status_code == 500 and _codes(answer.json()) == ["INTERNAL_ERROR"]
    assert "Traceback" not in answer.text and "ZeroDivisionError" in answer.text


def test_a_failed_operation_is_500_operation_failed(ws: Path) -> None:
    from paperwork.errors import ConversionError

    def no_office(files: list[Path], outdir: Path) -> list[Path]:
        raise ConversionError("找不到 LibreOffice（soffice）")

    server = make_server(ws, converter=no_office, settings=ServerSettings(today=TODAY))
    with TestClient(create_app(server), base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        built = client.post("/api/cases/GY-2023-017/build")
        assert built.status_code == 500 and built.json()["ok"] is False
        assert "LibreOffice" in built.json()["message"]
        # a PaperworkError that escapes a route is OPERATION_FAILED, decided by its class
        from paperwork.serve import api as api_module

        original = api_module.read_case

        def unreadable(path: Path) -> object:
            raise ConversionError("磁盘出错")

        api_module.read_case = unreadable  # type: ignore[assignment]
        try:
            answer = client.get("/api/cases/GY-2023-017")
        finally:
            api_module.read_case = original
        assert answer.status_code == 500 and _codes(answer.json()) == ["OPERATION_FAILED"]


def test_build_download_and_ledger(api: TestClient) -> None:
    refused = api.post("/api/cases/GY-2026-088/build")
    assert refused.status_code == 422 and "PAPER_MISSING" in _codes(refused.json())
    built = api.post("/api/cases/GY-2023-017/build", params={"draft": "true"})
    assert built.status_code == 200, built.text
    answer = built.json()
    assert answer["ok"] is True and set(answer["files"]) == {"大本资料.pdf", "小本资料.pdf", "卷内目录.xlsx"}
    big = PdfReader(io.BytesIO(api.get("/api/cases/GY-2023-017/files/大本资料.pdf").content))
    small = PdfReader(io.BytesIO(api.get("/api/cases/GY-2023-017/files/小本资料.pdf").content))
    assert len(big.pages) + len(small.pages) == answer["pages"]
    assert "用电申请书（20230227）" in [title for _, title, _ in outline(big)]
    progress = api.get("/api/cases/GY-2023-017/progress").json()
    assert progress["percent"] == 100 and progress["running"] is False
    ledger = load_workbook(io.BytesIO(api.get("/api/ledger.xlsx").content))
    rows = {row[0]: row for row in ledger["台账"].iter_rows(min_row=2, values_only=True)}
    assert set(rows) >= {"GY-2023-017", "GY-2026-088"}
    head = next(ledger["台账"].iter_rows(max_row=1, values_only=True))
    missing = rows["GY-2026-088"][head.index("待办资料")]  # a new case: its papers are to do, not missing
    # the column comes from the findings' subject (the form's title), not from their wording
    assert missing and all(
        not part.startswith("缺少") and "（" not in part for part in str(missing).split("、")
    )


def test_openapi_and_docs_without_a_cdn(api: TestClient) -> None:
    schema = api.get("/openapi.json").json()
    for path in ("/api/cases", "/api/cases/{case_id}", "/api/cases/{case_id}/build", "/api/ledger.xlsx"):
        assert path in schema["paths"], path
    docs = api.get("/docs").text
    assert "/static/swagger/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()


def test_lenient_where_a_script_may_differ(api: TestClient) -> None:
    pdf = (DEMO.parent / "scans" / "采集单.pdf").read_bytes()
    other_field = api.post("/api/cases/GY-2026-088/files", files={"upload": ("采集单.pdf", pdf)})
    assert other_field.status_code == 201 and other_field.json()["file"] == "scans/采集单.pdf"
    nothing = api.post("/api/cases/GY-2026-088/files", data={"x": "1"})
    assert nothing.status_code == 422 and _codes(nothing.json()) == ["REQUEST_INVALID"]
    got = api.get("/api/cases/GY-2026-088")
    unquoted = got.headers["etag"].strip('"')
    assert (
        api.put("/api/cases/GY-2026-088", json=got.json(), headers={"If-Match": unquoted}).status_code == 200
    )
