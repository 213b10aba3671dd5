"""The HTTP API: JSON with the CLI's contracts, OpenAPI at ``/docs``.

Every answer for a case is built from its file on disk at the time of the request.
Errors come as ``{"ok": false, "findings": [...]}`` with the CLI's Chinese messages
and a stable code; names from the request never leave the workspace.
"""

from __future__ import annotations

import datetime as dt
import functools
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from paperwork.case.casefile import read_case, read_source, write_case, write_source
from paperwork.case.model import KINDS
from paperwork.case.paths import normalise_dates
from paperwork.case.schema import json_schema
from paperwork.case.yamlfile import parse_yaml
from paperwork.errors import CaseError, OutsideWorkspace, PaperworkError, Refused, StaleWrite
from paperwork.files import sniff_file
from paperwork.serve.builder import preview
from paperwork.serve.deps import case_folder, create_new, record_build, recorded, refused, server_of, user_of
from paperwork.serve.index import SORTS
from paperwork.serve.index import Query as CaseQuery
from paperwork.serve.overview import STATES, check, dates_of, findings_payload, list_row, status_of
from paperwork.serve.uploads import UPLOAD_BODY, stored
from paperwork.serve.workspace import CaseFolder, plain_name

__all__ = ["router", "stale"]

router = APIRouter(prefix="/api", tags=["cases"])

_MAX_JSON = 5_000_000


#: How deep a case's JSON may nest (the case file itself goes four levels down).
_MAX_DEPTH = 32


def _depth(value: object) -> int:
    """How deep ``value`` nests (a scalar is 0), counted without recursion."""
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        if level <= _MAX_DEPTH:
            todo.extend((child, level + 1) for child in children)
    return deepest


def _kept_inside(request: Request, case: CaseFolder, data: object) -> None:
    """422 with a PATH_OUTSIDE_WORKSPACE finding per file of ``data`` that lies outside the workspace."""
    escaping = server_of(request).workspace.escaping(case, data)
    if escaping:
        raise refused(422, findings=escaping)


def stale(case_id: str, exc: StaleWrite) -> Refused:
    """409 CASE_STALE naming the case, not where the server keeps its file."""
    message = f"案卷 {case_id} 在您读取之后已被别人修改；请重新载入，再把您的修改填上（您的修改没有保存）"
    return refused(409, "CASE_STALE", message, headers={"ETag": exc.current})


def _checked_or_422(request: Request, case: CaseFolder) -> Any:
    checked = check(case.case_file, server_of(request).settings)
    if checked.resolved is None:
        return JSONResponse(findings_payload(checked), status_code=422)
    return checked


@router.get("/schema", summary="案卷文件的 JSON Schema（= paperwork schema）")
def schema() -> dict[str, Any]:
    return json_schema()


@router.get("/cases", summary="案卷列表（搜索、筛选、分页）")
def list_cases(
    request: Request,
    q: Annotated[str, Query(max_length=100)] = "",
    status: Annotated[str, Query()] = "",
    kind: Annotated[str, Query()] = "",
    limit: Annotated[int | None, Query(ge=1, le=1000)] = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    sort: Annotated[str, Query()] = "",
) -> JSONResponse:
    """The workspace's cases: ``[{case_id, customer, kind, ok, errors, todos, warnings, overdue, state, due,
    remaining, regime, …}]`` (``due``/``remaining``: the most urgent running step's due date and working days
    left, negative when over). ``q`` finds cases whose id, customer, 户号, address, phone, contractor or any
    paper's title or 文号 contains it; ``status`` (超期/进行中/已完成) and ``kind`` (新装/增容) filter;
    ``limit`` and ``offset`` page. Order (``sort``): ``urgency`` (the most urgent first: the default for
    the whole list) or ``activity`` (the most recently changed first: the default when searching or
    paging). The header ``X-Total-Count`` says how many match."""
    if status and status not in STATES:
        raise refused(422, "REQUEST_INVALID", f"status 只能是 {'、'.join(STATES)}", "status")
    if kind and kind not in KINDS:
        raise refused(422, "REQUEST_INVALID", f"kind 只能是 {'、'.join(KINDS)}", "kind")
    if sort and sort not in SORTS:
        raise refused(422, "REQUEST_INVALID", f"sort 只能是 {'、'.join(SORTS)}", "sort")
    order = sort or ("activity" if q or limit is not None or offset else "urgency")
    query = CaseQuery(q=q, state=status, kind=kind, limit=limit, offset=offset, sort=order)
    total, rows = server_of(request).index.rows(query)
    return JSONResponse(rows, headers={"X-Total-Count": str(total)})


