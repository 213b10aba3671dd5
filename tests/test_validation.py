"""Every rule and every finding code, on the shipped fixtures and small edits of them."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from paperwork import CODES, CaseError, catalogs, derived_dates, load_case, loads_case, resolve, validate
from tests.conftest import BROKEN, DEMO, EXPANSION, TODAY


def expected(path: Path) -> tuple[str, str | None]:
    head = path.read_text(encoding="utf-8").splitlines()[0]
    parts = head.removeprefix("# expect:").split()
    return parts[0], (parts[1] if len(parts) > 1 else None)


def findings_of(path: Path) -> list[tuple[str, str | None]]:
    try:
        report = validate(load_case(path), today=TODAY)
    except CaseError as exc:
        return [(f.code, f.rule) for f in exc.findings]
    return [(f.code, f.rule) for f in report.errors]


def test_shipped_good_cases_pass() -> None:
    for path in (DEMO, EXPANSION):
        report = validate(load_case(path), today=TODAY)
        assert report.ok, [f.message for f in report.findings]
        # the expansion case has no 归档号/档号 yet: its covers would go out blank, and validate says so;
        # it lacks papers only to bring (前期资料证明) and leaves boxes of its forms blank: warnings
        assert {f.code for f in report.findings} <= {
            "ARCHIVE_NUMBER_BLANK",
            "FORM_FIELD_BLANK",
            "PAPER_MISSING",
        }
        assert all(f.severity == "warning" for f in report.findings)


@pytest.mark.parametrize("path", sorted(BROKEN.glob("*.yaml")), ids=lambda p: p.stem)
def test_each_broken_case_reports_its_rule(path: Path) -> None:
    code, rule = expected(path)
    found = findings_of(path)
    assert (code, rule) in found
    # one rule broken: every error is of that code
    assert {c for c, _ in found} <= {code, "REVIEW_ROUND_INCOMPLETE"}


def demo_data() -> dict:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    for d in data["documents"]:
        d.pop("file", None)
    return data


def doc(data: dict, title: str) -> dict:
    return next(d for d in data["documents"] if d["title"] == title)


def run(data: dict, tmp_path: Path | None = None, today: date | None = None) -> list:
    text = yaml.safe_dump(data, allow_unicode=True)
    if tmp_path is not None:
        path = tmp_path / "case.yaml"
        path.write_text(text, encoding="utf-8")
        return list(validate(load_case(path), today=today).findings)
    return list(validate(loads_case(text), today=today).findings)


def codes(findings: list) -> set[str]:
    return {f.code for f in findings}


def test_r4_and_r5_dates_are_derived_not_typed() -> None:
    resolved = resolve(load_case(DEMO))
    by_rule = {d.rule: d.date for d in derived_dates(resolved) if d.rule in {"R4", "R5"}}
    assert by_rule == {"R4": date(2023, 2, 27), "R5": date(2023, 3, 2)}


def test_r5_takes_the_first_reply_even_when_listed_last() -> None:
    data = demo_data()
    data["documents"].reverse()
    resolved = resolve(loads_case(yaml.safe_dump(data, allow_unicode=True)))
    assert {d.rule: d.date for d in derived_dates(resolved)}["R5"] == date(2023, 3, 2)


def test_r4_stated_equal_is_fine_and_register_may_be_omitted() -> None:
    data = demo_data()
    doc(data, "高压客户用电登记表")["date"] = "2023-02-27"
    assert run(data) == []
    data["documents"].remove(doc(data, "高压客户用电登记表"))
    resolved = resolve(loads_case(yaml.safe_dump(data, allow_unicode=True)))
    assert any(p.title == "高压客户用电登记表" and p.implicit for p in resolved.papers)
    assert run(data) == []


def test_r1_r2_r3_cover_dates() -> None:
    big, small = catalogs(resolve(load_case(DEMO)))
    assert (big.start, big.end) == (date(2023, 3, 1), date(2023, 7, 18))  # closed at the hand-in
    assert (small.start, small.end) == (date(2019, 5, 10), date(2023, 8, 21))
    assert small.note_date == date(2023, 8, 21)
    assert big.note_date == date(2023, 8, 25)  # 立卷时间


def test_r6_stated_rounds_must_match_the_papers() -> None:
    data = demo_data()
    data["review_rounds"] = 3
    found = run(data)
    assert {(f.code, f.rule) for f in found} == {("REVIEW_ROUND_INCOMPLETE", "R6")}
    assert any(f.path == "review_rounds" for f in found)


def test_missing_date_and_misplaced_fields() -> None:
    data = demo_data()
    doc(data, "采集单").pop("date")
    doc(data, "保护定值单")["application_date"] = "2023-06-01"
    doc(data, "审图通知单")["round"] = 2
    found = run(data)
    assert {(f.code, f.path) for f in found} >= {
        ("DATE_MISSING", "documents[26].date"),
        ("FIELD_NOT_ALLOWED", "documents[23].application_date"),
        ("FIELD_NOT_ALLOWED", "documents[11].round"),
    }


def test_unknown_and_not_applicable_papers_are_warnings() -> None:
    data = demo_data()
    data["documents"].append({"title": "施工照片", "date": "2023-06-01"})
    data["documents"].append({"title": "证明", "date": "2023-06-08"})
    found = run(data)
    assert {(f.code, f.severity) for f in found} == {
        ("PAPER_UNKNOWN", "warning"),
        ("PAPER_NOT_APPLICABLE", "warning"),
    }


def test_expansion_needs_no_load_control_invoice_but_new_connection_does() -> None:
    data = demo_data()
    data["documents"].remove(doc(data, "负控费发票"))
    assert "PAPER_MISSING" in codes(run(data))
    data["kind"] = "增容"
    assert "PAPER_MISSING" not in codes(run(data))


def test_large_equipment_needs_list_otherwise_proof() -> None:
    data = demo_data()
    data["equipment"] = [{"name": "水泵", "power_kw": 30}]
    found = run(data)
    missing = [f.message for f in found if f.code == "PAPER_MISSING"]
    assert len(missing) == 1 and "证明" in missing[0]
    assert any(f.code == "PAPER_NOT_APPLICABLE" and "启动设备清单" in f.message for f in found)


def test_file_missing_names_the_file(tmp_path: Path) -> None:
    data = demo_data()
    doc(data, "采集单")["file"] = "scans/nope.pdf"
    found = run(data, tmp_path)
    (f,) = [f for f in found if f.code == "FILE_MISSING"]
    assert "scans/nope.pdf" in f.message and f.path.endswith(".file") and f.line is not None


def test_future_is_relative_to_today() -> None:
    data = demo_data()
    assert "DATE_IN_FUTURE" in codes(run(data, today=date(2023, 8, 1)))
    assert "DATE_IN_FUTURE" not in codes(run(data, today=date(2023, 9, 1)))


def test_case_bureau_file_that_is_broken_is_config_invalid(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from paperwork.cli import cli

    data = demo_data()
    data["bureau"] = "mine.yaml"
    (tmp_path / "mine.yaml").write_text(
        "binders:\n  - {name: X, title: X, archive_key: big, parts: [{name: 正文, papers: [没有这份]}]}\n",
        encoding="utf-8",
    )
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "case.yaml"), "--format", "json"])
    assert result.exit_code == 1
    assert '"CONFIG_INVALID"' in result.output and "没有这份" in result.output


def _codes_of_text(text: str, today: date | None = None) -> set[str]:
    try:
        return codes(list(validate(loads_case(text), today=today).findings))
    except CaseError as exc:
        return {f.code for f in exc.findings}


def _with(edit: object) -> set[str]:
    data = demo_data()
    edit(data)  # type: ignore[operator]
    return _codes_of_text(yaml.safe_dump(data, allow_unicode=True))


def _unreadable(tmp_path: Path) -> set[str]:
    try:
        load_case(tmp_path / "nope.yaml")
    except CaseError as exc:
        return {f.code for f in exc.findings}
    return set()


def _bad_bureau(tmp_path: Path) -> set[str]:
    from click.testing import CliRunner

    from paperwork.cli import cli

    data = demo_data()
    data["bureau"] = "mine.yaml"
    (tmp_path / "mine.yaml").write_text(
        "order: [{first: [没有这份], then: [采集单], why: x}]\n", encoding="utf-8"
    )
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "case.yaml"), "--format", "json"])
    return {c for c in CODES if f'"{c}"' in result.output}


def _file_unreadable(tmp_path: Path) -> set[str]:
    from paperwork import AttachmentError, build

    data = demo_data()
    doc(data, "采集单")["file"] = "bad.pdf"
    (tmp_path / "bad.pdf").write_bytes(b"%PDF-1.4 cut off")
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        build(resolve(load_case(tmp_path / "case.yaml")), tmp_path / "out", converter=lambda files, out: [])
    except AttachmentError as exc:
        return {f.code for f in exc.findings}
    return set()


def _archive_number_blank(tmp_path: Path) -> set[str]:
    from paperwork import build

    data = demo_data()
    data["archive"].pop("big")
    (tmp_path / "case.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    from tests.conftest import blank_pdfs

    result = build(resolve(load_case(tmp_path / "case.yaml")), tmp_path / "out", converter=blank_pdfs)
    return {f.code for f in result.report.findings}


def _file_missing(tmp_path: Path) -> set[str]:
    data = demo_data()
    doc(data, "采集单")["file"] = "scans/nope.pdf"
    return codes(run(data, tmp_path))


# One small case per code that no broken fixture shows; each must really produce its code.
RECIPES = {
    "YAML_DUPLICATE_KEY": lambda tmp: _codes_of_text("case_id: a\ncase_id: b\n"),
    "FIELD_TYPE": lambda tmp: _with(lambda d: d.update(power_sources=3)),
    "FIELD_UNKNOWN": lambda tmp: _with(lambda d: d.update(documnets=[])),
    "FORM_FIELD_BLANK": lambda tmp: _with(lambda d: d["customer"].pop("legal_rep")),
    "FIELD_NOT_ALLOWED": lambda tmp: _with(lambda d: doc(d, "采集单").update(application_date="2023-03-02")),
    "DATE_MISSING": lambda tmp: _with(lambda d: doc(d, "采集单").pop("date")),
    "PAPER_UNKNOWN": lambda tmp: _with(
        lambda d: d["documents"].append({"title": "没有这份", "date": "2023-05-01"})
    ),
    "PAPER_NOT_APPLICABLE": lambda tmp: _with(lambda d: d.update(kind="增容")),
    "FILE_MISSING": _file_missing,
    "FILE_UNREADABLE": _file_unreadable,
    "ARCHIVE_NUMBER_BLANK": _archive_number_blank,
    "CONFIG_INVALID": _bad_bureau,
    "CASE_UNREADABLE": _unreadable,
    "TEXT_CONTROL_CHAR": lambda tmp: _with(lambda d: d["customer"].update(name="宏达\v精密")),
    "TEXT_TOO_LONG": lambda tmp: _with(lambda d: d["customer"].update(name="宏达精密" * 2500)),
    "DATE_IMPLAUSIBLE": lambda tmp: _with(lambda d: doc(d, "变压器合格证").update(date="1923-03-01")),
    "DATE_HOLIDAY": lambda tmp: _with(lambda d: doc(d, "采集单").update(date="2023-05-01")),
    "CALENDAR_NO_DATA": lambda tmp: _codes_of_text(
        DEMO.read_text(encoding="utf-8").replace("2023-08-21", "2099-08-21"), today=date(2100, 1, 1)
    ),
}


@pytest.mark.parametrize("code", sorted(RECIPES))
def test_each_recipe_produces_its_code(code: str, tmp_path: Path) -> None:
    assert code in RECIPES[code](tmp_path)


#: Codes only the server gives (a request, not a case file): asserted by tests/test_serve_api.py.
SERVER_CODES = {
    "REQUEST_INVALID",
    "CASE_EXISTS",
    "CASE_STALE",
    "UPLOAD_REFUSED",
    "UPLOAD_TOO_LARGE",
    "CASE_NOT_FOUND",
    "OUTPUT_MISSING",
    "OPERATION_FAILED",
    "INTERNAL_ERROR",
}
#: Codes the server gives to abuse: asserted by tests/test_serve_abuse.py.
ABUSE_CODES = {
    "PATH_OUTSIDE_WORKSPACE",
    "HOST_NOT_ALLOWED",
    "ROUTE_NOT_FOUND",
    "METHOD_NOT_ALLOWED",
    "LOGIN_THROTTLED",
}


#: Codes of the logins and the record of changes: asserted by tests/test_team.py.
TEAM_CODES = {
    "LOGIN_REQUIRED",
    "LOGIN_FAILED",
    "ADMIN_REQUIRED",
    "ACCOUNT_INVALID",
    "HISTORY_UNAVAILABLE",
    "HISTORY_NOT_FOUND",
}


#: Codes of the server on a queue (serve --queue): asserted by tests/test_queue.py.
QUEUE_CODES = {"QUEUE_UNREACHABLE"}


#: Codes of `paperwork verify` (a binder, not a case file): asserted by tests/test_pdfa.py.
VERIFY_CODES = {code for code in CODES if code.startswith("BINDER_")}


def test_every_finding_code_is_exercised() -> None:
    from_fixtures = {c for path in BROKEN.glob("*.yaml") for c, _ in findings_of(path)}
    every = (
        from_fixtures | set(RECIPES) | SERVER_CODES | ABUSE_CODES | TEAM_CODES | VERIFY_CODES | QUEUE_CODES
    )
    assert every == set(CODES)
    queue_tests = (Path(__file__).parent / "test_queue.py").read_text(encoding="utf-8")
    assert all(f'"{code}"' in queue_tests for code in QUEUE_CODES)
    verify_tests = (Path(__file__).parent / "test_pdfa.py").read_text(encoding="utf-8")
    assert all(f'"{code}"' in verify_tests for code in VERIFY_CODES)
    server_tests = (Path(__file__).parent / "test_api.py").read_text(encoding="utf-8")
    assert all(f'"{code}"' in server_tests for code in SERVER_CODES)
    abuse_tests = (Path(__file__).parent / "test_serve_abuse.py").read_text(encoding="utf-8")
    assert all(f'"{code}"' in abuse_tests for code in ABUSE_CODES)
    team_tests = (Path(__file__).parent / "test_team.py").read_text(encoding="utf-8")
    assert all(f'"{code}"' in team_tests for code in TEAM_CODES)


shift = st.integers(min_value=-400, max_value=400)


@settings(max_examples=40, deadline=None)
@given(shifts=st.lists(shift, min_size=45, max_size=45), app_shift=shift)
def test_cover_ranges_hold_for_any_dates(shifts: list[int], app_shift: int) -> None:
    data = demo_data()
    base = date(2023, 6, 1)
    data["application_date"] = (base + timedelta(days=app_shift)).isoformat()
    for d, s in zip(data["documents"], shifts, strict=False):
        if "date" in d:
            d["date"] = (base + timedelta(days=s)).isoformat()
    big, small = catalogs(resolve(loads_case(yaml.safe_dump(data, allow_unicode=True))))
    small_dates = [r.date for r in small.present if r.date]
    assert small.start == min(small_dates) and small.end == max(small_dates)
    assert all(small.start <= d <= small.end for d in small_dates)
    big_dates = [r.date for r in big.present if r.date]
    assert big.start == data_app(data) and big.end == max(big_dates)


def data_app(data: dict) -> date:
    return date.fromisoformat(data["application_date"])
