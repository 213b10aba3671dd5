from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperwork.case.dates import chinese, compact, parse_date
from paperwork.errors import DateFormatError


@pytest.mark.parametrize(
    "text",
    [
        "2023-03-01",
        "20230301",
        "2023.3.1",
        "2023/3/1",
        "2023年3月1日",
        "2023-3-1",
        " 2023/03/01 ",
        "2023 年 3 月 1 日",
    ],
)
def test_every_accepted_form_reads_the_same_day(text: str) -> None:
    assert parse_date(text) == date(2023, 3, 1)


@pytest.mark.parametrize("text", ["2023-02-30", "20230431", "2023年13月1日", "2023.2.29"])
def test_impossible_days_are_errors(text: str) -> None:
    with pytest.raises(DateFormatError, match="不是存在的日期"):
        parse_date(text)


@pytest.mark.parametrize(
    "text", ["March 1 2023", "2023-03", "01/03/2023", "2023-03/01", "", "二〇二三年三月一日"]
)
def test_other_texts_are_errors_naming_the_forms(text: str) -> None:
    with pytest.raises(DateFormatError, match="2023年3月1日"):
        parse_date(text)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)))
def test_printed_forms_read_back(day: date) -> None:
    assert parse_date(compact(day)) == day
    assert parse_date(chinese(day)) == day
    assert parse_date(day.isoformat()) == day
    assert parse_date(f"{day.year}.{day.month}.{day.day}") == day
    assert parse_date(f"{day.year}/{day.month}/{day.day}") == day
    assert len(compact(day)) == 8
