"""The ``paperwork`` command: the only place that prints, colours and picks exit codes.

Exit codes: 0 done (warnings allowed), 1 the case has errors, 2 usage error.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from paperwork.bureau import Bureau, load_bureau
from paperwork.case import load_case
from paperwork.checklist import STATUS_NAMES, checklist
from paperwork.dating import derived_dates
from paperwork.errors import CaseError, ConfigError, PaperworkError
from paperwork.finding import Finding
from paperwork.forms import ISSUER_NAMES
from paperwork.papers import Resolved, resolve
from paperwork.schema import json_schema, starter_yaml
from paperwork.validation import validate

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CASE = 1
EXIT_USAGE = 2

SEVERITY_NAMES = {"error": "错误", "warning": "警告"}


class CaseFailed(Exception):
    """Raised inside a command to end with exit 1 after printing."""


def _print_findings(findings: Iterable[Finding], *, err: bool = False) -> None:
    for f in findings:
        rule = f" {f.rule}" if f.rule else ""
        head = click.style(
            f"[{SEVERITY_NAMES[f.severity]} {f.code}{rule}]",
            fg="red" if f.severity == "error" else "yellow",
        )
        click.echo(f"{f.where()} {head} {f.message}", err=err)


def _guard(func: F) -> F:
    """Turn the library's errors into messages and exit codes."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except CaseError as exc:
            if kwargs.get("fmt") == "json":
                click.echo(_json({"ok": False, "findings": [f.to_dict() for f in exc.findings]}))
            else:
                _print_findings(exc.findings, err=True)
                errors = sum(1 for f in exc.findings if f.severity == "error")
                click.echo(f"✗ {exc.source}：{errors} 个错误，请按上面的提示改正。", err=True)
            sys.exit(EXIT_CASE)
        except ConfigError as exc:
            click.echo(f"错误：{exc}", err=True)
            sys.exit(EXIT_USAGE)
        except PaperworkError as exc:
            click.echo(f"错误：{exc}", err=True)
            sys.exit(EXIT_CASE)
        except BrokenPipeError:  # the reader of our output went away (| head)
            sys.stderr.close()
            sys.exit(0)
        except OSError as exc:
            click.echo(f"错误：{exc.filename or ''} {exc.strerror or exc}；请检查路径和权限", err=True)
            sys.exit(EXIT_CASE)
        except Exception as exc:  # the last line of defence: no traceback for clerks
            if os.environ.get("PAPERWORK_DEBUG"):
                raise
            click.echo(
                f"内部错误：{type(exc).__name__}: {exc}。请把案卷文件和这行信息发给维护者"
                "（设 PAPERWORK_DEBUG=1 可看到详细信息）",
                err=True,
            )
            sys.exit(EXIT_CASE)

    return wrapper  # type: ignore[return-value]


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def _bureau(path: str | None, case_bureau: Path | None = None) -> Bureau:
    overrides = [Path(path)] if path else []
    if case_bureau is not None:
        overrides.insert(0, case_bureau)
    return load_bureau(*overrides)


def _resolve(case_path: str, bureau_path: str | None) -> Resolved:
    if bureau_path:
        _bureau(bureau_path)  # a broken --bureau file is a usage error (exit 2)
    case = load_case(case_path)
    try:
        bureau = _bureau(bureau_path, case.folder / case.bureau if case.bureau else None)
    except ConfigError as exc:
        raise CaseError(
            case.source,
            (
                Finding(
                    "CONFIG_INVALID",
                    "error",
                    str(exc),
                    path="bureau",
                    line=case.line("bureau"),
                    source=case.source,
                ),
            ),
        ) from None
    return resolve(case, bureau)


case_argument = click.argument("case", type=click.Path(exists=True, dir_okay=False, readable=True))
bureau_option = click.option(
    "--bureau",
    "bureau_path",
    type=click.Path(exists=True, dir_okay=False),
    help="本局的数据文件（表单库、步骤、流程顺序、案卷内容），覆盖默认。",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="输出格式：text 给人看，json 给脚本用。",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="paperwork")
