"""The LibreOffice strategy of a build: the documents of many cases converted together.

Run 1 converts every prepared case's forms and guessed archive parts in one LibreOffice
run. A case whose page guess was wrong comes back with its parts made again, for run 2.
When a shared run fails, its cases are converted one by one, so that only the case whose
document failed fails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from paperwork.binder.cache import Cache
from paperwork.binder.libreoffice import Converter
from paperwork.binder.pdfs import pdfs_for
from paperwork.binder.phases import Converted, Prepared
from paperwork.errors import ConversionError, PaperworkError

__all__ = ["Failed", "convert_prepared"]


@dataclass(frozen=True)
class Failed:
    """A prepared case that did not get through LibreOffice, and why."""

    prepared: Prepared
    error: PaperworkError | OSError


#: Told what LibreOffice is doing, in the clerk's words.
Say = Callable[[str], None]


def _run(
    group: list[Prepared], name: str, cache: Cache, converter: Converter, workdir: Path, say: Say
) -> list[Prepared]:
    """Convert what ``group`` waits for in one run; each case settled with its pages."""
    docs = list(dict.fromkeys(d for p in group for d in p.pending()))
    if not docs:
        return group
    say(f"LibreOffice 正在转换 {len(docs)} 份文件")
    converted = dict(zip(docs, pdfs_for(docs, workdir / name, cache, converter), strict=True))
    return [p.settle(converted) for p in group]


def _failure(prepared: Prepared, exc: PaperworkError) -> Failed:
    return Failed(prepared, prepared.explain(exc) if isinstance(exc, ConversionError) else exc)


def convert_prepared(
    cases: list[Prepared], cache: Cache, converter: Converter, workdir: Path, say: Say
) -> list[Converted | Failed]:
    """Take prepared cases through LibreOffice: each comes out Converted or Failed, in order."""
    done: dict[int, Converted | Failed] = {}
    alive = dict(enumerate(cases))
    for phase, last in (("run1", False), ("run2", True)):
        if not alive:
            break
        try:
            settled = dict(
                zip(alive, _run(list(alive.values()), phase, cache, converter, workdir, say), strict=True)
            )
        except PaperworkError as exc:
            if len(alive) == 1:  # nothing to tell apart: the converter has retried already
                ((n, one),) = alive.items()
                done[n] = _failure(one, exc)
                alive = {}
                continue
            settled = {}
            for n, one in alive.items():
                try:
                    (settled[n],) = _run([one], f"{phase}-case{n}", cache, converter, workdir, say)
                except PaperworkError as each:
                    done[n] = _failure(one, each)
        alive = {}
        for n, one in settled.items():
            try:
                outcome = one.conclude(last=last)
            except (PaperworkError, OSError) as exc:
                done[n] = Failed(one, exc)
                continue
            if isinstance(outcome, Converted):
                done[n] = outcome
            else:
                alive[n] = outcome  # its parts again, in run 2
    return [done[n] for n in range(len(cases))]
