"""A case file read, resolved and checked in one call that never raises for a bad case.

The one reader behind every list of cases (the server's list and pages, the ledger, the
intake's check of what it wrote): a case that cannot be read is a :class:`Checked` with the
findings that say why, not an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from paperwork.errors import CaseError, PaperworkError
from paperwork.finding import Finding
from paperwork.rules.bureau import Bureau, load_bureau
from paperwork.rules.resolution import Resolved, resolve_file
from paperwork.rules.validation import Report, validate
from paperwork.rules.workdays import WorkCalendar

__all__ = ["Checked", "check_file"]


@dataclass(frozen=True)
class Checked:
    """A case read and checked, or the findings that stopped it being read."""

    path: Path
    resolved: Resolved | None
    report: Report | None
    failure: tuple[Finding, ...] = ()

    @property
    def bureau(self) -> Bureau:
        """The case's bureau data, or the shipped data when the case could not be read."""
        return self.resolved.bureau if self.resolved is not None else load_bureau()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.report.findings if self.report is not None else self.failure


def check_file(
    path: Path,
    *,
    bureau_file: Path | None = None,
    today: date | None = None,
    calendar: WorkCalendar | None = None,
) -> Checked:
    """Read, resolve and validate the case file at ``path``; never raises for a bad case.

    A case file that cannot be read gives its findings (CASE_INVALID …, with lines); any other
    reason it cannot be checked (a file gone, an unreadable folder, an absurd value) is one
    CASE_UNREADABLE finding naming the file.
    """
    try:
        resolved = resolve_file(path, bureau_file)
        return Checked(path, resolved, validate(resolved, today=today, calendar=calendar))
    except CaseError as exc:
        return Checked(path, None, None, exc.findings)
    except (PaperworkError, OSError, ValueError, ArithmeticError, RecursionError) as exc:
        # one absurd case is a row that says why, never the end of a whole list
        finding = Finding("CASE_UNREADABLE", "error", f"无法处理：{exc}", source=str(path))
        return Checked(path, None, None, (finding,))
