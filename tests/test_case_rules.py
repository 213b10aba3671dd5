"""Wrong vs not yet, papers only to bring, forms that print what she chose, labels in her words."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import yaml
from click.testing import CliRunner

from paperwork import load_case, validate
from paperwork.case.dates import parse_date
from paperwork.case.model import loads_case
from paperwork.case.paths import dotted, label_of, leaves, normalise_dates, value_at
from paperwork.case.schema import json_schema
from paperwork.cli import cli
from paperwork.render.contexts import check_box, form_data
from paperwork.rules.resolution import resolve
from paperwork.rules.timeline import load_regimes, regime_for
from tests.conftest import DEMO, IN_PROGRESS, TODAY

NEW_CASE = """
case_id: GY-2031-100
kind: 新装
application_date: 2026-09-01
customer: {name: 新客户有限公司}
"""


def _schema_leaves(node: dict, prefix: str = "") -> set[str]:
    """Every leaf path of the JSON Schema (``*`` for list items), read from the schema itself."""
    out: set[str] = set()
    for name, prop in node.get("properties", {}).items():
        prop = next((p for p in prop.get("anyOf", [prop]) if p.get("type") != "null"), prop)
        path = f"{prefix}{name}"
        if prop.get("type") == "object":
            out |= _schema_leaves(prop, path + ".")
        elif prop.get("type") == "array" and prop["items"].get("type") == "object":
            out |= _schema_leaves(prop["items"], path + ".*.")
        else:
            out.add(path)
    return out


def test_the_page_fields_are_the_schemas_leaves() -> None:
    assert {leaf.path for leaf in leaves()} == _schema_leaves(json_schema())
    assert len(leaves()) == 88


def test_labels_name_rows_as_the_table_numbers_them() -> None:
    assert label_of("documents[4].date") == "资料第 5 行的资料日期"
    assert label_of("equipment.2.power_kw") == "用电设备第 3 行的单台功率"
    assert label_of("customer.agent.mobile") == "经办人的移动电话"
    assert label_of("archive.small.file_no") == "小本资料的档号"
    assert label_of("no.such.field") == "no.such.field"
    assert dotted("documents[12].application_date") == "documents.12.application_date"


def test_dates_in_any_accepted_form_are_saved_as_iso() -> None:
    for typed in ("2023年3月1号", "2023－3－1", "２０２３/３/１", "2023.3.1", "20230301"):
        assert parse_date(typed) == date(2023, 3, 1), typed
    data = {
        "application_date": "2023年3月1号",
        "documents": [{"title": "x", "date": "2023－03－05"}],
        "archive": {"big": {"start": "2023.3.1"}},
        "customer": {"name": "2023-01-01"},
    }
    saved = normalise_dates(data)
    assert saved == {
        "application_date": "2023-03-01",
        "documents": [{"title": "x", "date": "2023-03-05"}],
        "archive": {"big": {"start": "2023-03-01"}},
        "customer": {"name": "2023-01-01"},
    }
    assert normalise_dates({"application_date": "明天"}) == {
        "application_date": "明天"
    }  # left for the reader


def test_a_new_case_has_no_errors_only_todos() -> None:
    report = validate(loads_case(NEW_CASE), today=TODAY)
    assert report.errors == () and report.ok
    missing = {f.subject for f in report.todos if f.code == "PAPER_MISSING"}
    assert {"用电申请书", "供电方案答复单", "受电工程竣工验收单"} <= missing
    # papers only to bring are to do as well, not errors, before their step
    assert "审图通知单" in missing


def test_once_a_later_step_has_begun_a_missing_paper_is_an_error() -> None:
    data = yaml.safe_load(NEW_CASE)
    data["documents"] = [{"title": "受电工程中间检查登记表", "date": "2026-12-01"}]
    report = validate(loads_case(yaml.safe_dump(data, allow_unicode=True)), today=TODAY)
    by_subject = {f.subject: f.severity for f in report.findings if f.code == "PAPER_MISSING"}
    assert by_subject["供电方案答复单"] == "error"  # 取方案 is behind the case
    assert by_subject["审图通知单"] == "warning"  # only to bring: filed when there, a warning when not
    assert by_subject["受电工程中间检查结果通知单"] == "todo"  # the step it is in
    assert by_subject["受电工程竣工验收单"] == "todo"  # a later step
    # a customer's own paper (证照) says nothing about how far the case is
    data["documents"] = [{"title": "营业执照复印件", "date": "2019-01-01"}]
    report = validate(loads_case(yaml.safe_dump(data, allow_unicode=True)), today=TODAY)
    assert report.errors == ()


def test_a_review_round_whose_result_has_not_come_back_is_to_do() -> None:
    data = yaml.safe_load(NEW_CASE)
    reply = {"title": "供电方案答复单", "date": "2026-09-10", "application_date": "2026-09-02"}
    register = {"title": "受电工程图纸审核登记表", "round": 1, "date": "2026-09-20"}
    data["documents"] = [reply, register]

    def review(docs: list[dict[str, object]]) -> dict[str, str]:
        data["documents"] = docs
        report = validate(loads_case(yaml.safe_dump(data, allow_unicode=True)), today=TODAY)
        rounds = [f for f in report.findings if f.code.startswith("REVIEW_ROUND")]
        errors = sum(f.severity == "error" for f in rounds)
        return {f"{f.code}:{f.message}": f.severity for f in rounds} | {"errors": str(errors)}

    assert review([reply, register]) == {"errors": "0"}  # round 1 sent: PAPER_MISSING (to do) says the rest
    result = {"title": "受电工程图纸审核结果通知单", "round": 1, "date": "2026-10-09"}
    second = {"title": "受电工程图纸审核登记表", "round": 2, "date": "2026-10-20"}
    waiting = review([reply, register, result, second])  # round 2 sent, not back yet
    assert waiting["errors"] == "0" and "todo" in waiting.values()
    # once a later step has begun, the missing result of round 2 is wrong, not to do
    midcheck = {"title": "受电工程中间检查登记表", "date": "2026-11-20"}
    late = review([reply, register, result, second, midcheck])
    assert "error" in late.values() and "todo" not in late.values()


def test_a_bureau_can_make_a_paper_to_bring_required(tmp_path: Path) -> None:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["documents"] = [d for d in data["documents"] if d["title"] != "审图通知单"]
    for d in data["documents"]:
        d.pop("file", None)
    case = tmp_path / "case.yaml"
    case.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    found = {(f.code, f.severity, f.subject) for f in validate(load_case(case), today=TODAY).findings}
    assert ("PAPER_MISSING", "warning", "审图通知单") in found
    own = tmp_path / "bureau.yaml"
    own.write_text(
        "forms:\n  - {key: review_notice, title: 审图通知单, issuer: bureau, source: scan, step: 图纸送审,\n"
        "     date_meaning: 图纸审完后出具通知的日期, absence: error}\n",
        encoding="utf-8",
    )
    data["bureau"] = "bureau.yaml"
    case.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    report = validate(load_case(case), today=TODAY)
    assert ("PAPER_MISSING", "error", "审图通知单") in {
        (f.code, f.severity, f.subject) for f in report.findings
    }


def test_validate_exits_0_with_todos_and_build_binder_still_refuses(tmp_path: Path) -> None:
    case = tmp_path / "new" / "case.yaml"
    case.parent.mkdir()
    case.write_text(NEW_CASE, encoding="utf-8")
    runner = CliRunner()
    checked = runner.invoke(cli, ["validate", str(case), "--today", "2026-12-01"])
    assert checked.exit_code == 0, checked.output
    assert "待办" in checked.output and "0 个错误" not in checked.output
    data = json.loads(
        runner.invoke(cli, ["validate", str(case), "--format", "json", "--today", "2026-12-01"]).output
    )
    assert {f["severity"] for f in data["findings"]} <= {"todo", "warning"} and data["ok"] is True
    out = tmp_path / "out"
    built = runner.invoke(cli, ["build-binder", str(case), "-o", str(out)])
    assert built.exit_code == 1 and "PAPER_MISSING" in built.output
    assert not out.exists() or not any(out.iterdir())


def test_a_form_never_ticks_what_was_not_chosen() -> None:
    assert check_box(["是", "否"], None) == "是 □　　否 □"
    assert check_box(["工业", "非工业"], "工业") == "工业 ☑　　非工业 □"
    resolved = resolve(loads_case(NEW_CASE))
    register = form_data(resolved, "application_register", None)
    for key in (
        "important_boxes",
        "usage_category_boxes",
        "self_power_boxes",
        "vat_invoice_boxes",
        "nonlinear_boxes",
    ):
        assert "☑" not in str(register[key]), key
    assert "☑" in str(register["business_type_boxes"])  # 业务类型 is always given
    data = yaml.safe_load(NEW_CASE)
    data["customer"]["important"] = False
    data["application"] = {"self_power": "无", "vat_invoice": True, "usage_category": "商业"}
    chosen = form_data(
        resolve(loads_case(yaml.safe_dump(data, allow_unicode=True))), "application_register", None
    )
    assert chosen["important_boxes"] == "是 □　　否 ☑"
    assert chosen["self_power_boxes"] == "有 □　　无 ☑" and chosen["vat_invoice_boxes"] == "是 ☑　　否 □"
    assert "商业 ☑" in str(chosen["usage_category_boxes"]) and "工业 ☑" not in str(
        chosen["usage_category_boxes"]
    )


def test_blank_form_fields_are_one_warning_per_form_in_her_words() -> None:
    report = validate(loads_case(NEW_CASE), today=TODAY)
    blanks = [f for f in report.findings if f.code == "FORM_FIELD_BLANK"]
    forms = [f.subject for f in blanks]
    assert len(forms) == len(set(forms)) and "高压客户用电登记表" in forms and "证明" in forms
    register = next(f for f in blanks if f.subject == "高压客户用电登记表")
    assert register.severity == "warning"
    assert register.message.startswith("高压客户用电登记表缺：") and "用电地址" in register.message
    assert "法人代表" in register.message and "customer." not in register.message
    assert (
        "customer.legal_rep" in register.fields
        and value_at(loads_case(NEW_CASE), "customer.legal_rep") is None
    )
    # no equipment entered: the 证明 says so, and the page can point at the equipment table
    proof = next(f for f in blanks if f.subject == "证明")
    assert "equipment" in proof.fields
    # the demo fills all it prints
    assert not [f for f in validate(load_case(DEMO), today=TODAY).findings if f.code == "FORM_FIELD_BLANK"]


def test_the_2024_rules_time_cases_applied_for_from_june_2024() -> None:
    regimes = load_regimes()
    assert regime_for(date(2024, 6, 1), regimes).name == "供电营业规则"
    assert regime_for(date(2024, 5, 31), regimes).name == "供电监管办法"
    rules = regimes["供电营业规则"]
    reply = next(s for s in rules.steps if s.step == "供电方案答复")
    assert (reply.limit.single, reply.limit.dual, reply.article) == (10, 20, "第二十二条")
    assert load_case(IN_PROGRESS).application_date >= date(2024, 6, 1)


def test_a_step_timed_only_for_important_customers_is_shown_untimed_for_the_others() -> None:
    from paperwork.rules.timeline import timeline
    from paperwork.rules.workdays import load_calendar

    data = yaml.safe_load(IN_PROGRESS.read_text(encoding="utf-8"))
    calendar = load_calendar()

    def review(important: bool | None) -> object:
        data["customer"]["important"] = important
        resolved = resolve(loads_case(yaml.safe_dump(data, allow_unicode=True)))
        line = timeline(resolved, None, calendar, date(2026, 11, 2))
        return next(s for s in line.steps if s.step.startswith("设计文件审核"))

    untimed = review(None)  # not said to be a 重要电力用户: the 2024 rules set no limit
    assert untimed.start == date(2026, 10, 19) and untimed.working_days == 10  # type: ignore[attr-defined]
    assert not untimed.timed and not untimed.overdue and untimed.remaining is None  # type: ignore[attr-defined]
    assert untimed.due is None and "不计时" in untimed.figure  # type: ignore[attr-defined]
    assert untimed.to_dict()["timed"] is False  # type: ignore[attr-defined]
    timed = review(True)  # an important customer: 3 working days, and this one is over
    assert timed.timed and timed.overdue and timed.remaining == 3 - 10  # type: ignore[attr-defined]
