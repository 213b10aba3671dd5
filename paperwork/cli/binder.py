"""Commands that make documents: build-binder, render, template-vars, doctor."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from paperwork.bureau import Bureau
from paperwork.cli.common import (
    EXIT_CASE,
    _bureau,
    _guard,
    _print_findings,
    _resolve,
    bureau_option,
    case_argument,
    cli,
)
from paperwork.errors import CaseError, PaperworkError


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
