"""China's working days: official holidays and make-up days (调休) from chinesecalendar.

For a year the package has no data for, the calendar says so (``missing_years``)
and falls back to weekends only — it never guesses holidays. A user's file can
add or correct days::

    workdays: [2027-02-06]          # make-up working days (调休上班)
    holidays: {2027-02-08: 春节}    # days off, with their name
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import chinese_calendar
from dateutil.rrule import DAILY, rrule

from paperwork.case.dates import parse_date
from paperwork.errors import ConfigError, DateFormatError
from paperwork.rules.datafile import parse_data, user_text

__all__ = ["HOLIDAY_NAMES", "WorkCalendar", "last_official_year", "load_calendar", "no_calendar_data"]

#: chinesecalendar's English holiday names in the forms' own words.
HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


@cache
def _official(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def no_calendar_data(year: int) -> str:
    """What the clerk is told of a year without official holiday data (CALENDAR_NO_DATA, status)."""
    return (
        f"{year} 年没有官方节假日和调休数据（chinesecalendar 尚未收录），该年按周末推算非工作日；"
        "可在日历文件中补上该年的节假日"
    )


def last_official_year(today: dt.date) -> int:
    """The last year for which ``chinesecalendar`` carries the State Council's holiday notice
    (looked for from two years after ``today`` down)."""
    year = today.year + 2
    while year > 2004 and not _official(year):
        year -= 1
    return year


@functools.lru_cache(maxsize=4096)
def _official_workday(day: dt.date) -> bool:
    """chinesecalendar's answer, remembered: it searches its tables on every call."""
    return bool(chinese_calendar.is_workday(day))


@dataclass(frozen=True)
class WorkCalendar:
    """Which days the bureau works; ``workdays``/``holidays`` are the user's corrections."""

    workdays: frozenset[dt.date] = frozenset()
    holidays: tuple[tuple[dt.date, str], ...] = ()
    sources: tuple[str, ...] = field(default=())

    def has_data(self, year: int) -> bool:
        """Whether official (or user) data exist for ``year``."""
        return (
            _official(year)
            or any(d.year == year for d in self.workdays)
            or any(d.year == year for d, _ in self.holidays)
        )

    def missing_years(self, days: Iterable[dt.date]) -> tuple[int, ...]:
        """The years among ``days`` that fall back to weekends only."""
        return tuple(sorted({d.year for d in days if not self.has_data(d.year)}))

    def is_workday(self, day: dt.date) -> bool:
        """A working day: official data, then the user's file, else Monday to Friday."""
        if day in self.workdays:
            return True
        if day in dict(self.holidays):
            return False
        if _official(day.year):
            return _official_workday(day)
        return day.weekday() < 5

    def why_off(self, day: dt.date) -> str | None:
        """Why a day is not worked: the holiday's name, 星期六/星期日, or None on a workday."""
        if self.is_workday(day):
            return None
        user = dict(self.holidays)
        if day in user:
            return user[day]
        if _official(day.year):
            on_holiday, name = chinese_calendar.get_holiday_detail(day)
            if on_holiday and name:
                return str(HOLIDAY_NAMES.get(name, name))
        return "星期六" if day.weekday() == 5 else "星期日"

    def working_days(self, start: dt.date, end: dt.date) -> int:
        """Working days after ``start`` up to and including ``end`` (0 when end ≤ start)."""
        if end <= start:
            return 0
        days = rrule(DAILY, dtstart=start + dt.timedelta(days=1), until=end)
        return sum(1 for d in days if self.is_workday(d.date()))

    def add_working_days(self, start: dt.date, count: int) -> dt.date:
        """The day on which ``count`` working days after ``start`` are used up."""
        day, left = start, count
        while left > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                left -= 1
        return day


def _dates(value: object, source: str, key: str) -> list[tuple[dt.date, str]]:
    items: list[tuple[object, str]]
    if value is None:
        return []
    if isinstance(value, dict):
        items = [(k, str(v or "假日")) for k, v in value.items()]
    elif isinstance(value, list):
        items = [(v, "假日") for v in value]
    else:
        raise ConfigError(f"日历文件 {source} 的 {key} 应是日期列表或“日期: 名称”映射")
    out = []
    for raw, name in items:
        try:
            out.append((parse_date(raw), name))
        except DateFormatError as exc:
            raise ConfigError(f"日历文件 {source} 的 {key} 中：{exc}") from None
    return out


def load_calendar(*files: str | Path) -> WorkCalendar:
    """The official calendar with each user file's corrections applied in turn."""
    workdays: set[dt.date] = set()
    holidays: dict[dt.date, str] = {}
    for file in files:
        path = Path(file)
        data = parse_data(user_text(path, "日历文件"), str(path), "日历文件").data or {}
        if not isinstance(data, dict):
            raise ConfigError(f"日历文件 {path} 应包含 workdays 和/或 holidays")
        for day, _ in _dates(data.get("workdays"), str(path), "workdays"):
            workdays.add(day)
            holidays.pop(day, None)
        for day, name in _dates(data.get("holidays"), str(path), "holidays"):
            holidays[day] = name
            workdays.discard(day)
    return WorkCalendar(frozenset(workdays), tuple(sorted(holidays.items())), tuple(str(f) for f in files))
