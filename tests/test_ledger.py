"""The 台账: one row per case, overdue cells marked, a second sheet with every finding."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from paperwork.cli import cli
from tests.conftest import FIXTURES


def test_ledger_rows_and_findings(tmp_path: Path, runner: CliRunner) -> None:
    cases = tmp_path / "cases"
    shutil.copytree(FIXTURES / "demo", cases / "demo")
    shutil.copytree(FIXTURES / "in-progress", cases / "in-progress")
    (cases / "broken").mkdir()
    (cases / "broken" / "case.yaml").write_text("case_id: X\nkind: [\n", encoding="utf-8")
    out = tmp_path / "台账.xlsx"
    result = runner.invoke(
        cli,
        [
            "ledger",
            str(cases),
            str(FIXTURES / "expansion" / "case.yaml"),
            "-o",
            str(out),
            "--today",
            "2026-11-02",
            "--regime",
            "供电监管办法",
        ],
    )
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    assert wb.sheetnames == ["台账", "问题清单"]
    ws = wb["台账"]
    head = [c.value for c in ws[1]]
    assert head[:5] == ["案卷编号", "户名", "业务类型", "申请容量(kVA)", "报装日期"]
    assert "供电方案答复 工作日（限20）" in head
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    rows = {r[0]: dict(zip(head, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"GY-2023-017", "GY-2026-088", "CY-2024-031", "broken"}
    late = rows["GY-2026-088"]
    assert late["供电方案答复 工作日（限20）"] == 30 and "供电方案答复" in late["超期步骤"]
    assert late["设计文件审核（第1轮） 结束"] == "进行中"
    # the in-progress case is in 图纸送审: the papers of later steps are to do, not missing
    # (its review round 1 is out with the bureau: its result is to do as well, so nothing is wrong)
    assert "保护定值单" in late["待办资料"] and not late["缺少资料"] and late["错误数"] == 0
    assert late["时限制度"] == "供电监管办法"
    assert rows["GY-2023-017"]["错误数"] == 0 and rows["GY-2023-017"]["超期步骤"] in (None, "")
    assert "无法读取" in rows["broken"]["错误与说明"]
    # the overdue cell is highlighted
    col = head.index("供电方案答复 工作日（限20）") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "GY-2026-088")
    assert ws.cell(row, col).fill.fgColor.rgb.endswith("F4B6B6")
    fs = wb["问题清单"]
    codes = {r[3] for r in fs.iter_rows(min_row=2, values_only=True)}
    assert {"PAPER_MISSING", "YAML_SYNTAX"} <= codes


def test_ledger_usage(tmp_path: Path, runner: CliRunner) -> None:
    assert (
        runner.invoke(cli, ["ledger", str(FIXTURES / "demo"), "-o", str(tmp_path / "x.csv")]).exit_code == 2
    )
    assert runner.invoke(cli, ["ledger", "nope", "-o", str(tmp_path / "x.xlsx")]).exit_code == 2
