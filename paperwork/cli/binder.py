"""Commands that make documents: build-binder, render, template-vars, doctor."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from paperwork.cli.common import (
    EXIT_CASE,
    _bureau,
    _json,
    _print_findings,
    _resolve,
    bureau_option,
    case_argument,
    cli,
    day_of,
    format_option,
    style,
)
from paperwork.cli.progress import progress, summary_table
from paperwork.cli.queue import queue_options, queued
from paperwork.errors import PaperworkError
from paperwork.rules.bureau import Bureau

if TYPE_CHECKING:
    from paperwork.binder.build import CaseOutcome


def _template_key(bureau: Bureau, name: str, *, archive_parts: bool) -> str:
    from paperwork.render.contexts import MODELS

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
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False), help="输出目录。")
@click.option("--draft", is_flag=True, help="有错误也装订：缺的资料用“待补”页代替，每页加“草稿”标记。")
@click.option(
    "--jobs", type=click.IntRange(min=1), default=None, help="同时运行的 LibreOffice 数（默认：CPU 核数）。"
)
@click.option(
    "--cache", "cache_dir", type=click.Path(file_okay=False), help="缓存目录（默认 ~/.cache/paperwork）。"
)
@click.option("--no-cache", is_flag=True, help="不用缓存：每份表单都重新填写、转换。")
@click.option("--duplex", is_flag=True, help="双面打印：背面（偶数页）的页号印在左上角。")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1, max=86400),
    default=None,
    help="LibreOffice 一次转换最多等多少秒，到时终止，不再重试（意外退出才重试一次；"
    "默认：单个案卷 60，多个 180；"
    "或环境变量 PAPERWORK_TIMEOUT）。",
)
@click.option(
    "--pdfa",
    type=click.Choice(["2b", "3b"]),
    default=None,
    help="装订成长期保存的 PDF/A（GB/T 23286）：2b；3b 另把案卷文件和卷内目录.xlsx 附在 PDF 里。"
    "默认按局方数据 archive.pdfa。",
)
@click.option(
    "--cold",
    is_flag=True,
    help="每个进程每批冷启动 LibreOffice（旧做法，用于对比）；默认每个进程常驻一个 LibreOffice。",
)
@queue_options
@format_option
@templates_option
@bureau_option
def build_binder_cmd(
    paths: tuple[str, ...],
    out_dir: str,
    draft: bool,
    jobs: int | None,
    cache_dir: str | None,
    no_cache: bool,
    duplex: bool,
    timeout: float | None,
    pdfa: str | None,
    cold: bool,
    queue: str | None,
    wait: float,
    fmt: str,
    templates_dir: str | None,
    bureau_path: str | None,
) -> None:
    """装订客服大本资料和小本资料（PDF），并输出卷内目录.xlsx 和填好的表单 docx/。

    PATHS 是案卷文件或目录（目录下每个 case.yaml 都是一个案卷）。只给一个案卷文件时直接写入 OUT，
    否则每个案卷写入 OUT/<案卷编号>/。
    """
    from paperwork.binder.batch import BuildOptions, build_many
    from paperwork.binder.phases import FORMS_FOLDER
    from paperwork.case.collection import find_cases
    from paperwork.cli.environment import cache_folder, office_settings, templates_folder

    if cache_dir and no_cache:
        raise click.UsageError("--cache 和 --no-cache 只能用一个")
    if bureau_path:
        _bureau(bureau_path)  # a broken --bureau file is a usage error
    if not out_dir.strip():
        raise click.BadParameter("输出目录不能为空", param_hint="-o/--out")
    cases = find_cases(paths)
    single = len(paths) == 1 and Path(paths[0]).is_file()
    office = office_settings(timeout=timeout)
    timeout = office.timeout_for(single=single)
    options = BuildOptions(
        office=replace(office, timeout=timeout),
        draft=draft,
        today=day_of(),
        templates=templates_folder(templates_dir),
        cache=None if no_cache else Path(cache_dir) if cache_dir else cache_folder(),
        bureau=Path(bureau_path) if bureau_path else None,
        duplex=duplex,
        pdfa="3b" if pdfa == "3b" else "2b" if pdfa == "2b" else None,
        now=datetime.now().astimezone().replace(microsecond=0),
    )
    if queue is not None and jobs is not None:
        raise click.UsageError(
            "--jobs 只用于本机装订；用 --queue 时，并发数由各台 paperwork worker 的 --concurrency 决定"
        )
    if queue is not None and cold:
        raise click.UsageError("--cold 只用于本机装订；队列的工作机总是常驻 LibreOffice")
    shared_cache = "none" if no_cache else str(Path(cache_dir).resolve()) if cache_dir else None
    sending = queued(queue, wait, cache=shared_cache) if queue is not None else None
    with progress(len(cases), quiet=single or fmt == "json", timeout=timeout) as tick:
        outcomes = build_many(
            cases,
            Path(out_dir),
            jobs=jobs,
            options=options,
            single=single,
            on_event=None if fmt == "json" else tick,
            warm=not cold,
            send=sending,
        )
    failed = [o for o in outcomes if not o.ok]
    if fmt == "json":
        click.echo(_json([_row(o) for o in outcomes]))
        if failed:
            sys.exit(EXIT_CASE)
        return
    for outcome in outcomes:
        # a refused case shows what refused it (its errors and the papers a binder still waits for)
        shown = [f for f in outcome.findings if single or not outcome.ok or f.severity == "error"]
        _print_findings(shown, err=not outcome.ok)
    if single:
        (outcome,) = outcomes
        if outcome.ok and outcome.out is not None:
            if outcome.status == "unchanged":
                click.echo(f"{outcome.case_id}：输入未变，沿用上次的装订结果（{outcome.seconds:.1f} 秒）")
            else:
                click.echo(f"{outcome.case_id}：已装订，共 {outcome.pages} 页（{outcome.seconds:.1f} 秒）")
            for path in [*(outcome.out / name for name in outcome.files), outcome.out / FORMS_FOLDER]:
                click.echo(f"  {path}")
    else:
        summary_table(outcomes)
    if draft and not failed:
        click.echo(style("这是草稿：每页有“草稿”标记，不能归档。", fg="yellow"))
    if failed:
        for outcome in failed:
            click.echo(f"✗ {outcome.case_id}（{outcome.path}）：{outcome.message}", err=True)
        click.echo(
            f"{len(failed)} 个案卷未装订：{'、'.join(o.case_id for o in failed)}。"
            "请按上面的提示改正后重试，或加 --draft 先出草稿。",
            err=True,
        )
        sys.exit(EXIT_CASE)


def _row(outcome: CaseOutcome) -> dict[str, object]:
    """One case in ``build-binder --format json``: the contract's keys, then why it failed (if it did)."""
    data = outcome.to_dict()
    row = {key: data[key] for key in ("case_id", "status", "pages", "seconds", "out", "worker")}
    if not outcome.ok:
        row["message"] = outcome.message
        row["findings"] = data["findings"]
    return row


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
def render_cmd(
    form: str, case: str, out_file: str, templates_dir: str | None, bureau_path: str | None
) -> None:
    """按案卷填写一份表单 FORM（标识或题名），输出 DOCX，或按后缀输出 PDF。"""
    from functools import partial

    from paperwork.binder.forms import render_form
    from paperwork.binder.libreoffice import convert_batch
    from paperwork.cli.environment import office_settings, templates_folder

    out = Path(out_file)
    if out.suffix.lower() not in {".docx", ".pdf"}:
        raise click.UsageError(f"输出文件 {out} 的后缀应为 .docx 或 .pdf")
    resolved = _resolve(case, bureau_path)
    key = _template_key(resolved.bureau, form, archive_parts=False)
    render_form(
        resolved,
        key,
        out,
        templates=templates_folder(templates_dir),
        converter=partial(convert_batch, settings=office_settings()),
    )
    click.echo(f"已写出 {out}")


