from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwork import CaseError, dump_case, load_case, loads_case
from tests.conftest import DEMO, EXPANSION

MINIMAL = """case_id: T-1
kind: 新装
application_date: 2023-03-01
customer:
  name: 某某公司
"""


def test_demo_case_reads_every_field() -> None:
    case = load_case(DEMO)
    assert case.case_id == "GY-2023-017"
    assert case.kind == "新装"
    assert case.application_date == date(2023, 3, 1)
    assert case.customer.name == "宏达精密机械有限公司"
    assert case.customer.account_no == "3100218765"  # quoted digits stay text
    assert case.has_large_equipment
    replies = [d for d in case.documents if d.title == "供电方案答复单"]
    assert [d.application_date for d in replies] == [date(2023, 3, 2), date(2023, 3, 24)]
    assert case.line("documents[0].date") == 57


def test_expansion_case_reads_mixed_date_forms() -> None:
    case = load_case(EXPANSION)
    assert case.kind == "增容"
    assert case.application_date == date(2024, 3, 11)
    assert case.archive.filing_date == date(2024, 7, 19)
    assert case.documents[1].date == date(2018, 6, 12)
    assert not case.has_large_equipment


def test_numbers_stay_as_typed() -> None:
    case = loads_case(
        MINIMAL + "  postcode: 001300\ndocuments:\n  - {title: 采集单, date: 20230501, number: 007}\n"
    )
    assert case.customer.postcode == "001300"
    assert case.documents[0].number == "007"
    assert case.documents[0].date == date(2023, 5, 1)


def test_errors_carry_path_and_line() -> None:
    text = (
        MINIMAL.replace("kind: 新装", "kind: 新增") + "documents:\n  - title: 采集单\n    date: 2023-02-30\n"
    )
    with pytest.raises(CaseError) as info:
        loads_case(text, "x.yaml")
    found = {(f.code, f.path, f.line) for f in info.value.findings}
    assert ("FIELD_TYPE", "kind", 2) in found
    assert ("DATE_INVALID", "documents[0].date", 8) in found


def test_missing_required_key_names_it() -> None:
    with pytest.raises(CaseError) as info:
        loads_case("case_id: T\nkind: 增容\napplication_date: 2023-01-01\n")
    (finding,) = info.value.findings
    assert finding.code == "FIELD_MISSING" and finding.path == "customer"
    assert "customer" in finding.message and "用电客户" in finding.message


def test_unknown_key_is_a_warning_and_duplicate_key_an_error() -> None:
    case = loads_case(MINIMAL + "colour: red\n")
    assert [(f.code, f.severity, f.line) for f in case.load_findings] == [("FIELD_UNKNOWN", "warning", 6)]
    with pytest.raises(CaseError) as info:
        loads_case(MINIMAL + "case_id: T-2\n")
    assert info.value.findings[0].code == "YAML_DUPLICATE_KEY"
    assert info.value.findings[0].line == 6


def test_wrong_shapes_are_type_errors() -> None:
    with pytest.raises(CaseError) as info:
        loads_case(
            MINIMAL + "documents: 采集单\npower_sources: 3\nequipment:\n  - {name: 泵, power_kw: 大}\n"
        )
    codes = {(f.code, f.path) for f in info.value.findings}
    assert ("FIELD_TYPE", "documents") in codes
    assert ("FIELD_TYPE", "power_sources") in codes
    assert ("FIELD_TYPE", "equipment[0].power_kw") in codes


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_text(MINIMAL + "documents:\n  - {title: 采集单, date: 2023-05-01\n", encoding="utf-8")
    with pytest.raises(CaseError) as info:
        load_case(path)
    (finding,) = info.value.findings
    assert finding.code == "YAML_SYNTAX" and finding.line is not None and finding.line >= 7


def test_non_utf8_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(MINIMAL.encode("gbk"))
    with pytest.raises(CaseError, match="UTF-8"):
        load_case(path)


def test_demo_round_trips_through_dump() -> None:
    case = load_case(DEMO)
    again = loads_case(dump_case(case))
    assert again == case


text = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(
    lambda s: s.strip() == s and s != ""
)


@settings(max_examples=60, deadline=None)
@given(
    name=text,
    number=st.one_of(st.none(), text),
    day=st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    note=st.one_of(st.none(), text),
)
def test_any_case_text_survives_load_dump_load(
    name: str, number: str | None, day: date, note: str | None
) -> None:
    import yaml

    doc: dict[str, object] = {"title": "采集单", "date": day.isoformat()}
    if number is not None:
        doc["number"] = number
    if note is not None:
        doc["note"] = note
    data = {
        "case_id": name,
        "kind": "新装",
        "application_date": "2023-03-01",
        "customer": {"name": name},
        "documents": [doc],
    }
    case = loads_case(yaml.safe_dump(data, allow_unicode=True))
    assert case.customer.name == name and case.case_id == name
    assert case.documents[0].number == number and case.documents[0].note == note
    again = loads_case(dump_case(case))
    assert again == case
