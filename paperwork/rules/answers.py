"""The JSON answers the CLI prints and the server returns: one builder each, so both say the same."""

from __future__ import annotations

import datetime as dt

from paperwork.rules.checklist import next_step
from paperwork.rules.derived import derived_dates
from paperwork.rules.resolution import Resolved
from paperwork.rules.timeline import Regime, Timeline, timeline
from paperwork.rules.workdays import WorkCalendar, no_calendar_data

__all__ = ["dates_payload", "missing_year_notes", "status_payload"]


def dates_payload(resolved: Resolved) -> dict[str, object]:
    """``dates --format json``: every date the rules dictate, with its rule and basis."""
    return {"case_id": resolved.case.case_id, "rules": [d.to_dict() for d in derived_dates(resolved)]}


def missing_year_notes(line: Timeline) -> list[str]:
    """A note for each year whose official holidays are not known (weekends only are counted)."""
    return [no_calendar_data(year) for year in line.missing_years]


def status_payload(
    resolved: Resolved, regime: Regime | None, calendar: WorkCalendar, today: dt.date
) -> dict[str, object]:
    """``status --format json``: each step's dates, working days and limit; the next step's list."""
    line = timeline(resolved, regime, calendar, today)
    upcoming = next_step(resolved)
    return {
        "case_id": resolved.case.case_id,
        "regime": line.regime.name,
        "today": today.isoformat(),
        "steps": [s.to_dict() for s in line.steps],
        "next_step": upcoming.to_dict() if upcoming else None,
        "warnings": missing_year_notes(line),
    }
