"""Commands on time limits: status and the ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from paperwork.cli.common import (
    _calendar,
    _json,
    _regime,
    _resolve,
    bureau_option,
    calendar_option,
    case_argument,
    cli,
    day_of,
    format_option,
    regime_option,
    style,
    today_option,
)
from paperwork.rules.answers import missing_year_notes, status_payload


@cli.command("status")
@case_argument
@regime_option
@format_option
@click.option("--chart", "chart_path", type=click.Path(dir_okay=False), help="把时间线画成 PNG 图。")
@calendar_option
@today_option
@bureau_option
def status_cmd(
    case: str,
    regime: str | None,
    fmt: str,
    chart_path: str | None,
    calendar_path: str | None,
    today: Any,
    bureau_path: str | None,
) -> None:
    """案卷进度：每一步的起止日期、用了几个工作日、时限、是否超期，以及下一步要带什么。"""
    from paperwork.rules.checklist import next_step
    from paperwork.rules.timeline import UNTIMED, timeline

    if chart_path:
        from importlib.util import find_spec

        from paperwork.render.chart import CHART_HINT

        if find_spec("matplotlib") is None:
            raise click.UsageError(f"--chart 需要 matplotlib，它没有安装；请安装：{CHART_HINT}")
    rule = _regime(regime)
    calendar = _calendar(calendar_path)
    resolved = _resolve(case, bureau_path)
    day = day_of(today)
    line = timeline(resolved, rule, calendar, day)
    upcoming = next_step(resolved)
    notes = missing_year_notes(line)
    if chart_path:
        from paperwork.render.chart import timeline_chart

        timeline_chart(line, f"{resolved.case.case_id} {resolved.case.customer.name}", Path(chart_path))
    if fmt == "json":
        click.echo(_json(status_payload(resolved, rule, calendar, day)))
        return
    click.echo(
        f"{resolved.case.case_id} {resolved.case.customer.name}（{line.regime.name}，截至 {day.isoformat()}）"
    )
    for s in line.steps:
        why = "" if s.timed else f"，{UNTIMED}"
        if s.start is None:
            click.echo(f"  {s.step}：未开始（{s.figure}{why}）")
            continue
        end = s.end.isoformat() if s.end else "进行中"
        if not s.timed:
            click.echo(f"  {s.step}：{s.start.isoformat()} → {end}，{s.figure}{why}")
            continue
        if s.overdue:
            state = style(f"超期 {-(s.remaining or 0)} 个工作日", fg="red")
        elif s.end is None:
            state = style(
                f"还剩 {s.remaining} 个工作日（{s.due.isoformat() if s.due else ''} 截止）", fg="yellow"
            )
        else:
            state = style("按时", fg="green")
        click.echo(f"  {s.step}：{s.start.isoformat()} → {end}，{s.figure}，{state}")
    for note in notes:
        click.echo(style(f"注意：{note}", fg="yellow"))
    if upcoming is None:
        click.echo("所有步骤的资料都已齐全。")
    else:
        click.echo(f"下一步【{upcoming.name}】")
        for verb, what, _ in upcoming.lines():
            click.echo(f"  {verb}：{what}")
    if chart_path:
        click.echo(f"时间线图：{chart_path}")


def _served_workspace(paths: tuple[str, ...]) -> Path | None:
    """The one folder given, when it is a workspace ``paperwork serve`` keeps an index of."""
    from paperwork.serve.store import DB_FILE, DB_FOLDER

    if len(paths) == 1 and (Path(paths[0]) / DB_FOLDER / DB_FILE).is_file():
        return Path(paths[0])
    return None


@cli.command("ledger")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "-o", "--out", "out_file", required=True, type=click.Path(dir_okay=False), help="输出的台账 .xlsx。"
)
@regime_option
@calendar_option
@today_option
def ledger_cmd(
    paths: tuple[str, ...], out_file: str, regime: str | None, calendar_path: str | None, today: Any
) -> None:
    """台账：所有案卷一行一户（各步骤日期、工作日、超期、缺件、错误），另一页列出全部问题。"""
    from paperwork.case.collection import find_cases
    from paperwork.render.ledger import gather, write_ledger

    if not out_file.strip() or Path(out_file).suffix.lower() != ".xlsx":
        raise click.UsageError(f"台账文件 {out_file} 的后缀应为 .xlsx")
    rule = _regime(regime)
    indexed = _served_workspace(paths)
    if indexed is not None:  # a served workspace: its index, re-reading only the cases that changed
        from paperwork.serve.index import CaseIndex
        from paperwork.serve.overview import ServerSettings
        from paperwork.serve.store import Store
        from paperwork.serve.workspace import Workspace

        place = Workspace(indexed)
        settings = ServerSettings(today=day_of(today), regime=rule, calendar=_calendar(calendar_path))
        entries = CaseIndex(Store(place.root), place, settings).ledger()
    else:
        entries = gather(find_cases(paths), rule, _calendar(calendar_path), day_of(today))
    write_ledger(entries, Path(out_file))
    failed = sum(1 for e in entries if e.failure)
    late = sum(1 for e in entries if e.overdue)
    click.echo(f"已写出 {out_file}：{len(entries)} 个案卷，{late} 个有超期步骤，{failed} 个无法读取。")
