"""The 台账: every case on one sheet, every finding on a second, for the clerk's manager."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from paperwork.errors import PaperworkError
from paperwork.files import atomic_path
from paperwork.finding import SEVERITY_NAMES
from paperwork.render.sheets import cells, set_up_sheet, sheet_styles, styled
from paperwork.rules.checked import Checked, check_file
from paperwork.rules.timeline import Regime, timeline
from paperwork.rules.workdays import WorkCalendar

__all__ = [
    "FINDINGS_SHEET",
    "LEDGER_SHEET",
    "LedgerLine",
    "LedgerStep",
    "gather",
    "ledger_line",
    "write_ledger",
]

LEDGER_SHEET = "台账"
FINDINGS_SHEET = "问题清单"
_OVERDUE = PatternFill("solid", fgColor="F4B6B6")
_FAILED = PatternFill("solid", fgColor="FFE699")
_LATE_FONT = Font(bold=True, color="9C0006")


@dataclass(frozen=True)
class LedgerStep:
    """A step's cells: its start, its end (进行中 while open), its working days; ``limit``: None untimed."""

    step: str
    start: str
    end: str
    days: int | None
    overdue: bool
    limit: int | None


@dataclass(frozen=True)
class LedgerLine:
    """One case of the ledger as plain values: its row, its findings, or why it could not be read
    (``failure``). JSON-ready (:meth:`to_dict`, :meth:`from_dict`), so the server keeps it in its index."""

    path: str
    case_id: str
    failure: str | None = None
    customer: str = ""
    kind: str = ""
    kva: float | int | str = ""
    application_date: str = ""
    steps: tuple[LedgerStep, ...] = ()
    regime: str = ""
    overdue: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    to_do: tuple[str, ...] = ()
    errors: int = 0
    warnings: int = 0
    messages: tuple[str, ...] = ()
    findings: tuple[dict[str, object], ...] = ()

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LedgerLine:
        steps = tuple(LedgerStep(**s) for s in data.get("steps", ()))
        tuples: dict[str, Any] = {
            k: tuple(data.get(k, ())) for k in ("overdue", "missing", "to_do", "messages", "findings")
        }
        rest: dict[str, Any] = {k: v for k, v in data.items() if k not in tuples and k != "steps"}
        return cls(**rest, steps=steps, **tuples)


def ledger_line(
    path: Path, checked: Checked, regime: Regime | None, calendar: WorkCalendar, today: dt.date
) -> LedgerLine:
    """The ledger's line of a checked case (a case that could not be read or timed: a line saying why)."""
    folder = path.parent.name or str(path)
    # the 问题清单 lists errors and warnings; a case's 待办 papers are its row's 待办资料
    findings = tuple(f.to_dict() for f in checked.findings if f.severity != "todo")
    if checked.resolved is None or checked.report is None:
        first = checked.failure[0].message if checked.failure else ""
        errors = len([f for f in checked.failure if f.severity == "error"]) or 1
        return LedgerLine(str(path), folder, f"无法读取：{first}", errors=errors, findings=findings)
    report = checked.report
    try:
        line = timeline(checked.resolved, regime, calendar, today)
    except (PaperworkError, ValueError, ArithmeticError) as exc:
        # one absurd case is a row that says why, never the end of the whole ledger
        return LedgerLine(str(path), folder, f"无法处理：{exc}", errors=1)
    case = report.case
    steps = tuple(
        LedgerStep(
            s.step,
            s.start.isoformat() if s.start else "",
            s.end.isoformat() if s.end else ("进行中" if s.start else ""),
            s.working_days,
            s.overdue,
            s.limit if s.timed else None,
        )
        for s in line.steps
    )
    return LedgerLine(
        str(path),
        case.case_id,
        customer=case.customer.name,
        kind=str(case.kind),
        kva=case.capacity.requested_kva if case.capacity and case.capacity.requested_kva is not None else "",
        application_date=case.application_date.isoformat(),
        steps=steps,
        regime=line.regime.name,
        overdue=tuple(s.step for s in line.overdue),
        missing=tuple(f.subject or "" for f in report.errors if f.code == "PAPER_MISSING"),
        to_do=tuple(f.subject or "" for f in report.todos if f.code == "PAPER_MISSING"),
        errors=len(report.errors),
        warnings=len(report.warnings),
        messages=tuple(f.message for f in report.errors),
        findings=findings,
    )


