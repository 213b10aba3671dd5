"""Showing a batch build: a progress bar on a terminal, plain lines elsewhere, a closing table."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # a type only: importing the build would pull in pypdf and openpyxl at start-up
    from paperwork.binder.build import CaseOutcome

__all__ = ["progress", "summary_table"]

OUTCOME_NAMES = {"built": "已装订", "unchanged": "未变", "failed": "失败", "unknown": "结果未知"}


@contextmanager
def progress(
    total: int, *, quiet: bool = False, timeout: float | None = None
) -> Iterator[Callable[[str, str], None]]:
    """Yield a callback for build events that shows how many cases are finished.

    ``quiet`` (one case): no count, but what LibreOffice is doing and how long it may take.
    """
    done = 0
    if quiet:

        def waiting(kind: str, what: str) -> None:
            if kind == "converting":
                limit = f"，最多等 {timeout:.0f} 秒（--timeout 可调）" if timeout else ""
                click.echo(f"{what}{limit}…", err=True)

        yield waiting
        return
    if sys.stdout.isatty():
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        with Progress(
            TextColumn("装订"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
        ) as bar:
            task = bar.add_task("", total=total)

            def tick(kind: str, case_id: str) -> None:
                if kind in {"done", "failed"}:
                    bar.update(
                        task, advance=1, description=f"{case_id} {'失败' if kind == 'failed' else '完成'}"
                    )

            yield tick
        return

    def line(kind: str, case_id: str) -> None:
        nonlocal done
        if kind in {"done", "failed"}:
            done += 1
            click.echo(f"[{done}/{total}] {case_id} {'失败' if kind == 'failed' else '完成'}")

    yield line


def summary_table(outcomes: list[CaseOutcome]) -> None:
    """The closing table: each case with its status, pages and time."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(title="装订结果")
        for head in ("案卷编号", "状态", "页数", "用时(秒)", "说明"):
            table.add_column(head)
        for o in outcomes:
            colour = {"built": "green", "unchanged": "cyan", "failed": "red", "unknown": "yellow"}[o.status]
            table.add_row(
                o.case_id,
                f"[{colour}]{OUTCOME_NAMES[o.status]}[/]",
                str(o.pages or ""),
                f"{o.seconds:.1f}",
                o.message,
            )
        Console().print(table)
        return
    click.echo("案卷编号\t状态\t页数\t用时(秒)\t说明")
    for o in outcomes:
        click.echo(f"{o.case_id}\t{OUTCOME_NAMES[o.status]}\t{o.pages or ''}\t{o.seconds:.1f}\t{o.message}")
    built = sum(1 for o in outcomes if o.status == "built")
    same = sum(1 for o in outcomes if o.status == "unchanged")
    failed = sum(1 for o in outcomes if o.status == "failed")
    unknown = sum(1 for o in outcomes if o.status == "unknown")
    more = f"，结果未知 {unknown}" if unknown else ""
    click.echo(f"共 {len(outcomes)} 个案卷：装订 {built}，未变 {same}，失败 {failed}{more}。")
