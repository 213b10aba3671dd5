"""Parsing and writing the dates that clerks type and forms print."""

from __future__ import annotations

import re
from datetime import date

from paperwork.errors import DateFormatError

__all__ = [
    "ACCEPTED_FORMS",
    "DATE_PATTERN",
    "DateFormatError",
    "chinese",
    "compact",
    "iso_date",
    "parse_date",
]

ACCEPTED_FORMS = "2023-03-01、20230301、2023.3.1、2023/3/1 或 2023年3月1日"

_SEPARATED = re.compile(r"^(\d{4})([-./])(\d{1,2})\2(\d{1,2})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_CHINESE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日$")
#: The accepted forms as one JSON-Schema pattern (a backreference is not allowed there, so the
#: separated form is spelled once per separator).
DATE_PATTERN = "|".join(
    [
        *(rf"^\d{{4}}{re.escape(sep)}\d{{1,2}}{re.escape(sep)}\d{{1,2}}$" for sep in "-./"),
        _COMPACT.pattern.replace("(", "").replace(")", ""),
        _CHINESE.pattern.replace("(", "").replace(")", ""),
    ]
)


#: What a Chinese keyboard types for the same thing: full-width digits and dashes, 号 for 日.
_LOOSE = str.maketrans(
    {
        **{chr(0xFF10 + d): str(d) for d in range(10)},
        "－": "-",
        "—": "-",
        "–": "-",
        "／": "/",
        "．": ".",
        "。": ".",
        "号": "日",
        "號": "日",
    }
)


def parse_date(value: object) -> date:
    """Read a date in any form a clerk writes; raise DateFormatError otherwise.

    A ``date`` passes through. Text must be one of ACCEPTED_FORMS; a day that
    does not exist (2023-02-30) is an error, never rolled over.
    """
    if isinstance(value, date):
        return value
    text = str(value).strip().translate(_LOOSE)
    for pattern in (_SEPARATED, _COMPACT, _CHINESE):
        match = pattern.match(text)
        if match:
            groups = [g for g in match.groups() if g not in {"-", ".", "/"}]
            year, month, day = (int(g) for g in groups)
            try:
                return date(year, month, day)
            except ValueError:
                raise DateFormatError(
                    f"“{text}”不是存在的日期（{year}年没有{month}月{day}日），请核对"
                ) from None
    raise DateFormatError(f"“{text}”不是可识别的日期，请写成 {ACCEPTED_FORMS}")


def compact(day: date) -> str:
    """The 8-digit form archive catalogs use: 20230506."""
    return day.strftime("%Y%m%d")


def chinese(day: date | None) -> str:
    """The form Chinese paper forms print: 2023年5月6日 (no date: an empty text, a blank on the form)."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def iso_date(text: str | None) -> date | None:
    """The date of a ``YYYY-MM-DD`` text, or None for no text or one that is no such date."""
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
