"""Commands on one case's contents: validate, dates, checklist, forms, init, schema."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import click

from paperwork.case.schema import json_schema, starter_yaml
from paperwork.cli.common import (
    EXIT_CASE,
    EXIT_USAGE,
    _bureau,
    _calendar,
    _json,
    _print_findings,
    _resolve,
    bureau_option,
    calendar_option,
    case_argument,
    cli,
    day_of,
    format_option,
    style,
)
from paperwork.rules.answers import dates_payload
from paperwork.rules.checklist import ITEM_STATUS_NAMES, checklist
from paperwork.rules.derived import derived_dates
from paperwork.rules.forms import ISSUER_NAMES
from paperwork.rules.validation import validate


@cli.command("validate")
@case_argument
@format_option
@bureau_option
@calendar_option
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="按这一天检查“不晚于今天”（默认今天）。")
def validate_cmd(case: str, fmt: str, bureau_path: str | None, calendar_path: str | None, today: Any) -> None:
    """检查案卷：日期规则 R1–R6、流程顺序、缺少的资料、节假日。有错误时退出码为 1。"""
    resolved = _resolve(case, bureau_path)
    report = validate(resolved, today=day_of(today), calendar=_calendar(calendar_path))
    if fmt == "json":
        click.echo(_json(report.to_dict()))
    else:
        _print_findings(report.findings)
        counts = "".join(
            f"，{n} 个{name}"
            for n, name in ((len(report.warnings), "警告"), (len(report.todos), "待办"))
            if n
        )
        if report.ok:
            click.echo(style(f"✓ {case} 通过检查{counts}。", fg="green"))
        else:
            click.echo(style(f"✗ {case}：{len(report.errors)} 个错误{counts}。", fg="red"))
    if not report.ok:
        sys.exit(EXIT_CASE)


@cli.command("dates")
@case_argument
@format_option
@bureau_option
def dates_cmd(case: str, fmt: str, bureau_path: str | None) -> None:
    """列出按规则推算的日期（封面起止日期、备考表日期、登记表、设计委托书）。"""
    resolved = _resolve(case, bureau_path)
    derived = derived_dates(resolved)
    if fmt == "json":
        click.echo(_json(dates_payload(resolved)))
        return
    for d in derived:
        day = d.date.isoformat() if d.date else "（无法推算：缺少依据）"
        click.echo(f"{d.rule}  {d.what}：{day}  （{d.basis}）")


@cli.command("checklist")
@case_argument
@click.option("--step", help="只看这一步（如 图纸送审）。")
@format_option
@bureau_option
def checklist_cmd(case: str, step: str | None, fmt: str, bureau_path: str | None) -> None:
    """每一步需带什么、带回什么，本案卷已有还是缺。"""
    resolved = _resolve(case, bureau_path)
    steps = checklist(resolved, step)
    if step and not steps:
        names = "、".join(s.name for s in resolved.bureau.steps)
        raise click.UsageError(f"没有名为“{step}”的步骤；可用的步骤：{names}")
    if fmt == "json":
        click.echo(_json({"case_id": resolved.case.case_id, "steps": [s.to_dict() for s in steps]}))
        return
    marks = {"present": "✓", "missing": "✗", "optional": "○", "not_applicable": "－", "untracked": "·"}
    for s in steps:
        state = style("已完成", fg="green") if s.done else style("未完成", fg="yellow")
        click.echo(f"【{s.name}】{state}")
        for label, items in (("需带", s.bring), ("带回", s.returns)):
            for item in items:
                click.echo(f"  {label} {marks[item.status]} {item.name}（{ITEM_STATUS_NAMES[item.status]}）")


@cli.command("forms")
@format_option
@bureau_option
def forms_cmd(fmt: str, bureau_path: str | None) -> None:
    """表单库：每份资料由谁出具、怎么来、哪一步、进哪本案卷、何时需要。"""
    bureau = _bureau(bureau_path)
    rows = []
    for form in bureau.forms:
        places = "；".join(f"{b}·{p}第{n}项" for b, p, n in bureau.binders_of(form)) or "不归档"
        rows.append(
            {
                "key": form.key,
                "title": form.title,
                "issuer": form.issuer,
                "source": form.source,
                "step": form.step,
                "binders": places,
                "required": form.describe_requirement(),
                "date": form.date_meaning,
            }
        )
    if fmt == "json":
        click.echo(_json(rows))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="表单库", show_lines=False)
    for head in ("标识", "题名", "出具", "来源", "步骤", "归档位置", "何时需要", "日期含义"):
        table.add_column(head, overflow="fold")
    for row in rows:
        table.add_row(
            row["key"],
            row["title"],
            ISSUER_NAMES[row["issuer"]],
            "模板生成" if row["source"] == "template" else "扫描件",
            row["step"],
            row["binders"],
            row["required"],
            row["date"],
        )
    Console(width=max(160, shutil.get_terminal_size().columns)).print(table)


@cli.command("init")
@click.argument("directory", type=click.Path(file_okay=False))
def init_cmd(directory: str) -> None:
    """在 DIRECTORY 中写一个带中文注释的案卷文件 case.yaml（已存在则不覆盖）。"""
    target = Path(directory) / "case.yaml"
    if target.exists():
        click.echo(f"错误：{target} 已存在，不会覆盖；请换一个目录或先改名。", err=True)
        sys.exit(EXIT_USAGE)
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("x", encoding="utf-8") as out:
        out.write(starter_yaml())
    click.echo(f"已写出 {target}：按注释填写，然后运行 paperwork validate {target}")


@cli.command("schema")
def schema_cmd() -> None:
    """打印案卷文件的 JSON Schema。"""
    click.echo(_json(json_schema()))
