"""The HTTP API: JSON with the CLI's contracts, OpenAPI at ``/docs``.

Every answer for a case is built from its file on disk at the time of the request.
Errors come as ``{"ok": false, "findings": [...]}`` with the CLI's Chinese messages
and a stable code; names from the request never leave the workspace.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile  # what request.form() gives (FastAPI's is a subclass)

from paperwork.case.casefile import StaleWrite, create_case, read_case, write_case
from paperwork.case.dates import parse_date
from paperwork.case.model import KINDS
from paperwork.errors import PaperworkError
from paperwork.finding import Finding
from paperwork.serve.builds import preview
from paperwork.serve.overview import case_rows, check, dates_of, findings_payload, list_row, status_of
from paperwork.serve.state import Server, refused
from paperwork.serve.workspace import BadUpload, CaseFolder

__all__ = ["router"]

router = APIRouter(prefix="/api", tags=["cases"])

_MAX_JSON = 5_000_000


def _server(request: Request) -> Server:
    server: Server = request.app.state.server
    return server


def _case(request: Request, case_id: str) -> CaseFolder:
    case = _server(request).workspace.case(case_id)
    if case is None:
        raise refused(404, "CASE_UNREADABLE", f"工作区里没有案卷 {case_id}", path="case_id")
    return case


def _checked_or_422(request: Request, case: CaseFolder) -> Any:
    checked = check(case.case_file, _server(request).clock)
    if checked.resolved is None:
        return JSONResponse(findings_payload(checked), status_code=422)
    return checked


@router.get("/cases", summary="案卷列表")
def list_cases(request: Request) -> list[dict[str, object]]:
    """Every case of the workspace: ``[{case_id, customer, kind, ok, errors, warnings, overdue}]``."""
    server = _server(request)
    return case_rows(server.workspace, server.clock)


def _new_case_data(body: dict[str, Any]) -> dict[str, object]:
    problems = []
    case_id = body.get("case_id")
    if not isinstance(case_id, str) or not case_id.strip():
        problems.append(("case_id", "请填写案卷编号，例如 GY-2024-001"))
    kind = body.get("kind")
    if kind not in KINDS:
        problems.append(("kind", f"业务类型应为 {' 或 '.join(KINDS)}"))
    day = body.get("application_date")
    try:
        day = parse_date(day).isoformat()
    except (PaperworkError, TypeError, ValueError) as exc:
        problems.append(("application_date", f"报装日期：{exc}" if day else "请填写报装日期"))
    customer = body.get("customer")
    name = customer.get("name") if isinstance(customer, dict) else None
    if not isinstance(name, str) or not name.strip():
        problems.append(("customer.name", "请填写客户名称（户名）"))
    if problems:
        findings = [Finding("REQUEST_INVALID", "error", m, path=p) for p, m in problems]
        raise refused(422, findings=findings)
    assert isinstance(case_id, str) and isinstance(name, str)
    return {
        "case_id": case_id.strip(),
        "kind": kind,
        "application_date": day,
        "customer": {"name": name.strip()},
        "documents": [],
    }


@router.post("/cases", status_code=201, summary="新建案卷")
def new_case(request: Request, body: Annotated[dict[str, Any], Body()]) -> JSONResponse:
    """``{case_id, kind, application_date, customer: {name}}`` → 201 and the new case's row."""
    server = _server(request)
    data = _new_case_data(body)
    case_id = str(data["case_id"])
    if server.workspace.case(case_id) is not None:
        raise refused(
            409, "CASE_EXISTS", f"案卷 {case_id} 已经存在；请换一个编号，或打开已有的案卷", "case_id"
        )
    folder = server.workspace.new_case_folder(case_id)
    try:
        tag = create_case(folder.case_file, data, f"{case_id} {data['customer']['name']}：由网页新建")  # type: ignore[index]
    except FileExistsError:
        raise refused(409, "CASE_EXISTS", f"文件夹 {folder.name} 里已经有案卷文件", "case_id") from None
    row = list_row(case_id, folder, check(folder.case_file, server.clock), server.clock)
    headers = {"ETag": tag, "Location": f"/api/cases/{case_id}"}
    return JSONResponse(row, status_code=201, headers=headers)


@router.get("/cases/{case_id}", summary="案卷内容（带 ETag）")
def get_case(request: Request, case_id: str) -> JSONResponse:
    """The case file as JSON; its ETag goes back in ``If-Match`` with the next PUT."""
    data, tag = read_case(_case(request, case_id).case_file)
    return JSONResponse(data, headers={"ETag": tag})


