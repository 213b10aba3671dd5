"""The CLI contract: commands, exit codes, JSON shapes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperwork.cli import cli
from tests.conftest import BROKEN, DEMO, EXPANSION, ROOT


def test_validate_passes_demo(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", str(DEMO)])
    assert result.exit_code == 0, result.output
    assert "通过检查" in result.output


def test_validate_json_shape_on_errors(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", str(BROKEN / "r4_register_date.yaml"), "--format", "json"])
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["ok"] is False
    (finding,) = data["findings"]
    assert set(finding) == {"code", "severity", "message", "path", "line", "rule", "label"}
    assert finding["label"].startswith("资料第 ") and finding["label"].endswith("行的资料日期")
    assert finding["code"] == "DERIVED_DATE_MISMATCH" and finding["rule"] == "R4"
    assert finding["severity"] == "error" and isinstance(finding["line"], int)
    assert finding["path"].startswith("documents[") and finding["path"].endswith("].date")
    assert "高压客户用电登记表" in finding["message"] and "2023-02-27" in finding["message"]


def test_validate_json_ok(runner: CliRunner) -> None:
    data = json.loads(runner.invoke(cli, ["validate", str(EXPANSION), "--format", "json"]).output)
    assert data["ok"] is True
    # no 归档号/档号 yet: the same warnings validate, the page and a build give (one per binder and number)
    assert all(f["severity"] == "warning" for f in data["findings"])
    blank = [
        (f["code"], f["severity"], f["path"]) for f in data["findings"] if f["code"] == "ARCHIVE_NUMBER_BLANK"
    ]
    assert blank == [
        ("ARCHIVE_NUMBER_BLANK", "warning", "archive.big.archive_no"),
        ("ARCHIVE_NUMBER_BLANK", "warning", "archive.big.file_no"),
        ("ARCHIVE_NUMBER_BLANK", "warning", "archive.small.archive_no"),
        ("ARCHIVE_NUMBER_BLANK", "warning", "archive.small.file_no"),
    ]


def test_yaml_syntax_error_exits_1_with_line(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", str(BROKEN / "bad_yaml.yaml"), "--format", "json"])
    assert result.exit_code == 1
    (finding,) = json.loads(result.output)["findings"]
    assert finding["code"] == "YAML_SYNTAX" and finding["line"] == 6


def test_text_output_names_file_line_and_path(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["validate", str(BROKEN / "bad_date.yaml")])
    assert result.exit_code == 1
    assert "bad_date.yaml:4 application_date" in result.output
    assert "DATE_INVALID" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["validate", "no/such/case.yaml"],
        ["validate", str(DEMO), "--format", "xml"],
        ["dates", str(DEMO), "--nope"],
        ["frobnicate"],
        ["checklist", str(DEMO), "--step", "没有这一步"],
        ["validate", str(DEMO), "--bureau", "no-such.yaml"],
    ],
)
def test_usage_errors_exit_2(runner: CliRunner, args: list[str]) -> None:
    assert runner.invoke(cli, args).exit_code == 2


def test_broken_bureau_option_exits_2(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "b.yaml"
    bad.write_text("order:\n  - {first: [不存在], then: [采集单], why: x}\n", encoding="utf-8")
    result = runner.invoke(cli, ["validate", str(DEMO), "--bureau", str(bad)])
    assert result.exit_code == 2 and "不存在" in result.output


def test_dates_json(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["dates", str(DEMO), "--format", "json"])
    assert result.exit_code == 0
    rules = json.loads(result.output)["rules"]
    assert all(set(r) >= {"rule", "what", "date"} for r in rules)
    assert [r["rule"] for r in rules].count("R1") == 2
    assert [r["rule"] for r in rules].count("R2") == 2
    r1 = [r["date"] for r in rules if r["rule"] == "R1"]
    assert r1 == ["2023-03-01", "2023-07-18"]  # the 大本 ends at its hand-in, before the contract
    assert {r["rule"]: r["date"] for r in rules}["R5"] == "2023-03-02"


def test_dates_text(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["dates", str(EXPANSION)])
    assert "R4  高压客户用电登记表日期：2024-03-08" in result.output


def test_checklist_marks_present_and_missing(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["checklist", str(BROKEN / "missing_paper.yaml"), "--step", "中间检查"])
    assert result.exit_code == 0
    assert "带回 ✗ 受电工程中间检查结果通知单（缺）" in result.output
    assert "带回 ✓ 受电工程中间检查登记表（已有）" in result.output
    assert "图纸送审" not in result.output
    protection = runner.invoke(cli, ["checklist", str(DEMO), "--step", "送做保护定值"]).output
    assert "需带 ✓ 启动设备清单（已有）" in protection and "证明（不需要）" in protection
    full = runner.invoke(cli, ["checklist", str(EXPANSION), "--format", "json"])
    steps = json.loads(full.output)["steps"]
    assert "交负控费" not in [s["step"] for s in steps]  # not for 增容


def test_forms_lists_the_library(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["forms", "--format", "json"])
    rows = {r["title"]: r for r in json.loads(result.output)}
    assert rows["启动设备清单"]["source"] == "template"
    assert "有超过100kW设备时" in rows["启动设备清单"]["required"]
    assert "小本资料·附件" in rows["采集单"]["binders"]
    assert rows["预缴电费发票"]["binders"] == "不归档"
    text = runner.invoke(cli, ["forms"])
    assert text.exit_code == 0 and "供电方案答复单" in text.output


def test_init_writes_once(runner: CliRunner, tmp_path: Path) -> None:
    first = runner.invoke(cli, ["init", str(tmp_path / "new")])
    assert first.exit_code == 0
    target = tmp_path / "new" / "case.yaml"
    body = target.read_text(encoding="utf-8")
    assert "# 报装日期" in body and "case_id:" in body
    target.write_text("mine", encoding="utf-8")
    second = runner.invoke(cli, ["init", str(tmp_path / "new")])
    assert second.exit_code == 2
    assert target.read_text(encoding="utf-8") == "mine"


def test_schema_describes_the_contract_keys(runner: CliRunner) -> None:
    schema = json.loads(runner.invoke(cli, ["schema"]).output)
    assert set(schema["required"]) == {"case_id", "kind", "application_date", "customer"}
    doc = schema["properties"]["documents"]["items"]["properties"]
    assert {"title", "date", "application_date", "round", "number", "issuer", "file", "pages"} <= set(doc)
    assert schema["properties"]["kind"]["enum"] == ["新装", "增容"]


def test_every_command_has_help(runner: CliRunner) -> None:
    for name, command in cli.commands.items():
        assert command.help, name
        assert runner.invoke(cli, [name, "--help"]).exit_code == 0


def test_python_m_paperwork_runs() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "paperwork", "validate", str(DEMO)], capture_output=True, text=True
    )
    assert out.returncode == 0 and "通过检查" in out.stdout


def test_build_binder_contract(runner: CliRunner, soffice: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(cli, ["build-binder", str(EXPANSION), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {
        "大本资料.pdf",
        "小本资料.pdf",
        "卷内目录.xlsx",
        "docx",
        ".paperwork",
    }
    from docx import Document
    from pypdf import PdfReader

    proof = Document(str(out / "docx" / "证明.docx"))
    assert any("绿源食品加工厂" in p.text for p in proof.paragraphs)
    reader = PdfReader(str(out / "小本资料.pdf"))
    assert reader.metadata is not None and reader.metadata.subject == "CY-2024-031"


def test_build_binder_refuses_a_case_with_errors(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(cli, ["build-binder", str(BROKEN / "missing_paper.yaml"), "-o", str(out)])
    assert result.exit_code == 1
    assert "PAPER_MISSING" in result.output and "--draft" in result.output
    assert not out.exists() or not any(out.iterdir())


def test_build_binder_usage_errors(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["build-binder", str(DEMO)]).exit_code == 2  # no -o
    assert runner.invoke(cli, ["build-binder", "nope.yaml", "-o", str(tmp_path)]).exit_code == 2
    assert (
        runner.invoke(cli, ["build-binder", str(DEMO), "-o", str(tmp_path), "--templates", "nope/"]).exit_code
        == 2
    )


def test_render_docx_and_pdf(runner: CliRunner, soffice: Path, tmp_path: Path) -> None:
    from docx import Document
    from pypdf import PdfReader

    docx = tmp_path / "登记表.docx"
    assert runner.invoke(cli, ["render", "application_register", str(DEMO), "-o", str(docx)]).exit_code == 0
    text = "\n".join(c.text for t in Document(str(docx)).tables for r in t.rows for c in r.cells)
    assert "宏达精密机械有限公司" in text
    pdf = tmp_path / "设计委托书.pdf"
    result = runner.invoke(cli, ["render", "设计委托书", str(DEMO), "-o", str(pdf)])
    assert result.exit_code == 0, result.output
    assert "2023年3月2日" in PdfReader(str(pdf)).pages[0].extract_text().replace(" ", "")


def test_render_usage_errors(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(cli, ["render", "采集单", str(DEMO), "-o", str(tmp_path / "x.docx")]).exit_code == 2
    assert runner.invoke(cli, ["render", "证明", str(DEMO), "-o", str(tmp_path / "x.txt")]).exit_code == 2


def test_template_vars(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["template-vars", "启动设备清单"])
    assert result.exit_code == 0
    names = [line.split("\t")[0] for line in result.output.splitlines()]
    assert {"customer_name", "equipment", "total_kw", "date_cn"} <= set(names)
    assert runner.invoke(cli, ["template-vars", "archive_catalog"]).exit_code == 0
    assert runner.invoke(cli, ["template-vars", "采集单"]).exit_code == 2


def test_doctor_reports_libreoffice_and_fonts(runner: CliRunner, soffice: Path) -> None:
    result = runner.invoke(cli, ["doctor"])
    assert result.exit_code == 0, result.output
    assert "LibreOffice" in result.output and "中文字体" in result.output and "宋体 →" in result.output
    assert re.search(r"官方数据到 20\d\d 年", result.output)


def test_every_command_is_guarded_even_doctor_init_and_schema(tmp_path: Path) -> None:
    # the guard is the group's: a command cannot leave it off (doctor, init and schema once did)
    from paperwork.cli.common import Guarded

    assert isinstance(cli, Guarded)
    assert all(getattr(c.callback, "__paperwork_guarded__", False) for c in cli.commands.values())
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    env = {**os.environ, "XDG_CACHE_HOME": str(blocker), "PYTHONPATH": str(ROOT)}
    doctor = subprocess.run(
        [sys.executable, "-m", "paperwork", "doctor"], capture_output=True, text=True, env=env, timeout=300
    )
    assert "Traceback" not in doctor.stdout + doctor.stderr and doctor.returncode in (0, 1)
    init = subprocess.run(
        [sys.executable, "-m", "paperwork", "init", str(blocker / "case")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert init.returncode in (1, 2) and "Traceback" not in init.stdout + init.stderr
    assert "not-a-folder" in init.stdout + init.stderr
