"""The 台账: every case on one sheet, every finding on a second, for the clerk's manager."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from paperwork.errors import PaperworkError
from paperwork.files import atomic_path
from paperwork.finding import SEVERITY_NAMES, Finding
from paperwork.render.sheets import cells, style_sheet
from paperwork.rules.checked import check_file
from paperwork.rules.timeline import Regime, Timeline, timeline
from paperwork.rules.validation import Report
from paperwork.rules.workdays import WorkCalendar

__all__ = ["FINDINGS_SHEET", "LEDGER_SHEET", "CaseEntry", "gather", "write_ledger"]

LEDGER_SHEET = "台账"
FINDINGS_SHEET = "问题清单"
_OVERDUE = PatternFill("solid", fgColor="F4B6B6")
_FAILED = PatternFill("solid", fgColor="FFE699")


@dataclass(frozen=True)
class CaseEntry:
    """One case of the ledger: loaded and checked, or the reason it could not be."""

    path: Path
    report: Report | None
    timeline: Timeline | None
    findings: tuple[Finding, ...]
    failure: str | None = None


def gather(
    paths: Iterable[Path], regime: Regime | None, calendar: WorkCalendar, today: dt.date
) -> list[CaseEntry]:
    """Load, validate and time every case; a case that fails to load becomes an entry saying why."""
    entries = []
    for path in paths:
        checked = check_file(path, today=today, calendar=calendar)
        if checked.resolved is None or checked.report is None:
            first = checked.failure[0].message if checked.failure else ""
            entries.append(CaseEntry(path, None, None, checked.failure, f"无法读取：{first}"))
            continue
        try:
            line = timeline(checked.resolved, regime, calendar, today)
        except (PaperworkError, ValueError, ArithmeticError) as exc:
            # one absurd case is a row that says why, never the end of the whole ledger
            entries.append(CaseEntry(path, None, None, (), f"无法处理：{exc}"))
            continue
        entries.append(CaseEntry(path, checked.report, line, checked.report.findings))
    return entries


def _step_names(entries: list[CaseEntry]) -> list[tuple[str, str]]:
    """Each step of any case's timeline, with its column title (its limit where every case has the same)."""
    limits: dict[str, set[int]] = {}
    for entry in entries:
        for step in entry.timeline.steps if entry.timeline else ():
            found = limits.setdefault(step.step, set())
            if step.timed:
                found.add(step.limit)
    return [
        (name, f"{name} 工作日（限{next(iter(found))}）" if len(found) == 1 else f"{name} 工作日")
        for name, found in limits.items()
    ]


def write_ledger(entries: list[CaseEntry], out: Path) -> Path:
    """Write the 台账 workbook: a row per case, then every finding of every case."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = LEDGER_SHEET
    steps = _step_names(entries)
    head = ["案卷编号", "户名", "业务类型", "申请容量(kVA)", "报装日期"]
    for name, title in steps:
        head += [f"{name} 开始", f"{name} 结束", title]
    head += ["时限制度", "超期步骤", "缺少资料", "待办资料", "错误数", "警告数", "错误与说明"]
    ws.append(cells(head))
    overdue_cells = []
    failed_rows: list[int] = []
    for entry in entries:
        report, line = entry.report, entry.timeline
        if report is None or line is None:
            row: list[object] = [entry.path.parent.name or str(entry.path), "", "", "", ""]
            row += [""] * (3 * len(steps))
            errors = len([f for f in entry.findings if f.severity == "error"]) or 1
            row += ["", "", "", "", errors, 0, entry.failure]
            ws.append(cells(row))
            failed_rows.append(ws.max_row)
            continue
        case = report.case
        row = [
            case.case_id,
            case.customer.name,
            case.kind,
            case.capacity.requested_kva if case.capacity else "",
            case.application_date.isoformat(),
        ]
        by_name = {s.step: s for s in line.steps}
        for name, _ in steps:
            step = by_name.get(name)
            if step is None:
                row += ["", "", ""]
                continue
            row += [
                step.start.isoformat() if step.start else "",
                step.end.isoformat() if step.end else ("进行中" if step.start else ""),
                step.working_days if step.working_days is not None else "",
            ]
            if step.overdue:
                overdue_cells.append((ws.max_row + 1, len(row)))
        missing = [f.subject or "" for f in report.errors if f.code == "PAPER_MISSING"]
        to_do = [f.subject or "" for f in report.todos if f.code == "PAPER_MISSING"]
        row += [
            line.regime.name,
            "、".join(s.step for s in line.overdue),
            "、".join(missing),
            "、".join(to_do),
            len(report.errors),
            len(report.warnings),
            "\n".join(f.message for f in report.errors),
        ]
        ws.append(cells(row))
    widths = (16, 26, 8, 12, 12, *([12, 12, 10] * len(steps)), 14, 18, 30, 30, 8, 8, 60)
    style_sheet(ws, widths)
    for r in failed_rows:
        for cell in ws[r]:
            cell.fill = _FAILED
    for r, c in overdue_cells:
        ws.cell(r, c).fill = _OVERDUE
        ws.cell(r, c).font = Font(bold=True, color="9C0006")
        ws.cell(r, 1).fill = _OVERDUE
    ws.auto_filter.ref = ws.dimensions

    fs = wb.create_sheet(FINDINGS_SHEET)
    fs.append(cells(["案卷编号", "案卷文件", "级别", "代码", "规则", "字段", "行", "说明"]))
    for entry in entries:
        case_id = entry.report.case.case_id if entry.report else entry.path.parent.name
        for f in entry.findings:
            level = SEVERITY_NAMES[f.severity]
            fs.append(
                cells(
                    [
                        case_id,
                        str(entry.path),
                        level,
                        f.code,
                        f.rule or "",
                        f.path or "",
                        f.line or "",
                        f.message,
                    ]
                )
            )
        if entry.failure and not entry.findings:
            fs.append(cells([case_id, str(entry.path), "错误", "", "", "", "", entry.failure]))
    style_sheet(fs, (16, 36, 6, 24, 6, 26, 6, 80))
    fs.auto_filter.ref = fs.dimensions
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        wb.save(str(tmp))
    return out
