"""The clerk's pages: server-rendered Chinese HTML (Jinja2), a small script, no CDN.

The case page edits the case through the API (each change is saved with If-Match)
and swaps in the panels (findings, dates, next step, timeline) that this module
renders, so the page and the API never disagree.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from paperwork.case.casefile import read_case
from paperwork.case.model import KINDS
from paperwork.case.paths import Leaf, dotted, label_of, leaves, short_label, value_at
from paperwork.errors import CaseError, OutsideWorkspace, PaperworkError, Refused
from paperwork.finding import SEVERITY_NAMES, Finding
from paperwork.rules.checklist import next_step
from paperwork.rules.derived import derived_dates
from paperwork.rules.timeline import timeline
from paperwork.serve.deps import case_folder, create_new, server_of, user_of
from paperwork.serve.index import Query
from paperwork.serve.overview import STATES, Checked, check
from paperwork.serve.state import Server
from paperwork.serve.workspace import CaseFolder

__all__ = ["error_page", "page", "router"]

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).with_name("html"))


def in_her_words(finding: Finding) -> str:
    """A finding's message with its field path said as the page names the field (资料第 5 行的日期)."""
    message = finding.message
    if finding.path and finding.label and finding.path != "documents":
        for spelled in (finding.path, dotted(finding.path)):
            message = message.replace(spelled, f"“{finding.label}”")
    return message


templates.env.filters["dotted"] = dotted
templates.env.filters["in_her_words"] = in_her_words
templates.env.filters["field_name"] = lambda path: short_label(label_of(path))

#: The case page's sections: each takes the fields whose path starts with one of its prefixes (the papers
#: have their own table). A field no section names goes to 其他, so every field has its box.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("案卷", ("case_id", "kind", "application_date", "review_rounds", "bureau")),
    ("客户", ("customer.",)),
    ("施工单位", ("contractor.",)),
    ("容量与电源", ("capacity.", "power_sources")),
    ("用电设备", ("large_equipment", "equipment.")),
    ("登记表", ("application.",)),
    ("档案", ("archive.",)),
)


@dataclass(frozen=True)
class Section:
    """A card of the case page: its fields, and the tables (rows of a list) it holds."""

    title: str
    fields: tuple[Leaf, ...]
    tables: tuple[tuple[str, tuple[Leaf, ...]], ...]


def sections() -> tuple[Section, ...]:
    """The case page's sections, made from the case file's one description (:func:`leaves`)."""
    placed: dict[str, list[Leaf]] = {title: [] for title, _ in SECTIONS}
    rest: list[Leaf] = []
    for leaf in leaves():
        if leaf.path.startswith("documents."):
            continue
        home = next(
            (
                t
                for t, prefixes in SECTIONS
                if any(leaf.path == p or leaf.path.startswith(p) for p in prefixes)
            ),
            None,
        )
        (placed[home] if home else rest).append(leaf)
    out = []
    for title, found in [*placed.items(), ("其他", rest)]:
        if not found:
            continue
        flat = tuple(leaf for leaf in found if ".*." not in leaf.path)
        lists: dict[str, list[Leaf]] = {}
        for leaf in found:
            if ".*." in leaf.path:
                lists.setdefault(leaf.path.split(".*.")[0], []).append(leaf)
        out.append(Section(title, flat, tuple((name, tuple(cols)) for name, cols in lists.items())))
    return tuple(out)


