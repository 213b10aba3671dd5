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
from paperwork.rules.timeline import DEFAULT_REGIME, Regime, load_regimes, timeline
from paperwork.rules.workdays import WorkCalendar, load_calendar
from paperwork.serve.workspace import CaseFolder, Workspace

__all__ = ["Checked", "ServerSettings", "case_rows", "check", "findings_payload", "list_row"]


@dataclass(frozen=True)
class ServerSettings:
    """What the server checks against: the day (None: the real date, asked at each request), the
    time-limit regime and the working-day calendar."""

    today: dt.date | None = None
    regime: Regime = field(default_factory=lambda: load_regimes()[DEFAULT_REGIME])
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


def list_row(case_id: str, case: CaseFolder, checked: Checked, settings: ServerSettings) -> dict[str, object]:
    """The case list's row: ``{case_id, customer, kind, ok, errors, warnings, overdue, …}``."""
    findings = checked.findings
    row: dict[str, object] = {
        "case_id": case_id,
        "folder": case.name,
        "customer": None,
        "kind": None,
        "ok": checked.report.ok if checked.report is not None else False,
        "errors": sum(1 for f in findings if f.severity == "error"),
        "warnings": sum(1 for f in findings if f.severity == "warning"),
        "overdue": 0,
        "overdue_steps": [],
        "next_step": None,
    }
    if checked.resolved is not None:
        c = checked.resolved.case
        row.update(customer=c.customer.name, kind=str(c.kind))
        line = timeline(checked.resolved, settings.regime, settings.calendar, settings.day)
        upcoming = next_step(checked.resolved)
        late = [s.step for s in line.overdue]
        row.update(overdue=len(late), overdue_steps=late, next_step=upcoming.name if upcoming else None)
    return row


def dates_of(checked: Checked) -> dict[str, object]:
    """``dates --format json`` (the case must have been read)."""
    assert checked.resolved is not None
    return dates_payload(checked.resolved)


def status_of(checked: Checked, settings: ServerSettings) -> dict[str, object]:
    """``status --format json`` (the case must have been read)."""
    assert checked.resolved is not None
    return status_payload(checked.resolved, settings.regime, settings.calendar, settings.day)


def case_rows(workspace: Workspace, settings: ServerSettings) -> list[dict[str, object]]:
    """Every case of the workspace as its list row, by folder name."""
    return [
        list_row(workspace.case_id(c), c, check(c.case_file, settings), settings) for c in workspace.cases()
    ]