def cli() -> None:
    """高压业扩报装资料：案卷检查、日期推算、表单填写、案卷装订。"""


@cli.command("validate")
@case_argument
@format_option
@bureau_option
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="按这一天检查“不晚于今天”（默认今天）。")
@_guard
def validate_cmd(case: str, fmt: str, bureau_path: str | None, today: Any) -> None:
    """检查案卷：日期规则 R1–R6、流程顺序、缺少的资料。有错误时退出码为 1。"""
    resolved = _resolve(case, bureau_path)
    report = validate(resolved, today=today.date() if today else None)
    if fmt == "json":
        click.echo(_json(report.to_dict()))
    else:
        _print_findings(report.findings)
        if report.ok:
            note = f"，{len(report.warnings)} 个警告" if report.warnings else ""
            click.echo(click.style(f"✓ {case} 通过检查{note}。", fg="green"))
        else:
            click.echo(
                click.style(
                    f"✗ {case}：{len(report.errors)} 个错误，{len(report.warnings)} 个警告。",
                    fg="red",
                )
            )
    if not report.ok:
        sys.exit(EXIT_CASE)


@cli.command("dates")
@case_argument
@format_option
@bureau_option
@_guard
def dates_cmd(case: str, fmt: str, bureau_path: str | None) -> None:
    """列出按规则推算的日期（封面起止日期、备考表日期、登记表、设计委托书）。"""
    resolved = _resolve(case, bureau_path)
    derived = derived_dates(resolved)
    if fmt == "json":
        click.echo(_json({"case_id": resolved.case.case_id, "rules": [d.to_dict() for d in derived]}))
        return
    for d in derived:
        day = d.date.isoformat() if d.date else "（无法推算：缺少依据）"
        click.echo(f"{d.rule}  {d.what}：{day}  （{d.basis}）")


@cli.command("checklist")
@case_argument
@click.option("--step", help="只看这一步（如 图纸送审）。")
@format_option
@bureau_option
@_guard
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
    marks = {"present": "✓", "missing": "✗", "not_applicable": "－", "untracked": "·"}
    for s in steps:
        state = click.style("已完成", fg="green") if s.done else click.style("未完成", fg="yellow")
        click.echo(f"【{s.name}】{state}")
        for label, items in (("需带", s.bring), ("带回", s.returns)):
            for item in items:
                click.echo(f"  {label} {marks[item.status]} {item.name}（{STATUS_NAMES[item.status]}）")


@cli.command("forms")
@format_option
@bureau_option
@_guard
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


def _template_key(bureau: Bureau, name: str, *, archive_parts: bool) -> str:
    from paperwork.formdata import MODELS

    form = bureau.form_by_key(name)
    if form is not None and form.generated:
        return form.key
    if archive_parts and name in MODELS:
        return name
    generated = [f"{f.key}（{f.title}）" for f in bureau.forms if f.generated]
    extra = "，以及案卷部分 archive_cover、archive_catalog、archive_note" if archive_parts else ""
    raise click.UsageError(f"“{name}”不是由模板生成的表单；可用的有：{'、'.join(generated)}{extra}")


templates_option = click.option(
    "--templates",
    "templates_dir",
    type=click.Path(exists=True, file_okay=False),
    help="自己的模板目录：其中的 <标识>.docx 代替自带的模板。",
)