@router.put("/cases/{case_id}", summary="保存案卷（If-Match）")
def put_case(
    request: Request,
    case_id: str,
    body: Annotated[dict[str, Any], Body()],
    if_match: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Write the whole case; 409 when the file changed since the ETag in ``If-Match`` was read.

    The answer is the case's findings after the write (``validate``'s JSON) and its new ETag.
    """
    if int(request.headers.get("content-length") or 0) > _MAX_JSON:
        raise refused(413, "REQUEST_INVALID", "案卷内容太大（超过 5 MB）")
    case = _case(request, case_id)
    try:
        tag = write_case(case.case_file, body, if_match)
    except StaleWrite as exc:
        raise refused(409, "CASE_STALE", str(exc), headers={"ETag": exc.current}) from None
    payload = findings_payload(check(case.case_file, _server(request).clock))
    return JSONResponse({**payload, "etag": tag}, headers={"ETag": tag})


@router.get("/cases/{case_id}/findings", summary="检查结果（= validate --format json）")
def findings(request: Request, case_id: str) -> dict[str, object]:
    return findings_payload(check(_case(request, case_id).case_file, _server(request).clock))


@router.get("/cases/{case_id}/dates", summary="推算日期（= dates --format json）")
def dates(request: Request, case_id: str) -> Any:
    checked = _checked_or_422(request, _case(request, case_id))
    return checked if isinstance(checked, JSONResponse) else dates_of(checked)


@router.get("/cases/{case_id}/status", summary="进度与时限（= status --format json）")
def status(request: Request, case_id: str) -> Any:
    checked = _checked_or_422(request, _case(request, case_id))
    return checked if isinstance(checked, JSONResponse) else status_of(checked, _server(request).clock)


#: The multipart body of the upload routes, for the OpenAPI page (the route reads the form itself, so that a
#: file sent under another field name is taken too).
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


async def _uploaded(request: Request) -> UploadFile:
    """The file of a multipart upload: the field ``file``, else the first file sent."""
    form = await request.form()
    found = form.get("file")
    if not isinstance(found, UploadFile):
        found = next((v for v in form.values() if isinstance(v, UploadFile)), None)
    if found is None:
        raise refused(
            422, "REQUEST_INVALID", "没有收到文件：请用 multipart/form-data 上传，字段名 file", "file"
        )
    return found


def _store(request: Request, case_id: str, file: UploadFile) -> str:
    case = _case(request, case_id)
    server = _server(request)
    try:
        return server.workspace.store_upload(case, file.filename or "scan", file.file, server.max_upload)
    except BadUpload as exc:
        code = 413 if "超过" in str(exc) else 415
        raise refused(code, "UPLOAD_REFUSED", str(exc), "file") from None


@router.post("/cases/{case_id}/files", status_code=201, summary="上传扫描件", openapi_extra=_UPLOAD_BODY)
async def upload(request: Request, case_id: str) -> dict[str, str]:
    """A scan or Word file → ``{file}``: the path to write in a paper's ``file:``."""
    file = await _uploaded(request)
    return {"file": await run_in_threadpool(_store, request, case_id, file)}


@router.post(
    "/cases/{case_id}/proposals",
    status_code=201,
    summary="上传扫描件并自动识别（OCR）",
    openapi_extra=_UPLOAD_BODY,
)
async def propose(request: Request, case_id: str) -> dict[str, object]:
    """Store the scan as ``files`` does, then read it: ``{file, proposal, message}``, where ``proposal``
    is a paper as ``intake --format json`` gives it (title, date, number, round, application_date,
    confidence, evidence) for the clerk to confirm, or None with the reason in ``message``."""
    file = await _uploaded(request)
    stored = await run_in_threadpool(_store, request, case_id, file)
    proposer = _server(request).proposer
    return await run_in_threadpool(proposer.propose, _case(request, case_id), stored)


@router.post("/cases/{case_id}/build", summary="装订（?draft=true 为草稿）")
def build(request: Request, case_id: str, draft: Annotated[bool, Query()] = False) -> JSONResponse:
    """``{ok, pages, seconds, files}``; 422 with the findings when the case has errors (not a draft)."""
    answer = _server(request).builder.build(_case(request, case_id), draft=draft)
    if answer.ok:
        return JSONResponse(answer.to_dict())
    return JSONResponse(answer.to_dict(), status_code=422 if answer.findings else 500)


@router.get("/cases/{case_id}/progress", summary="装订进度")
def progress(request: Request, case_id: str) -> dict[str, object]:
    return _server(request).builder.progress(_case(request, case_id)).to_dict()


@router.get("/cases/{case_id}/files/{name}", summary="下载装订结果")
def download(request: Request, case_id: str, name: str) -> FileResponse:
    """大本资料.pdf, 小本资料.pdf, 卷内目录.xlsx of the last build."""
    path = _server(request).workspace.output(_case(request, case_id), name)
    if path is None:
        raise refused(404, "FILE_MISSING", f"还没有 {name}；请先装订", "name")
    return FileResponse(path, filename=name)


@router.get("/cases/{case_id}/previews/{name}/{page}.png", summary="页面预览", include_in_schema=False)
def page_preview(request: Request, case_id: str, name: str, page: int) -> Response:
    path = _server(request).workspace.output(_case(request, case_id), name)
    png = preview(path, page) if path is not None and path.suffix == ".pdf" and page >= 1 else None
    if png is None:
        raise refused(404, "FILE_MISSING", f"{name} 没有第 {page} 页的预览", "page")
    return FileResponse(png, media_type="image/png")


@router.get("/ledger.xlsx", summary="台账（整个工作区）")
def ledger(request: Request) -> FileResponse:
    from paperwork.render.ledger import gather, write_ledger

    server = _server(request)
    entries = gather(
        [c.case_file for c in server.workspace.cases()],
        server.clock.regime,
        server.clock.calendar,
        server.clock.day,
    )
    tmp = Path(tempfile.mkdtemp(prefix="paperwork-ledger-"))
    out = write_ledger(entries, tmp / "台账.xlsx")
    cleanup = BackgroundTask(shutil.rmtree, tmp, ignore_errors=True)
    return FileResponse(out, filename=f"台账-{dt.date.today().isoformat()}.xlsx", background=cleanup)