@cli.command("template-vars")
@click.argument("form")
@bureau_option
def template_vars_cmd(form: str, bureau_path: str | None) -> None:
    """列出模板 FORM 可以使用的变量及其含义。"""
    from paperwork.render.contexts import template_fields

    key = _template_key(_bureau(bureau_path), form, archive_parts=True)
    for name, doc in template_fields(key):
        click.echo(f"{name}\t{doc}")


def _pdfa_lines() -> list[str]:
    """What --pdfa and verify need: Ghostscript and poppler for some attachments, an sRGB profile,
    and (for verify) the validator."""
    import contextlib
    import shutil
    import subprocess
    from importlib.metadata import PackageNotFoundError, version

    from paperwork.binder.archival import SRGB_FILES

    gs, gs_version = shutil.which("gs"), ""
    if gs is not None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run([gs, "--version"], capture_output=True, text=True, timeout=30)
            gs_version = done.stdout.strip()
    srgb = next((str(p) for p in SRGB_FILES if p.is_file()), "没有（改用 Pillow 生成的 sRGB）")
    missing_gs = "未安装（附件缺字体时无法装订 --pdfa；apt-get install ghostscript）"
    lines = [
        f"PDF/A：Ghostscript {gs_version or missing_gs}"
        f"；pdftoppm {'有' if shutil.which('pdftoppm') else '未安装（apt-get install poppler-utils）'}"
        f"；sRGB 配置文件 {srgb}",
    ]
    try:
        lines.append(f"page-validation（可选，verify 校验 PDF/A）：{version('page-validation')}")
    except PackageNotFoundError:
        lines.append(
            "page-validation（可选，verify 校验 PDF/A）：未安装；需要时 pip install 'hv-paperwork[pdfa]'"
        )
    return lines


