"""The clerk's pages: server-rendered Chinese HTML (Jinja2), a small script, no CDN.

The case page edits the case through the API (each change is saved with If-Match)
and swaps in the panels (findings, dates, next step, timeline) that this module
renders, so the page and the API never disagree.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from paperwork.case.casefile import read_case
from paperwork.case.model import KINDS
from paperwork.errors import CaseError, PaperworkError, Refused
from paperwork.finding import SEVERITY_NAMES
from paperwork.rules.checklist import next_step
from paperwork.rules.derived import derived_dates
from paperwork.rules.timeline import timeline
from paperwork.serve.deps import case_folder, create_new, server_of
from paperwork.serve.overview import Checked, case_rows, check
from paperwork.serve.security import COOKIE
from paperwork.serve.state import Server

__all__ = ["error_page", "login_page", "router"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).with_name("html"))


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("title", "paperwork")
    return templates.TemplateResponse(
        request, name, {"severity": SEVERITY_NAMES, **context}, status_code=status_code
    )


def login_page(request: Request, status_code: int = 200, failed: bool = False) -> HTMLResponse:
    return _page(request, "login.html", status_code, title="登录", failed=failed, next=request.url.path)


def error_page(request: Request, exc: Refused) -> HTMLResponse:
    return _page(request, "error.html", exc.status, title="出错了", findings=exc.findings)


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    return login_page(request)


@router.post("/login")
def login(request: Request, token: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    access = server_of(request).access
    if not access.login_ok(token):
        return login_page(request, 401, failed=True)
    target = next if next.startswith("/") and not next.startswith("//") else "/"
    answer = RedirectResponse(target, status_code=303)
    answer.set_cookie(COOKIE, access.session(), httponly=True, samesite="strict", max_age=30 * 86400)
    return answer


@router.get("/")
def case_list(request: Request) -> HTMLResponse:
    server = server_of(request)
    rows = case_rows(server.workspace, server.settings)
    return _page(request, "list.html", title="案卷列表", rows=rows, workspace=server.workspace.root)


@router.get("/cases/new")
def new_case_form(request: Request) -> HTMLResponse:
    return _page(request, "new.html", title="新建案卷", kinds=KINDS, values={}, findings=())


@router.post("/cases/new")
def new_case(
    request: Request,
    case_id: Annotated[str, Form()] = "",
    kind: Annotated[str, Form()] = "",
    application_date: Annotated[str, Form()] = "",
    customer: Annotated[str, Form()] = "",
) -> Response:
    body = {
        "case_id": case_id,
        "kind": kind,
        "application_date": application_date,
        "customer": {"name": customer},
    }
    try:
        create_new(server_of(request), body)
    except (Refused, CaseError) as exc:
        status = exc.status if isinstance(exc, Refused) else 422
        values = {
            "case_id": case_id,
            "kind": kind,
            "application_date": application_date,
            "customer": customer,
        }
        return _page(
            request,
            "new.html",
            status,
            title="新建案卷",
            kinds=KINDS,
            values=values,
            findings=exc.findings,
        )
    return RedirectResponse(f"/cases/{case_id.strip()}", status_code=303)


def _panels(server: Server, checked: Checked) -> dict[str, Any]:
    """What the panels beside the papers show: findings, derived dates, next step, timeline."""
    context: dict[str, Any] = {"findings": checked.findings, "dates": (), "upcoming": None, "line": None}
    if checked.resolved is not None:
        settings = server.settings
        line = timeline(checked.resolved, settings.regime, settings.calendar, settings.day)
        starts = [s.start for s in line.steps if s.start]
        ends = [s.end or settings.day for s in line.steps if s.start]
        span = (min(starts), max(ends)) if starts else None
        context.update(
            dates=derived_dates(checked.resolved),
            upcoming=next_step(checked.resolved),
            line=line,
            span=span,
            days=((span[1] - span[0]).days or 1) if span else 1,
        )
    return context


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: str) -> HTMLResponse:
    server = server_of(request)
    case = case_folder(request, case_id)
    checked = check(case.case_file, server.settings)
    bureau = checked.bureau
    try:
        data, tag = read_case(case.case_file)
    except (
        PaperworkError,
        OSError,
    ):  # a file a person is editing by hand: the panels show why, with the line
        data, tag = None, ""
    built = [
        {"name": n, "pages": _pages(p)}
        for n in ("大本资料.pdf", "小本资料.pdf", "卷内目录.xlsx")
        if (p := case.out / n).is_file()
    ]
    return _page(
        request,
        "case.html",
        title=f"{case_id} 案卷",
        case_id=case_id,
        data=data,
        data_json=json.dumps({"case": data, "etag": tag}, ensure_ascii=False).replace("</", "<\\/"),
        titles=[f.title for f in bureau.forms],
        built=built,
        **_panels(server, checked),
    )


def _pages(path: Path) -> int:
    if path.suffix != ".pdf":
        return 0
    from pypdf import PdfReader

    from paperwork.binder.page_ranges import PDF_ERRORS

    try:
        return len(PdfReader(str(path)).pages)
    except PDF_ERRORS:  # a binder being replaced, or damaged: the page shows it without a count
        return 0


@router.get("/cases/{case_id}/panels")
def case_panels(request: Request, case_id: str) -> HTMLResponse:
    """The findings, dates, next step and timeline of the case as it is on disk now."""
    server = server_of(request)
    checked = check(case_folder(request, case_id).case_file, server.settings)
    return _page(request, "panels.html", **_panels(server, checked))


@router.get("/ledger")
def ledger_page(request: Request) -> HTMLResponse:
    server = server_of(request)
    rows = case_rows(server.workspace, server.settings)
    return _page(request, "ledger.html", title="台账", rows=rows, today=server.settings.day)