@router.post("/cases", status_code=201, summary="新建案卷")
def new_case(request: Request, body: Annotated[dict[str, Any], Body()]) -> JSONResponse:
    """``{case_id, kind, application_date, customer: {name}}`` → 201 and the new case's row."""
    server = server_of(request)
    case_id, folder, tag = create_new(request, body)
    row = list_row(case_id, folder, check(folder.case_file, server.settings), server.settings)
    headers = {"ETag": tag, "Location": f"/api/cases/{case_id}"}
    return JSONResponse(row, status_code=201, headers=headers)


@router.get("/cases/{case_id}", summary="案卷内容（带 ETag）")
def get_case(request: Request, case_id: str) -> JSONResponse:
    """The case file as JSON; its ETag goes back in ``If-Match`` with the next PUT."""
    data, tag = read_case(case_folder(request, case_id).case_file)
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
        raise refused(413, "UPLOAD_TOO_LARGE", "案卷内容太大（超过 5 MB）")
    if _depth(body) > _MAX_DEPTH:
        raise refused(422, "REQUEST_INVALID", f"案卷内容嵌套太深（超过 {_MAX_DEPTH} 层），不是案卷")
    case = case_folder(request, case_id)
    data = normalise_dates(body)  # 2023年3月1号, 2023－3－1 … saved as 2023-03-01
    assert isinstance(data, dict)
    _kept_inside(request, case, data)
    try:
        with recorded(request, case.case_file, "edit"):
            tag = write_case(case.case_file, data, if_match)
    except StaleWrite as exc:
        raise stale(case_id, exc) from None
    payload = findings_payload(check(case.case_file, server_of(request).settings))
    return JSONResponse({**payload, "etag": tag}, headers={"ETag": tag})


@router.get(
    "/cases/{case_id}/source", summary="案卷文件原文（YAML，带 ETag）", response_class=PlainTextResponse
)
def get_source(request: Request, case_id: str) -> PlainTextResponse:
    """The case file's text as it is, also when it does not parse (to repair it on the page)."""
    text, tag = read_source(case_folder(request, case_id).case_file)
    return PlainTextResponse(text, headers={"ETag": tag}, media_type="text/yaml; charset=utf-8")


@router.put("/cases/{case_id}/source", summary="保存案卷文件原文（If-Match；不能解析时 422 并给出行号）")
async def put_source(
    request: Request, case_id: str, if_match: Annotated[str | None, Header()] = None
) -> JSONResponse:
    """The whole YAML text as the body; saved only when it parses (422 with the line when not)."""
    if int(request.headers.get("content-length") or 0) > _MAX_JSON:
        raise refused(413, "UPLOAD_TOO_LARGE", "案卷内容太大（超过 5 MB）")
    raw = await request.body()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise refused(422, "YAML_SYNTAX", "案卷文件不是 UTF-8 文字；请用 UTF-8 保存") from None
    case = case_folder(request, case_id)
    try:
        parsed: object = parse_yaml(text, str(case.case_file)).data
    except PaperworkError:  # text that does not parse: write_source says where
        parsed = None
    _kept_inside(request, case, parsed)
    try:
        tag = await run_in_threadpool(_write_source, request, case, text, if_match)
    except StaleWrite as exc:
        raise stale(case_id, exc) from None
    except CaseError as exc:
        return JSONResponse({"ok": False, "findings": [f.to_dict() for f in exc.findings]}, status_code=422)
    payload = findings_payload(check(case.case_file, server_of(request).settings))
    return JSONResponse({**payload, "etag": tag}, headers={"ETag": tag})


def _write_source(request: Request, case: CaseFolder, text: str, if_match: str | None) -> str:
    with recorded(request, case.case_file, "source"):
        return write_source(case.case_file, text, if_match)


@router.get("/cases/{case_id}/findings", summary="检查结果（= validate --format json）")
def findings(request: Request, case_id: str) -> dict[str, object]:
    return findings_payload(check(case_folder(request, case_id).case_file, server_of(request).settings))


@router.get("/cases/{case_id}/dates", summary="推算日期（= dates --format json）")
def dates(request: Request, case_id: str) -> Any:
    checked = _checked_or_422(request, case_folder(request, case_id))
    return checked if isinstance(checked, JSONResponse) else dates_of(checked)


@router.get("/cases/{case_id}/status", summary="进度与时限（= status --format json）")
def status(request: Request, case_id: str) -> Any:
    checked = _checked_or_422(request, case_folder(request, case_id))
    return checked if isinstance(checked, JSONResponse) else status_of(checked, server_of(request).settings)


@router.post("/cases/{case_id}/files", status_code=201, summary="上传扫描件", openapi_extra=UPLOAD_BODY)
async def upload(request: Request, case_id: str) -> dict[str, str]:
    """A scan or Word file → ``{file}``: the path to write in a paper's ``file:``."""
    return {"file": await stored(request, case_id)}


