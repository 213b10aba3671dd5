"""The ``intake`` command: scans in, proposed papers out (OCR)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

from paperwork.cli.common import (
    EXIT_CASE,
    _json,
    _print_findings,
    bureau_option,
    cli,
    format_option,
    style,
)
from paperwork.cli.queue import queue_options, queued_reader


@cli.command("intake")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--case", "case_path", type=click.Path(exists=True, dir_okay=False), help="把识别出的资料加进这个案卷。"
)
@click.option(
    "-o",
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    help="写出的案卷文件（不会覆盖已有的其他文件）。",
)
@format_option
@click.option(
    "--jobs", type=click.IntRange(1, 64), default=None, help="同时识别的页数（默认：CPU 核数，最多 4）。"
)
@click.option("--no-cache", is_flag=True, help="不用识别缓存：每页都重新识别。")
@click.option(
    "--labels",
    "labels_path",
    type=click.Path(exists=True, dir_okay=False),
    help="本局表单上日期旁边印的字（与 intake.yaml 同格式），覆盖默认。",
)
@bureau_option
@queue_options
def intake_cmd(
    paths: tuple[str, ...],
    case_path: str | None,
    out_path: str | None,
    fmt: str,
    jobs: int | None,
    no_cache: bool,
    labels_path: str | None,
    bureau_path: str | None,
    queue: str | None,
    wait: float,
) -> None:
    """读扫描件（PDF、JPG、PNG 或文件夹）：认出每份资料的名称、日期、文号、轮次，给出置信度；
    用 -o / --case 写进案卷，每份标“待确认”，再按规则检查。用 --queue 时在队列的工作机上识别。"""
    from paperwork.binder.libreoffice import user_cache_dir
    from paperwork.cli.common import _bureau
    from paperwork.errors import OcrUnavailable, WouldOverwrite
    from paperwork.intake.engine import engine
    from paperwork.intake.labels import load_labels
    from paperwork.intake.papers import read_scans
    from paperwork.intake.proposal import write_proposals

    if out_path is not None and not out_path.strip():
        raise click.UsageError("-o 不能是空的文件名")
    bureau = _bureau(bureau_path, None)
    labels = load_labels(*([labels_path] if labels_path else []))
    if queue is not None and jobs is not None:
        raise click.UsageError(
            "--jobs 只用于本机识别；用 --queue 时，并发数由各台 paperwork worker 的 --concurrency 决定"
        )
    reader = queued_reader(queue, wait, cached=not no_cache) if queue is not None else None
    ocr = None
    jobs = jobs or min(4, os.cpu_count() or 1)
    if reader is None:
        threads = max(1, (os.cpu_count() or 1) // jobs)
        try:
            ocr = engine(None if no_cache else user_cache_dir() / "ocr", threads)
        except OcrUnavailable as exc:
            raise click.UsageError(str(exc)) from None
    with _Progress(fmt) as tick:
        result = read_scans(
            [Path(p) for p in paths], bureau, ocr, jobs=jobs, tick=tick, labels=labels, reader=reader
        )
    written = None
    target = Path(out_path) if out_path else Path(case_path) if case_path else None
    if target is not None:
        try:
            written = write_proposals(result, Path(case_path) if case_path else None, target)
        except WouldOverwrite as exc:
            raise click.UsageError(str(exc)) from None
    report = _findings(written.path) if written is not None else None
    if fmt == "json":
        payload: dict[str, Any] = result.to_dict()
        if written is not None:
            payload["written"] = {
                "case": str(written.path),
                "added": len(written.added),
                "already_in_case": len(written.already),
                "joined": [str(p) for p in written.joined],
                "ok": report is None or not any(f.severity == "error" for f in report),
                "findings": [f.to_dict() for f in report or ()],
            }
        click.echo(_json(payload))
    else:
        _print(result, written, report)
    if reader is not None and reader.failed:
        click.echo(
            style(f"{len(reader.failed)} 份扫描件没有工作机识别（见上面每份的说明）。", fg="red"), err=True
        )
    if (report is not None and any(f.severity == "error" for f in report)) or (
        reader is not None and reader.failed
    ):
        sys.exit(EXIT_CASE)


class _Progress:
    """A progress bar on stderr when it is a terminal (text output), nothing otherwise."""

    def __init__(self, fmt: str) -> None:
        self.bar: Any = None
        if fmt == "text" and sys.stderr.isatty():
            from rich.progress import Progress

            self.bar = Progress(transient=True)

    def __enter__(self) -> Any:
        if self.bar is None:
            return None
        self.bar.start()
        task = self.bar.add_task("识别扫描件", total=None)

        def tick(done: int, total: int) -> None:
            self.bar.update(task, completed=done, total=total, description=f"识别扫描件 {done}/{total} 页")

        return tick

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _findings(path: Path) -> list[Any]:
    from paperwork.cli.common import day_of
    from paperwork.rules.checked import check_file

    return list(check_file(path, today=day_of()).findings)


def _print(result: Any, written: Any, report: list[Any] | None) -> None:
    for paper in result.documents:
        r = paper.reading
        parts = [paper.title, r.date.value or "（没有认出日期）"]
        if r.application_date.value:
            parts.append(f"申请日期 {r.application_date.value}")
        if r.number.value:
            parts.append(r.number.value)
        if paper.round is not None:
            parts.append(f"第 {paper.round} 轮")
        mark = style("✓", fg="green") if paper.confidence >= 0.9 else style("?", fg="yellow")
        click.echo(
            f"{mark} {paper.files[0]}（{paper.pages} 页）→ {'  '.join(parts)}  置信度 {paper.confidence:.2f}"
        )
        if paper.grouping:
            click.echo(f"    分组：{paper.grouping}")
    for item in result.unmatched:
        text = f"：{item['text']}" if item.get("text") else ""
        click.echo(style(f"✗ {item['file']}：{item['reason']}{text}", fg="yellow"))
    cached = f"，{result.cached} 页来自缓存" if result.cached else ""
    per_page = result.seconds / result.pages if result.pages else 0
    click.echo(
        f"共 {result.pages} 页，认出 {len(result.documents)} 份资料，{len(result.unmatched)} 份未认出；"
        f"用时 {result.seconds:.1f} 秒（每页 {per_page:.1f} 秒{cached}）。"
    )
    if written is not None:
        click.echo(
            f"已写入 {written.path}：{len(written.added)} 份资料标为“待确认”"
            + (f"，{len(written.already)} 份已在案卷中，未重复添加" if written.already else "")
            + "。请对照扫描件核对后删去“待确认”注释。"
        )
        for path in written.joined:
            click.echo(f"    散页合并为：{path}")
        if report:
            click.echo("按规则检查写出的案卷：")
            _print_findings(report)