def gather(
    paths: Iterable[Path], regime: Regime | None, calendar: WorkCalendar, today: dt.date
) -> list[LedgerLine]:
    """Load, validate and time every case; a case that fails to load becomes a line saying why."""
    return [
        ledger_line(p, check_file(p, today=today, calendar=calendar), regime, calendar, today) for p in paths
    ]


def _step_names(entries: list[LedgerLine]) -> list[tuple[str, str]]:
    """Each step of any case's timeline, with its column title (its limit where every case has the same)."""
    limits: dict[str, set[int]] = {}
    for entry in entries:
        for step in entry.steps:
            found = limits.setdefault(step.step, set())
            if step.limit is not None:
                found.add(step.limit)
    return [
        (name, f"{name} 工作日（限{next(iter(found))}）" if len(found) == 1 else f"{name} 工作日")
        for name, found in limits.items()
    ]


def _ledger_rows(
    entries: list[LedgerLine], steps: list[tuple[str, str]]
) -> Iterator[tuple[list[object], str, set[int]]]:
    """Each case's row of the 台账 sheet, how it is marked (``failed``, ``late`` or ``""``) and the
    0-based columns of its overdue steps."""
    for entry in entries:
        if entry.failure is not None:
            row: list[object] = [entry.case_id, "", "", "", "", *[""] * (3 * len(steps))]
            yield [*row, "", "", "", "", entry.errors, 0, entry.failure], "failed", set()
            continue
        row = [entry.case_id, entry.customer, entry.kind, entry.kva, entry.application_date]
        late: set[int] = set()
        by_name = {s.step: s for s in entry.steps}
        for name, _ in steps:
            step = by_name.get(name)
            if step is None:
                row += ["", "", ""]
                continue
            row += [step.start, step.end, step.days if step.days is not None else ""]
            if step.overdue:
                late.add(len(row) - 1)
        row += [
            entry.regime,
            "、".join(entry.overdue),
            "、".join(entry.missing),
            "、".join(entry.to_do),
            entry.errors,
            entry.warnings,
            "\n".join(entry.messages),
        ]
        yield row, "late" if late else "", late


def _finding_rows(entries: list[LedgerLine]) -> Iterator[list[object]]:
    for entry in entries:
        for f in entry.findings:
            level = SEVERITY_NAMES[str(f["severity"])]
            where = [f.get("rule") or "", f.get("path") or "", f.get("line") or ""]
            yield [entry.case_id, entry.path, level, f["code"], *where, f["message"]]
        if entry.failure and not entry.findings:
            yield [entry.case_id, entry.path, "错误", "", "", "", "", entry.failure]


def write_ledger(entries: list[LedgerLine], out: Path) -> Path:
    """Write the 台账 workbook: a row per case, then every error and warning of every case (问题清单).
    Streamed (openpyxl's write-only mode): thousands of cases in seconds and little memory."""
    wb = Workbook(write_only=True)
    styles = sheet_styles(wb)
    ws = wb.create_sheet(LEDGER_SHEET)
    steps = _step_names(entries)
    head = ["案卷编号", "户名", "业务类型", "申请容量(kVA)", "报装日期"]
    for name, title in steps:
        head += [f"{name} 开始", f"{name} 结束", title]
    head += ["时限制度", "超期步骤", "缺少资料", "待办资料", "错误数", "警告数", "错误与说明"]
    widths = (16, 26, 8, 12, 12, *([12, 12, 10] * len(steps)), 14, 18, 30, 30, 8, 8, 60)
    set_up_sheet(ws, widths, rows=len(entries) + 1)
    ws.append(styled(ws, cells(head), styles.head))
    for row, mark, late in _ledger_rows(entries, steps):
        line = styled(ws, cells(row), styles.body)
        for i, cell in enumerate(line):
            if mark == "failed" or (mark == "late" and i == 0):
                cell.fill = _FAILED if mark == "failed" else _OVERDUE
            if i in late:
                cell.fill, cell.font = _OVERDUE, _LATE_FONT
        ws.append(line)

    findings = list(_finding_rows(entries))
    fs = wb.create_sheet(FINDINGS_SHEET)
    set_up_sheet(fs, (16, 36, 6, 24, 6, 26, 6, 80), rows=len(findings) + 1)
    fs.append(
        styled(fs, cells(["案卷编号", "案卷文件", "级别", "代码", "规则", "字段", "行", "说明"]), styles.head)
    )
    for values in findings:  # plain cells: tens of thousands of rows stay quick to write
        fs.append(cells(values))
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        wb.save(str(tmp))
    return out