@router.post(
    "/cases/{case_id}/proposals",
    status_code=201,
    summary="上传扫描件并自动识别（OCR）",
    openapi_extra=UPLOAD_BODY,
)
async def propose(request: Request, case_id: str) -> dict[str, object]:
    """Store the scan as ``files`` does, then read it: ``{file, proposal, message}``, where ``proposal``
    is a paper as ``intake --format json`` gives it (title, date, number, round, application_date,
    confidence, evidence) for the clerk to confirm, or None with the reason in ``message``."""
    file = await stored(request, case_id)
    proposer = server_of(request).proposer
    return await run_in_threadpool(proposer.propose, case_folder(request, case_id), file)


@router.post("/cases/{case_id}/build", summary="装订（?draft=true 为草稿）")
def build(request: Request, case_id: str, draft: Annotated[bool, Query()] = False) -> JSONResponse:
    """``{ok, pages, seconds, files, findings}``; 422 with the findings when the case has errors (not a
    draft). ``serve --queue``: 202 ``{task, state, …}`` (the same task while it runs), then ``…/progress``."""
    server = server_of(request)
    case = case_folder(request, case_id)
    data, _ = read_case(case.case_file)
    _kept_inside(request, case, data)  # no file from outside the workspace is bound
    server.workspace.out_of(case)  # nor is a binder written outside it (a 装订 that links out)
    server.history.available()  # a build that could not be recorded is not made
    user = user_of(request)
    signer = user.display if user else None
    if server.builder.queue is not None:  # serve --queue: 202 with the task; a second click, the same
        on_built = functools.partial(record_build, server.history, case.case_file, user, draft)
        ticket = server.builder.submit(case, draft=draft, signer=signer, on_built=on_built)  # 503: QueueLost
        return JSONResponse(ticket.to_dict(), status_code=202)
    answer = server.builder.build(case, draft=draft, signer=signer)
    if answer.ok:
        record_build(server.history, case.case_file, user, draft, answer)
        return JSONResponse(answer.to_dict())
    return JSONResponse(answer.to_dict(), status_code=422 if answer.findings else 500)


@router.get("/cases/{case_id}/progress", summary="装订进度")
def progress(request: Request, case_id: str) -> dict[str, object]:
    return server_of(request).builder.progress(case_folder(request, case_id))


@router.get("/cases/{case_id}/files/{name}", summary="下载装订结果")
def download(request: Request, case_id: str, name: str) -> FileResponse:
    """大本资料.pdf, 小本资料.pdf, 卷内目录.xlsx of the last build, named ``{case_id}-{name}``."""
    path = server_of(request).workspace.output(case_folder(request, case_id), name)
    if path is None:
        raise refused(404, "OUTPUT_MISSING", f"还没有 {name}；请先装订", "name")
    return FileResponse(path, filename=f"{case_id}-{name}")


@router.get(
    "/cases/{case_id}/forms/{name}", summary="下载一份表单（{key}.docx 或 {key}.pdf，按案卷现状填写）"
)
def form_download(request: Request, case_id: str, name: str) -> Any:
    """A form the contractor prints (``key`` as ``paperwork forms`` lists it), filled from the case as
    it stands, without the 草稿 band: ``{case_id}-{题名}.docx`` or ``.pdf``."""
    from paperwork.binder.forms import render_form

    key, dot, suffix = name.rpartition(".")
    if not dot or suffix.lower() not in {"docx", "pdf"}:
        raise refused(404, "OUTPUT_MISSING", f"没有 {name}：请写成 表单标识.docx 或 表单标识.pdf", "name")
    server = server_of(request)
    checked = _checked_or_422(request, case_folder(request, case_id))
    if isinstance(checked, JSONResponse):
        return checked
    form = checked.resolved.bureau.form_by_key(key)
    if form is None or not form.generated:
        keys = "、".join(f.key for f in checked.resolved.bureau.forms if f.generated)
        raise refused(404, "OUTPUT_MISSING", f"没有可打印的表单“{key}”；可用的有：{keys}", "name")
    tmp = Path(tempfile.mkdtemp(prefix="paperwork-form-"))
    cleanup = BackgroundTask(shutil.rmtree, tmp, ignore_errors=True)
    try:
        out = render_form(
            checked.resolved, form.key, tmp / f"{form.key}.{suffix.lower()}", converter=server.converter
        )
    except PaperworkError:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return FileResponse(out, filename=f"{case_id}-{form.title}.{suffix.lower()}", background=cleanup)


