"""Working days: official holidays, 调休 make-up days, years without data, user corrections."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from paperwork import ConfigError
from paperwork.rules.workdays import load_calendar

D = dt.date


def test_spring_festival_2024_with_make_up_sundays() -> None:
    cal = load_calendar()
    assert cal.why_off(D(2024, 2, 12)) == "春节"
    assert cal.is_workday(D(2024, 2, 4)) and cal.is_workday(D(2024, 2, 18))  # Sundays worked (调休)
    # after Thu 8 Feb up to Tue 20 Feb: Fri 9, Sun 18, Mon 19, Tue 20
    assert cal.working_days(D(2024, 2, 8), D(2024, 2, 20)) == 4


def test_national_day_2024_with_make_up_weekend_days() -> None:
    cal = load_calendar()
    assert cal.why_off(D(2024, 10, 3)) == "国庆节"
    assert cal.is_workday(D(2024, 9, 29)) and cal.is_workday(D(2024, 10, 12))
    assert cal.working_days(D(2024, 9, 27), D(2024, 10, 14)) == 8


def test_counting_starts_the_day_after_and_includes_the_end() -> None:
    cal = load_calendar()
    assert cal.working_days(D(2023, 3, 6), D(2023, 3, 6)) == 0
    assert cal.working_days(D(2023, 3, 6), D(2023, 3, 7)) == 1  # Mon → Tue
    assert cal.working_days(D(2023, 3, 10), D(2023, 3, 13)) == 1  # Fri → Mon
    assert cal.add_working_days(D(2023, 3, 10), 1) == D(2023, 3, 13)
    assert cal.working_days(D(2023, 3, 13), D(2023, 3, 6)) == 0


def test_a_year_without_data_is_said_and_falls_back_to_weekends() -> None:
    cal = load_calendar()
    assert not cal.has_data(2031)
    assert cal.missing_years([D(2031, 1, 1), D(2024, 5, 1)]) == (2031,)
    assert not cal.is_workday(D(2031, 1, 4))  # a Saturday
    assert cal.is_workday(D(2031, 1, 1))  # New Year's Day not guessed
    assert cal.why_off(D(2031, 1, 5)) == "星期日"


def test_user_file_adds_and_corrects_days(tmp_path: Path) -> None:
    own = tmp_path / "cal.yaml"
    own.write_text(
        "workdays: [2031-01-04]\nholidays: {2031-01-01: 元旦, 2024-02-09: 除夕}\n", encoding="utf-8"
    )
    cal = load_calendar(own)
    assert cal.has_data(2031)
    assert cal.is_workday(D(2031, 1, 4))
    assert cal.why_off(D(2031, 1, 1)) == "元旦"
    assert cal.why_off(D(2024, 2, 9)) == "除夕"


def test_bad_user_file_is_a_config_error(tmp_path: Path) -> None:
    own = tmp_path / "cal.yaml"
    own.write_text("holidays: [2031-02-30]\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"cal\.yaml"):
        load_calendar(own)