def paper_columns() -> tuple[Leaf, ...]:
    """The columns of the papers table (``documents.*``)."""
    return tuple(leaf for leaf in leaves() if leaf.path.startswith("documents.*."))


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The template ``name`` as a page; every page knows who is logged in (``user``)."""
    context.setdefault("title", "paperwork")
    context.setdefault("user", user_of(request))
    return templates.TemplateResponse(
        request, name, {"severity": SEVERITY_NAMES, **context}, status_code=status_code
    )


def error_page(request: Request, exc: Refused) -> HTMLResponse:
    return page(request, "error.html", exc.status, title="出错了", findings=exc.findings)


#: How many cases the list page shows at once.
PAGE_SIZE = 100


@router.get("/")
def case_list(
    request: Request, state: str = "", q: str = "", kind: str = "", page_no: int = 1
) -> HTMLResponse:
    """The cases, the most urgent first, a page at a time: ``?q=`` searches (id, customer, 户号, address,
    phone, contractor, a paper's title or 文号), ``?state=超期|进行中|已完成`` and ``?kind=新装|增容``
    filter."""
    server = server_of(request)
    state = state if state in STATES else ""
    kind = kind if kind in KINDS else ""
    page_no = max(1, page_no)
    query = Query(q=q[:100], state=state, kind=kind, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE)
    total, shown = server.index.rows(query)
    counts = server.index.counts(query)
    pages = max(1, -(-total // PAGE_SIZE))
    return page(
        request,
        "list.html",
        title="案卷列表",
        shown=shown,
        total=total,
        state=state,
        states=STATES,
        kinds=KINDS,
        kind=kind,
        q=query.q,
        counts=counts,
        page_no=page_no,
        pages=pages,
        workspace=server.workspace.root,
    )


#: What a JSON text must not show an HTML parser inside a <script> element, and how it says it instead.
_HTML_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def json_in_html(value: object) -> str:
    """``value`` as JSON to embed in a ``<script type="application/json">``: ``<``, ``>``, ``&`` and the
    two line separators written as escapes, so no stored text (``<!--<script>``, ``</script>``) can end
    or bend the element; ``JSON.parse`` reads it back unchanged."""
    text = json.dumps(value, ensure_ascii=False)
    return "".join(_HTML_UNSAFE.get(c, c) for c in text)


@router.get("/cases/new")
def new_case_form(request: Request) -> HTMLResponse:
    return page(request, "new.html", title="新建案卷", kinds=KINDS, values={}, findings=())


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
        create_new(request, body)
    except (Refused, CaseError, OutsideWorkspace) as exc:
        if isinstance(exc, OutsideWorkspace):  # a case id that cannot be a folder's name
            exc = Refused(400, (Finding("REQUEST_INVALID", "error", str(exc), path="case_id"),))
        status = exc.status if isinstance(exc, Refused) else 422
        values = {
            "case_id": case_id,
            "kind": kind,
            "application_date": application_date,
            "customer": customer,
        }
        return page(
            request,
            "new.html",
            status,
            title="新建案卷",
            kinds=KINDS,
            values=values,
            findings=exc.findings,
        )
    return RedirectResponse(f"/cases/{case_id.strip()}", status_code=303)


def _todo_groups(checked: Checked) -> list[tuple[str, list[Finding]]]:
    """The case's to-do papers by step, in the bureau's order of steps."""
    bureau = checked.bureau
    order = [step.name for step in bureau.steps]
    groups: dict[str, list[Finding]] = {}
    for f in checked.findings:
        if f.severity == "todo":
            form = bureau.form(f.subject or "")
            groups.setdefault(form.step if form else "其他", []).append(f)
    return sorted(groups.items(), key=lambda g: order.index(g[0]) if g[0] in order else len(order))


def _panels(server: Server, checked: Checked) -> dict[str, Any]:
    """What the panels beside the papers show: findings, derived dates, next step, timeline."""
    context: dict[str, Any] = {
        "findings": checked.findings,
        "todo_groups": _todo_groups(checked),
        "dates": (),
        "upcoming": None,
        "line": None,
    }
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
    forms = [
        f for f in bureau.forms if f.generated and (checked.resolved is None or checked.resolved.applies(f))
    ]
    state = {
        "case": data,
        "etag": tag,
        "papers": [_column(leaf) for leaf in paper_columns()],
        "tables": {name: [_column(leaf) for leaf in cols] for s in sections() for name, cols in s.tables},
        "replies": [n for f in bureau.forms if f.reply for n in f.names],
        "rounds": [n for f in bureau.forms if f.count == "per_round" for n in f.names],
    }
    return page(
        request,
        "case.html",
        title=f"{case_id} 案卷",
        case_id=case_id,
        data=data,
        data_json=json_in_html(state),
        titles=[f.title for f in bureau.forms],
        built=built,
        last_build=_last_build(case, checked),
        sections=sections(),
        value_of=lambda path: value_at(data, path) if data is not None else None,
        forms=forms,
        large=checked.resolved.case.has_large_equipment if checked.resolved else None,
        **_panels(server, checked),
    )


def _column(leaf: Leaf) -> dict[str, object]:
    return {
        "name": leaf.name,
        "label": leaf.label,
        "short": short_label(leaf.label),
        "input": leaf.input,
        "choices": list(leaf.choices),
        "unit": leaf.unit,
        "required": leaf.required,
    }


def _last_build(case: CaseFolder, checked: Checked) -> dict[str, object] | None:
    """When the last build was made, draft or final, and whether the case changed since."""
    from paperwork.binder.manifest import MANIFEST, Manifest, fingerprint

    made = Manifest.read(case.out)
    if made is None:
        return None
    try:
        when = dt.datetime.fromtimestamp((case.out / MANIFEST).stat().st_mtime)
    except OSError:
        return None
    changed = True
    if checked.resolved is not None and made.draft is not None:
        with contextlib.suppress(OSError, PaperworkError):
            changed = fingerprint(checked.resolved, draft=made.draft, templates=None) != made.stamp
    return {"when": when.strftime("%Y-%m-%d %H:%M"), "draft": made.draft, "changed": changed}


def _pages(path: Path) -> int:
    if path.suffix != ".pdf":
        return 0
    from paperwork.binder.page_ranges import PDF_ERRORS, count_pages

    try:
        return count_pages(path)
    except PDF_ERRORS:  # a binder being replaced, or damaged: the page shows it without a count
        return 0


@router.get("/cases/{case_id}/panels")
def case_panels(request: Request, case_id: str) -> HTMLResponse:
    """The findings, dates, next step and timeline of the case as it is on disk now."""
    server = server_of(request)
    checked = check(case_folder(request, case_id).case_file, server.settings)
    return page(request, "panels.html", **_panels(server, checked))


@router.get("/ledger")
def ledger_page(request: Request) -> HTMLResponse:
    server = server_of(request)
    _, rows = server.index.rows(Query(sort="urgency"))
    return page(request, "ledger.html", title="台账", rows=rows, today=server.settings.day)
