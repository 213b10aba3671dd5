"""Dates that make a hookup impossible or absurd: a process paper before the application, or years
after it; a customer's own paper decades before it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from paperwork.finding import Finding
from paperwork.rules.emit import Checking, Emit
from paperwork.rules.resolution import Resolved

__all__ = ["PLAUSIBLE_YEARS", "PROCESS_YEARS", "check_before_application", "check_years_after_application"]


#: A customer's own paper (a certificate, a licence) older than this before the application is
#: most likely a typo in the year.
PLAUSIBLE_YEARS = 40
#: Years a process paper may come after the application before its year is surely wrong (twice: an error).
PROCESS_YEARS = 5


def _years(later: date, earlier: date) -> float:
    return (later - earlier).days / 365.25


def check_years_after_application(r: Resolved, emit: Emit, at: Checking) -> Iterator[Finding]:
    """A hookup takes months: a process paper years after the application has a year written wrong —
    the application's, when every process paper is that late (one finding), else that paper's."""
    start = r.case.application_date
    dated = [
        (p, p.document.date)
        for p in r.papers
        if not p.implicit and p.form is not None and not p.form.may_predate and p.document.date
    ]
    late = [
        (p, day)
        for p, day in dated
        if day is not None
        and _years(day, start) > PROCESS_YEARS
        and (at.today is None or day <= at.today)  # a future date is said so already
    ]
    if late and len(late) == len(dated):
        first, day = min(late, key=lambda pair: pair[1])
        years = int(_years(day, start))
        yield emit(
            "error" if years > 2 * PROCESS_YEARS else "warning",
            "DATE_IMPLAUSIBLE",
            f"报装日期 {start.isoformat()} 比最早的流程资料{first.title}（{day.isoformat()}）"
            f"早了 {years} 年；一次报装不会拖这么久，请核对报装日期的年份",
            "application_date",
        )
        return
    for p, day in late:
        years = int(_years(day, start))
        yield emit(
            "error" if years > 2 * PROCESS_YEARS else "warning",
            "DATE_IMPLAUSIBLE",
            f"{p.title}的日期 {day.isoformat()} 比报装日期 {start.isoformat()} 晚了 {years} 年；"
            "一次报装不会拖这么久，请核对这份资料的年份",
            f"{p.path}.date",
        )


def check_before_application(r: Resolved, emit: Emit, at: Checking) -> Iterator[Finding]:
    """Papers of the bureau and of the process are not older than the application."""
    start = r.case.application_date
    for p in r.papers:
        if p.implicit or p.form is None or p.document.date is None:
            continue
        if p.form.may_predate:
            if (start - p.document.date).days > PLAUSIBLE_YEARS * 366:
                yield emit(
                    "warning",
                    "DATE_IMPLAUSIBLE",
                    f"{p.title}的日期 {p.document.date.isoformat()} 比报装日期 {start.isoformat()} "
                    f"早了 {PLAUSIBLE_YEARS} 年以上；请核对是否写错年份",
                    f"{p.path}.date",
                )
            continue
        if p.document.date < start:
            yield emit(
                "error",
                "DATE_BEFORE_APPLICATION",
                f"{p.title}的日期 {p.document.date.isoformat()} 早于报装日期 {start.isoformat()}；"
                "流程中产生的资料不能早于报装，请核对日期或报装日期",
                f"{p.path}.date",
            )
