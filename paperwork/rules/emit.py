"""Findings that know their case file and the line of their field path: what every check makes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from paperwork.case.model import Case
from paperwork.case.paths import label_of
from paperwork.finding import Finding, Severity
from paperwork.rules.workdays import WorkCalendar

__all__ = ["Checking", "Emit"]


@dataclass(frozen=True)
class Checking:
    """What every check runs against: the day (None: no date is checked against today) and the
    working-day calendar. The CLI and the server say which day it is; the rules never ask."""

    today: date | None
    calendar: WorkCalendar


class Emit:
    """Builds findings that know the case file and the line of their path."""

    def __init__(self, case: Case) -> None:
        self.case = case

    def __call__(
        self,
        severity: Severity,
        code: str,
        message: str,
        path: str | None,
        rule: str | None = None,
        subject: str | None = None,
        fields: tuple[str, ...] = (),
    ) -> Finding:
        line = self.case.line(path) if path else None
        label = label_of(path) if path else None
        return Finding(code, severity, message, path, line, rule, self.case.source, subject, label, fields)
