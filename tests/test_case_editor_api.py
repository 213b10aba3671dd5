"""The case editor's routes in process (TestClient, a stand-in converter): schema, source, forms, scans,
deadlines in the list, dates saved as typed in any form, the case page's boxes."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from docx import Document as DocxDocument
from fastapi.testclient import TestClient
from pypdf import PdfReader

from paperwork.case.paths import leaves
from paperwork.case.schema import json_schema
from paperwork.rules.resolution import resolve_file
from paperwork.serve.recognition import duplicate_of


def _new(api: TestClient, case_id: str = "GY-2031-200", applied: str = "2026-11-25") -> None:
    body = {
        "case_id": case_id,
        "kind": "新装",
        "application_date": applied,
        "customer": {"name": "新客户有限公司"},
    }
    assert api.post("/api/cases", json=body).status_code == 201


def test_schema_route_is_paperwork_schema(api: TestClient) -> None:
    assert api.get("/api/schema").json() == json_schema()


def test_list_rows_carry_todos_and_the_most_urgent_deadline(api: TestClient) -> None:
    _new(api)
    rows = api.get("/api/cases").json()
    by_id = {r["case_id"]: r for r in rows}
    late, new, done = by_id["GY-2026-088"], by_id["GY-2031-200"], by_id["GY-2023-017"]
    assert new["errors"] == 0 and new["todos"] > 0 and new["state"] == "进行中"
    assert new["due"] is not None and new["remaining"] is not None and new["regime"] == "供电营业规则"
    assert new["article"] == "第二十二条"  # 供电方案答复 runs from 报装日期
    assert done["state"] == "已完成" and done["due"] is None and done["remaining"] is None
    # its 供电方案答复 ended late; no timed step runs now (2024 rules: 设计审核 only for 重要客户)
    assert late["overdue"] >= 1 and late["remaining"] is None and late["state"] == "进行中"
    _new(api, "GY-2031-201", "2026-09-01")  # its reply is late and still running
    rows = api.get("/api/cases").json()
    first = rows[0]
    assert first["case_id"] == "GY-2031-201" and first["state"] == "超期" and first["remaining"] < 0
    remaining = [r["remaining"] for r in rows if isinstance(r["remaining"], int)]
    assert remaining == sorted(remaining)  # the most urgent first
    assert rows[-1]["state"] == "已完成"
    page = api.get("/", params={"state": "已完成"}).text
    assert "GY-2023-017" in page and "GY-2031-200" not in page
    late_page = api.get("/", params={"state": "超期"}).text
    assert "GY-2031-201" in late_page and "GY-2023-017" not in late_page
    listed = api.get("/").text
    assert "待办" in listed and "当前时限" in listed


def test_dates_typed_any_way_are_saved_as_iso(api: TestClient, ws: Path) -> None:
    case = api.get("/api/cases/GY-2023-017")
    data = case.json()
    data["documents"][0]["date"] = "2023年2月26号"
    data["archive"]["filing_date"] = "2023－8－25"
    saved = api.put("/api/cases/GY-2023-017", json=data, headers={"If-Match": case.headers["ETag"]})
    assert saved.status_code == 200, saved.text
    again = api.get("/api/cases/GY-2023-017").json()
    assert again["documents"][0]["date"] == "2023-02-26" and again["archive"]["filing_date"] == "2023-08-25"
    assert "2023-02-26" in (ws / "demo" / "case.yaml").read_text(encoding="utf-8")


def test_the_case_id_can_change_and_the_folder_stays(api: TestClient, ws: Path) -> None:
    case = api.get("/api/cases/GY-2026-088")
    data = case.json()
    data["case_id"] = "GY-2026-089"
    assert (
        api.put("/api/cases/GY-2026-088", json=data, headers={"If-Match": case.headers["ETag"]}).status_code
        == 200
    )
    assert api.get("/api/cases/GY-2026-089").json()["case_id"] == "GY-2026-089"
    assert (ws / "in-progress" / "case.yaml").is_file()
    assert api.get("/cases/GY-2026-089").status_code == 200


def test_source_is_saved_only_when_it_parses(api: TestClient, ws: Path) -> None:
    got = api.get("/api/cases/GY-2026-088/source")
    assert (got.status_code == 200 and got.text.startswith("#")) or "case_id" in got.text
    tag = got.headers["ETag"]
    path = ws / "in-progress" / "case.yaml"
    before = path.read_text(encoding="utf-8")
    broken = before.replace("kind: 新装", "kind: [新装", 1)
    refused = api.put("/api/cases/GY-2026-088/source", content=broken.encode(), headers={"If-Match": tag})
    assert refused.status_code == 422
    finding = refused.json()["findings"][0]
    assert finding["code"] == "YAML_SYNTAX" and isinstance(finding["line"], int)
    assert path.read_text(encoding="utf-8") == before
    fixed = before.replace("kind: 新装", "kind: 增容", 1)
    ok = api.put("/api/cases/GY-2026-088/source", content=fixed.encode(), headers={"If-Match": tag})
    assert ok.status_code == 200 and "增容" in path.read_text(encoding="utf-8")
    stale = api.put("/api/cases/GY-2026-088/source", content=before.encode(), headers={"If-Match": tag})
    assert stale.status_code == 409 and "增容" in path.read_text(encoding="utf-8")
    # a file broken by hand still opens: its page shows the text to repair
    path.write_text(broken, encoding="utf-8")
    page = api.get("/cases/GY-2026-088")
    assert page.status_code == 200 and 'id="source"' in page.text and "无法读取" in page.text
    assert "kind: [新装" in api.get("/api/cases/GY-2026-088/source").text


def test_forms_download_filled_from_the_case_as_it_stands(api: TestClient) -> None:
    _new(api)
    case = api.get("/api/cases/GY-2031-200")
    data = case.json()
    data["customer"].update(legal_rep="赵六", address="北京市顺义区测试路 1 号", important=False)
    data["application"] = {"usage_category": "商业"}
    assert (
        api.put("/api/cases/GY-2031-200", json=data, headers={"If-Match": case.headers["ETag"]}).status_code
        == 200
    )
    got = api.get("/api/cases/GY-2031-200/forms/application_register.docx")
    assert got.status_code == 200
    assert (
        "GY-2031-200-" in got.headers["content-disposition"]
        or "GY-2031-200" in got.headers["content-disposition"]
    )
    doc = DocxDocument(io.BytesIO(got.content))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    text = "\n".join([p.text for p in doc.paragraphs] + cells)
    assert "赵六" in text and "北京市顺义区测试路 1 号" in text and "新客户有限公司" in text
    assert "草稿" not in text
    ticked = re.findall(r"(\S+) ☑", text)
    assert set(ticked) == {"新装", "否", "商业"}, (
        ticked
    )  # 业务类型, 重要客户 否, 用电类别 — nothing she did not choose
    pdf = api.get("/api/cases/GY-2031-200/forms/live_work_request.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) >= 1
    assert api.get("/api/cases/GY-2031-200/forms/supply_plan_reply.docx").status_code == 404  # a bureau paper
    assert api.get("/api/cases/GY-2031-200/forms/application_register.txt").status_code == 404


def test_a_papers_scan_opens_inline(api: TestClient, ws: Path) -> None:
    pdf = api.get("/api/cases/GY-2023-017/documents/0/file")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith("inline")
    image = api.get("/api/cases/GY-2023-017/documents/1/file")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert api.get("/api/cases/GY-2023-017/documents/3/file").json()["findings"][0]["code"] == "FILE_MISSING"
    assert api.get("/api/cases/GY-2023-017/documents/999/file").status_code == 404
    scan = api.get("/api/cases/GY-2023-017/scans/用电申请书.pdf")
    assert scan.status_code == 200 and scan.headers["content-type"] == "application/pdf"
    # a paper whose file points out of the workspace is refused
    path = ws / "demo" / "case.yaml"
    text = path.read_text(encoding="utf-8").replace("scans/用电申请书.pdf", "../../../etc/passwd", 1)
    path.write_text(text, encoding="utf-8")
    assert api.get("/api/cases/GY-2023-017/documents/0/file").status_code == 403


def test_a_scan_already_in_the_case_is_found(ws: Path, tmp_path: Path) -> None:
    resolved = resolve_file(ws / "demo" / "case.yaml")
    copy = tmp_path / "again.pdf"
    copy.write_bytes((ws / "demo" / "scans" / "供电方案答复单-2.pdf").read_bytes())
    assert duplicate_of(resolved, copy, None, None) == 5  # the same bytes: documents[5]
    other = tmp_path / "other.pdf"
    other.write_bytes(b"%PDF-1.4 another scan")
    assert duplicate_of(resolved, other, "供电方案答复单", date(2023, 3, 20)) == 4  # same title and date
    assert duplicate_of(resolved, other, "供电方案答复单", date(2023, 3, 21)) is None


def test_the_case_page_has_a_box_for_every_field(api: TestClient) -> None:
    page = api.get("/cases/GY-2023-017").text
    paths = set(re.findall(r'data-path="([^"]+)"', page))
    record = {
        leaf.path for leaf in leaves() if ".*." not in leaf.path and not leaf.path.startswith("documents")
    }
    assert record <= paths, record - paths
    for title in ("案卷", "客户", "施工单位", "容量与电源", "用电设备", "登记表", "档案", "资料"):
        assert f"<h2>{title}" in page
    # a yes/no has an explicit 未填, and labels are the fields' Chinese descriptions
    assert re.search(r'data-path="customer.important"[^>]*>\s*<option value=""[^>]*>未填', page)
    assert "第一路电源申请容量（kVA）" in page and 'data-action="ocr"' in page
    assert "/forms/live_work_request.docx" in page  # 委托带电施工申请 is downloadable, though in no binder


def test_a_build_answer_carries_the_forms_blank_fields(api: TestClient, ws: Path) -> None:
    path = ws / "demo" / "case.yaml"
    text = path.read_text(encoding="utf-8")
    line = next(x for x in text.splitlines() if x.strip().startswith("legal_rep:"))
    path.write_text(text.replace(line, line.split(":")[0] + ': ""', 1), encoding="utf-8")
    built = api.post("/api/cases/GY-2023-017/build")  # final: the warnings do not stop it
    assert built.status_code == 200, built.text
    answer = built.json()
    assert answer["ok"] is True
    blank = [f for f in answer["findings"] if f["code"] == "FORM_FIELD_BLANK"]
    assert blank and all(f["severity"] == "warning" for f in blank)
    register = next(f for f in blank if f["message"].startswith("高压客户用电登记表"))
    assert "法人代表" in register["message"]


def test_a_pdf_papers_thumbnail_is_its_first_page_small(api: TestClient) -> None:
    import os
    import shutil

    from PIL import Image

    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but poppler's pdftoppm is missing")
        pytest.skip("poppler's pdftoppm is missing")
    thumb = api.get("/api/cases/GY-2023-017/documents/0/thumb.png")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/png"
    with Image.open(io.BytesIO(thumb.content)) as image:
        assert max(image.size) == 160 and image.size[1] > image.size[0]  # an A4 page, upright
    image_paper = api.get("/api/cases/GY-2023-017/documents/1/thumb.png")  # a photo is its own thumbnail
    assert image_paper.status_code == 404 and image_paper.json()["findings"][0]["code"] == "OUTPUT_MISSING"
