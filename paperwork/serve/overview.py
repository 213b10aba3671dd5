"""What the server says about a case: its row in the list, its findings, dates and status.

Each answer is built from the case file as it is on disk now (a hand edit or a git
pull shows at once) through the same functions as the CLI's JSON, so that
``GET …/findings`` is ``validate --format json`` and so on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from paperwork.rules.answers import dates_payload, status_payload
from paperwork.rules.checked import Checked, check_file
from paperwork.rules.checklist import next_step
from paperwork.rules.timeline import Regime, timeline
from paperwork.rules.workdays import WorkCalendar, load_calendar
from paperwork.serve.workspace import CaseFolder

__all__ = [
    "STATES",
    "Checked",
    "ServerSettings",
    "check",
    "findings_payload",
    "list_row",
    "urgency",
]


@dataclass(frozen=True)
class ServerSettings:
    """What the server checks against: the day (None: the real date, asked at each request), the
    time-limit regime and the working-day calendar."""

    today: dt.date | None = None
    regime: Regime | None = None  # None: each case by the regime in force on its 报装日期
    calendar: WorkCalendar = field(default_factory=load_calendar)

    @property
    def day(self) -> dt.date:
        return self.today or dt.date.today()


def check(path: Path, settings: ServerSettings) -> Checked:
    """The case file at ``path`` read and checked as of the server's day; never raises for a bad case."""
    return check_file(path, today=settings.day, calendar=settings.calendar)


def findings_payload(checked: Checked) -> dict[str, object]:
    """``validate --format json``: ``{ok, findings}``."""
    if checked.report is not None:
        return checked.report.to_dict()
    return {"ok": False, "findings": [f.to_dict() for f in checked.failure]}


#: The case list's filters, by a case's ``state``.
STATES = ("超期", "进行中", "已完成")


def list_row(case_id: str, case: CaseFolder, checked: Checked, settings: ServerSettings) -> dict[str, object]:
    """The case list's row: ``{case_id, customer, kind, ok, errors, todos, warnings, overdue, state, due,
    remaining, …}``; ``due``/``remaining`` are those of the most urgent running step (None: none runs)."""
    findings = checked.findings
    row: dict[str, object] = {
        "case_id": case_id,
        "folder": case.name,
        "customer": None,
        "kind": None,
        "application_date": None,
        "ok": checked.report.ok if checked.report is not None else False,
        "readable": checked.resolved is not None,
        "errors": sum(1 for f in findings if f.severity == "error"),
        "todos": sum(1 for f in findings if f.severity == "todo"),
        "warnings": sum(1 for f in findings if f.severity == "warning"),
        "overdue": 0,
        "overdue_steps": [],
        "next_step": None,
        "state": None if checked.resolved is not None else "无法读取",
        "regime": None,
        "due_step": None,
        "due": None,
        "remaining": None,
        "article": None,
    }
    if checked.resolved is not None:
        c = checked.resolved.case
        row.update(
            customer=c.customer.name, kind=str(c.kind), application_date=c.application_date.isoformat()
        )
        line = timeline(checked.resolved, settings.regime, settings.calendar, settings.day)
        upcoming = next_step(checked.resolved)
        late = [s.step for s in line.overdue]
        running = [s for s in line.steps if s.open and s.remaining is not None]
        urgent = min(running, key=lambda s: s.remaining or 0) if running else None
        if upcoming is None:
            state = "已完成"
        elif urgent is not None and urgent.overdue:
            state = "超期"
        else:
            state = "进行中"
        row.update(
            overdue=len(late),
            overdue_steps=late,
            next_step=upcoming.name if upcoming else None,
            state=state,
            regime=line.regime.name,
        )
        if urgent is not None:
            row.update(
                due_step=urgent.step,
                due=urgent.due.isoformat() if urgent.due else None,
                remaining=urgent.remaining,
                article=urgent.article or None,
            )
    return row


def urgency(row: dict[str, object]) -> tuple[int, int, str]:
    """The list's order: running steps by working days left (late first), then the rest, finished last."""
    remaining = row.get("remaining")
    if isinstance(remaining, int):
        return (0, remaining, str(row["case_id"]))
    return (2 if row.get("state") == "已完成" else 1, 0, str(row["case_id"]))


def dates_of(checked: Checked) -> dict[str, object]:
    """``dates --format json`` (the case must have been read)."""
    assert checked.resolved is not None
    return dates_payload(checked.resolved)


def status_of(checked: Checked, settings: ServerSettings) -> dict[str, object]:
    """``status --format json`` (the case must have been read)."""
    assert checked.resolved is not None
    return status_payload(checked.resolved, settings.regime, settings.calendar, settings.day)