@cli.command("build-binder")
@case_argument
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="输出目录。")
@click.option("--draft", is_flag=True, help="有错误也装订：缺的资料用“待补”页代替，每页加“草稿”标记。")
@templates_option
@bureau_option
@_guard
def build_binder_cmd(
    case: str, out_dir: str, draft: bool, templates_dir: str | None, bureau_path: str | None
) -> None:
    """装订客服大本资料和小本资料（PDF），并输出卷内目录.xlsx 和填好的表单 docx/。"""
    from paperwork.build import build

    resolved = _resolve(case, bureau_path)
    try:
        result = build(
            resolved,
            Path(out_dir),
            draft=draft,
            templates=Path(templates_dir) if templates_dir else None,
        )
    except CaseError as exc:
        _print_findings(exc.findings, err=True)
        click.echo(
            f"✗ {case}：{len(exc.findings)} 个错误，未装订、未写出任何文件。"
            "请改正后重试，或加 --draft 先出草稿。",
            err=True,
        )
        sys.exit(EXIT_CASE)
    _print_findings(result.report.findings)
    for binder in result.binders:
        click.echo(
            f"{binder.path}：{binder.pieces} 件，正文 {binder.content_pages} 页，共 {binder.total_pages} 页"
        )
    click.echo(f"{result.catalog_xlsx}；填好的表单 {len(result.docx)} 份在 {Path(out_dir) / 'docx'}")
    if draft:
        click.echo(click.style("这是草稿：每页有“草稿”标记，不能归档。", fg="yellow"))


@cli.command("render")
@click.argument("form")
@case_argument
@click.option(
    "-o",
    "--out",
    "out_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="输出文件（.docx 或 .pdf）。",
)
@templates_option
@bureau_option
@_guard
def render_cmd(
    form: str, case: str, out_file: str, templates_dir: str | None, bureau_path: str | None
) -> None:
    """按案卷填写一份表单 FORM（标识或题名），输出 DOCX，或按后缀输出 PDF。"""
    from paperwork.build import render_form

    out = Path(out_file)
    if out.suffix.lower() not in {".docx", ".pdf"}:
        raise click.UsageError(f"输出文件 {out} 的后缀应为 .docx 或 .pdf")
    resolved = _resolve(case, bureau_path)
    key = _template_key(resolved.bureau, form, archive_parts=False)
    render_form(resolved, key, out, templates=Path(templates_dir) if templates_dir else None)
    click.echo(f"已写出 {out}")


@cli.command("template-vars")
@click.argument("form")
@bureau_option
@_guard
def template_vars_cmd(form: str, bureau_path: str | None) -> None:
    """列出模板 FORM 可以使用的变量及其含义。"""
    from paperwork.formdata import template_fields

    key = _template_key(_bureau(bureau_path), form, archive_parts=True)
    for name, doc in template_fields(key):
        click.echo(f"{name}\t{doc}")


@cli.command("doctor")
def doctor_cmd() -> None:
    """检查运行环境：LibreOffice、中文字体、各依赖的版本。"""
    from importlib.metadata import PackageNotFoundError, version

    from paperwork.convert import INSTALL_HINT, cjk_fonts, find_soffice, soffice_version

    ok = True
    try:
        click.echo(f"LibreOffice：{find_soffice()}（{soffice_version()}）")
    except PaperworkError as exc:
        ok = False
        click.echo(click.style(f"LibreOffice：缺少。{exc}", fg="red"))
    fonts = cjk_fonts()
    if fonts:
        click.echo(f"中文字体：{'、'.join(fonts[:6])}{' 等' if len(fonts) > 6 else ''}（共 {len(fonts)} 个）")
    else:
        ok = False
        click.echo(click.style(f"中文字体：没有。请安装：{INSTALL_HINT}", fg="red"))
    click.echo(f"Python：{sys.version.split()[0]}")
    for package in (
        "paperwork",
        "python-docx",
        "docxtpl",
        "pypdf",
        "openpyxl",
        "click",
        "chinesecalendar",
        "img2pdf",
    ):
        try:
            click.echo(f"{package}：{version(package)}")
        except PackageNotFoundError:
            ok = False
            click.echo(click.style(f"{package}：未安装", fg="red"))
    if not ok:
        sys.exit(EXIT_CASE)
    click.echo(click.style("✓ 环境齐全。", fg="green"))


@cli.command("schema")
def schema_cmd() -> None:
    """打印案卷文件的 JSON Schema。"""
    click.echo(_json(json_schema()))


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="paperwork")