@router.get("/cases/{case_id}/scans/{name}", summary="打开上传的扫描件（OCR 建议旁边显示）")
def scan_file(request: Request, case_id: str, name: str) -> FileResponse:
    """A file of the case's ``scans/`` folder, inline (a proposal's scan before it is confirmed)."""
    case = case_folder(request, case_id)
    return _inline(request, case_id, case.folder / "scans" / plain_name(name, "文件名"), "name")


def _existing(request: Request, path: Path, field: str) -> Path:
    """``path`` resolved: 403 when it leads out of the workspace, 404 FILE_MISSING when it is not there."""
    try:
        real = server_of(request).workspace.inside(path)
    except OutsideWorkspace as exc:
        raise refused(403, "REQUEST_INVALID", str(exc), field) from None
    if not real.is_file():
        raise refused(404, "FILE_MISSING", f"文件 {path.name} 不存在", field)
    return real


def _inline(request: Request, case_id: str, path: Path, field: str) -> FileResponse:
    """A scan or file of a case, inline where the browser shows it (PDF, image), else as a download."""
    real = _existing(request, path, field)
    kind = sniff_file(real)
    media = "application/pdf" if kind is not None and kind.kind == "pdf" else None
    if kind is not None and kind.kind == "image":
        media = "image/" + {".jpg": "jpeg", ".tif": "tiff"}.get(kind.suffix, kind.suffix.lstrip("."))
    return FileResponse(
        real,
        media_type=media or "application/octet-stream",
        filename=f"{case_id}-{real.name}",
        content_disposition_type="inline" if media else "attachment",
    )


def _paper_file(request: Request, case: CaseFolder, n: int) -> Path:
    """The file named by ``documents[n]`` of the case, checked to be inside the workspace and present."""
    try:
        data, _ = read_case(case.case_file)
    except (PaperworkError, OSError):
        raise refused(422, "CASE_UNREADABLE", "案卷文件现在无法读取；请先修好案卷文件", "case_id") from None
    papers = data.get("documents") if isinstance(data, dict) else None
    paper = papers[n] if isinstance(papers, list) and 0 <= n < len(papers) else None
    name = paper.get("file") if isinstance(paper, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise refused(404, "FILE_MISSING", f"资料第 {n + 1} 行没有文件", "n")
    return _existing(request, case.folder / name.replace("\\", "/"), "n")


@router.get("/cases/{case_id}/documents/{n}/file", summary="打开资料的扫描件或文件（n 为 documents[n]）")
def document_file(request: Request, case_id: str, n: int) -> FileResponse:
    """The file of paper ``documents[n]``, inline: a PDF in the browser's viewer, an image as itself."""
    case = case_folder(request, case_id)
    return _inline(request, case_id, _paper_file(request, case, n), "n")


@router.get(
    "/cases/{case_id}/documents/{n}/thumb.png", summary="资料第一页的缩略图（PDF）", include_in_schema=False
)
def document_thumb(request: Request, case_id: str, n: int) -> FileResponse:
    """The first page of a PDF paper as a small PNG, kept in the case's output folder (``.thumbs``)."""
    case = case_folder(request, case_id)
    real = _paper_file(request, case, n)
    kind = sniff_file(real)
    png = None
    if kind is not None and kind.kind == "pdf":
        folder = server_of(request).workspace.out_of(case) / ".thumbs"
        png = preview(real, 1, width=160, folder=folder, stem=f"{n}-{real.stem}")
    if png is None:
        raise refused(404, "OUTPUT_MISSING", f"资料第 {n + 1} 行的文件没有缩略图", "n")
    return FileResponse(png, media_type="image/png")


@router.get("/cases/{case_id}/previews/{name}/{page}.png", summary="页面预览", include_in_schema=False)
def page_preview(request: Request, case_id: str, name: str, page: int) -> Response:
    path = server_of(request).workspace.output(case_folder(request, case_id), name)
    png = preview(path, page) if path is not None and path.suffix == ".pdf" and page >= 1 else None
    if png is None:
        raise refused(404, "OUTPUT_MISSING", f"{name} 没有第 {page} 页的预览", "page")
    return FileResponse(png, media_type="image/png")


@router.get("/ledger.xlsx", summary="台账（整个工作区）")
def ledger(request: Request) -> FileResponse:
    from paperwork.render.ledger import write_ledger

    server = server_of(request)
    entries = server.index.ledger()
    tmp = Path(tempfile.mkdtemp(prefix="paperwork-ledger-"))
    out = write_ledger(entries, tmp / "台账.xlsx")
    cleanup = BackgroundTask(shutil.rmtree, tmp, ignore_errors=True)
    return FileResponse(out, filename=f"台账-{dt.date.today().isoformat()}.xlsx", background=cleanup)