@cli.command("doctor")
def doctor_cmd() -> None:
    """检查运行环境：LibreOffice、中文字体、节假日数据、各依赖的版本。"""
    from importlib.metadata import PackageNotFoundError, version

    from paperwork._version import DISTRIBUTION
    from paperwork.binder.libreoffice import find_soffice, soffice_version, user_font_dir
    from paperwork.cli.environment import office_settings
    from paperwork.render.fonts import INSTALL_HINT, SUBSTITUTES, cjk_fonts, metric_fonts, printed_in
    from paperwork.rules.workdays import last_official_year

    ok = True
    office = office_settings()
    try:
        click.echo(f"LibreOffice：{find_soffice(office)}（{soffice_version(office)}）")
    except PaperworkError as exc:
        ok = False
        click.echo(style(f"LibreOffice：缺少。{exc}", fg="red"))
    fonts = cjk_fonts()
    if fonts:
        click.echo(f"中文字体：{'、'.join(fonts[:6])}{' 等' if len(fonts) > 6 else ''}（共 {len(fonts)} 个）")
    else:
        ok = False
        click.echo(style(f"中文字体：没有。请安装：{INSTALL_HINT}", fg="red"))
    try:
        made = metric_fonts(user_font_dir())
    except (OSError, PaperworkError) as exc:  # a cache folder that cannot be written: say so, go on
        made = None
        click.echo(style(f"1 em 行高字体：无法生成（{exc}）；表单改用后备字体", fg="yellow"))
    click.echo("Windows 字体在这里印成：")
    for family in ("宋体", "新宋体", "仿宋_GB2312", "楷体", "黑体", "微软雅黑"):
        shown = printed_in(family, made)
        best = SUBSTITUTES[family][0]
        hint = "" if shown == best else f"（首选 {best} 不可用：行高或字宽与原字体不同，表格里的字可能被截）"
        click.echo(f"  {family} → {shown or '没有可用的字体'}{hint}")
    last = last_official_year(day_of())
    click.echo(f"节假日数据：官方数据到 {last} 年（chinesecalendar）；之后的年份按周末推算")
    click.echo(f"Python：{sys.version.split()[0]}")
    for package in (
        DISTRIBUTION,
        "python-docx",
        "docxtpl",
        "pypdf",
        "openpyxl",
        "click",
        "chinesecalendar",
        "img2pdf",
        "pikepdf",
    ):
        try:
            click.echo(f"{package}：{version(package)}")
        except PackageNotFoundError:
            ok = False
            click.echo(style(f"{package}：未安装", fg="red"))
    try:
        click.echo(f"matplotlib（可选，画时间线图）：{version('matplotlib')}")
    except PackageNotFoundError:
        click.echo("matplotlib（可选，画时间线图）：未安装；需要时 pip install 'hv-paperwork[chart]'")
    for line in _pdfa_lines():
        click.echo(line)
    try:
        click.echo(f"rapidocr（可选，paperwork intake 识别扫描件）：{version('rapidocr')}")
    except PackageNotFoundError:
        click.echo(
            "rapidocr（可选，paperwork intake 识别扫描件）：未安装；需要时 pip install 'hv-paperwork[ocr]'"
        )
    from paperwork.binder.warm_office import uno_python

    uno = uno_python(office)
    click.echo(
        f"paperwork serve 常驻 LibreOffice：用 {uno} 的 uno 模块"
        if uno
        else "paperwork serve 常驻 LibreOffice：找不到带 uno 的 Python"
        "（Debian：apt install python3-uno），每次装订冷启动"
    )
    if not ok:
        sys.exit(EXIT_CASE)
    click.echo(style("✓ 环境齐全。", fg="green"))


@cli.command("verify")
@click.argument("path", type=click.Path(exists=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", help="输出格式。")
def verify_cmd(path: str, fmt: str) -> None:
    """核对装订好的案卷 PDF（或装订输出目录 OUT 里的每本案卷和卷内目录.xlsx）。

    对本工具装订的案卷：页面是否与装订时相同（被替换、删除、挪动、改动的页会指出属于哪份资料），
    页号、书签与卷内目录是否一致，封面起止日期是否符合 R1/R2，件数页数，字体是否嵌入，
    PDF/A 是否合格（装了校验器时）。别的 PDF 只做不需要装订记录的检查，并说明哪些没做。
    没有问题退出码 0，有问题 1，用法错误 2。
    """
    from paperwork.binder.verification import verify_path

    checks = verify_path(Path(path))
    ok = all(not c.findings for c in checks)
    if fmt == "json":
        click.echo(_json({"ok": ok, "binders": [c.to_dict() for c in checks]}))
    else:
        for check in checks:
            head = f"{check.path}" + (f"（{check.case_id} {check.binder}）" if check.case_id else "")
            verdict = (
                style("通过", fg="green")
                if not check.findings
                else style(f"{len(check.findings)} 处问题", fg="red")
            )
            click.echo(f"{head}：{verdict}")
            _print_findings(check.findings)
            for item in check.checked:
                click.echo(f"  ✓ {item}")
            for item in check.not_checked:
                click.echo(style(f"  – 未核对：{item}", fg="yellow"))
    if not ok:
        sys.exit(EXIT_CASE)
