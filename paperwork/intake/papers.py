"""Scans in, proposed papers out: pages read in parallel, grouped into papers, rounds by date.

A PDF is one paper. Loose page images in one folder (a scanner that writes one JPG per
page) are grouped in name order: a page whose top shows a form title starts a paper,
a page without one continues the paper before it; :attr:`Proposed.grouping` says so.
Review papers (登记表 and 结果通知单 of each round) get their round from date order.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from paperwork.case.dates import iso_date
from paperwork.errors import PaperworkError
from paperwork.intake.engine import Engine, TextLine
from paperwork.intake.labels import Labels
from paperwork.intake.reading import Clue, Reading, read_paper, title_on_page
from paperwork.intake.scans import Page, ScanFile, collect, pages_of
from paperwork.rules.bureau import Bureau
from paperwork.rules.resolution import number_rounds

__all__ = ["Intake", "Proposed", "read_scans"]

#: Progress: (pages done, pages in all).
Tick = Callable[[int, int], None]


@dataclass(frozen=True)
class Proposed:
    """One paper the scans show: its files and pages, what was read, its round."""

    files: tuple[Path, ...]
    pages: int
    reading: Reading
    round: int | None = None
    grouping: str = ""

    @property
    def title(self) -> str | None:
        return self.reading.title.value

    @property
    def confidence(self) -> float:
        """The paper's confidence: its least sure field among those read."""
        found = [c.confidence for c in self._clues().values() if c.value is not None]
        return round(min(found), 2) if found else 0.0

    def _clues(self) -> dict[str, Clue]:
        r = self.reading
        clues = {"title": r.title, "date": r.date, "number": r.number}
        if r.form is not None and r.form.reply:
            clues["application_date"] = r.application_date
        return clues

    def fields(self) -> dict[str, object]:
        """The case file's keys for this paper (title, date, number, round, application_date)."""
        out: dict[str, object] = {"title": self.title}
        if self.reading.date.value:
            out["date"] = self.reading.date.value
        if self.reading.application_date.value:
            out["application_date"] = self.reading.application_date.value
        if self.reading.number.value:
            out["number"] = self.reading.number.value
        if self.round is not None:
            out["round"] = self.round
        return out

    def to_dict(self) -> dict[str, object]:
        """The JSON of ``intake --format json``: ``{file, pages, title, date, number, round, …}``."""
        r = self.reading
        evidence = {
            name: {"value": c.value, "confidence": c.confidence, "text": c.evidence, "page": c.page}
            for name, c in self._clues().items()
        }
        out: dict[str, object] = {
            "file": str(self.files[0]),
            "pages": self.pages,
            "title": self.title,
            "date": r.date.value,
            "number": r.number.value,
            "round": self.round,
            "application_date": r.application_date.value,
            "confidence": self.confidence,
            "evidence": evidence,
        }
        if len(self.files) > 1:
            out["files"] = [str(f) for f in self.files]
            out["grouping"] = self.grouping
        return out


@dataclass(frozen=True)
class Intake:
    """Everything read: the proposed papers (title known), the rest with why, and the counts."""

    documents: tuple[Proposed, ...]
    unmatched: tuple[dict[str, object], ...]
    pages: int = 0
    cached: int = 0
    seconds: float = 0.0
    groupings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {"documents": [d.to_dict() for d in self.documents], "unmatched": list(self.unmatched)}


def _read_all(
    pages: list[Page], engine: Engine, jobs: int, tick: Tick | None
) -> tuple[list[list[TextLine]], int]:
    done, cached = 0, 0
    results: list[list[TextLine]] = [[] for _ in pages]

    def one(n: int) -> tuple[int, list[TextLine], bool]:
        lines, hit = engine.read(pages[n].image)
        return n, lines, hit

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for n, lines, hit in pool.map(one, range(len(pages))):
            results[n] = lines
            done += 1
            cached += hit
            if tick is not None:
                tick(done, len(pages))
    return results, cached


def _groups(
    scans: list[ScanFile],
    pages: dict[Path, list[int]],
    texts: list[list[TextLine]],
    heights: list[float],
    bureau: Bureau,
) -> list[tuple[list[Path], list[int], str]]:
    """Papers as (files, page numbers, how grouped): a PDF each; loose images by their title pages."""
    out: list[tuple[list[Path], list[int], str]] = []
    open_group: tuple[list[Path], list[int], str] | None = None
    for scan in scans:
        numbers = pages[scan.path]
        if scan.kind == "pdf":
            out.append(([scan.path], numbers, ""))
            open_group = None
            continue
        (n,) = numbers
        form, _ = title_on_page(texts[n], bureau, heights[n])
        same_folder = open_group is not None and open_group[0][-1].parent == scan.path.parent
        if form is None and same_folder and open_group is not None:
            open_group[0].append(scan.path)
            open_group[1].append(n)
            continue
        open_group = ([scan.path], [n], "")
        out.append(open_group)
    described = []
    for files, numbers, _ in out:
        if len(files) > 1:
            rest = f"{files[1].name}–{files[-1].name}" if len(files) > 2 else files[1].name
            why = f"{files[0].name} 有资料标题，其后 {len(files) - 1} 页（{rest}）没有标题，并为同一份资料"
            described.append((files, numbers, why))
        else:
            described.append((files, numbers, ""))
    return described


def _rounds(papers: list[Proposed]) -> list[Proposed]:
    """Rounds of per-round papers from date order (an undated one goes last)."""
    by_title: dict[str, list[int]] = {}
    for n, p in enumerate(papers):
        if p.reading.form is not None and p.reading.form.count == "per_round":
            by_title.setdefault(p.reading.form.title, []).append(n)
    out = list(papers)
    for indexes in by_title.values():
        rounds = number_rounds([(iso_date(papers[n].reading.date.value), None) for n in indexes])
        for n, k in zip(indexes, rounds, strict=True):
            p = papers[n]
            out[n] = Proposed(p.files, p.pages, p.reading, k, p.grouping)
    return out


def read_scans(
    paths: list[Path],
    bureau: Bureau,
    engine: Engine,
    *,
    jobs: int = 0,
    tick: Tick | None = None,
    labels: Labels | None = None,
) -> Intake:
    """Read every scan under ``paths`` and propose its papers (``labels``: :mod:`paperwork.intake.labels`)."""
    started = time.monotonic()
    jobs = jobs or min(4, os.cpu_count() or 1)
    scans, skipped = collect(paths)
    unmatched: list[dict[str, object]] = [{"file": str(p), "reason": why} for p, why in skipped]
    pages: list[Page] = []
    where: dict[Path, list[int]] = {}
    readable = []
    for scan in scans:
        try:
            these = pages_of(scan)
        except PaperworkError as exc:
            unmatched.append({"file": str(scan.path), "reason": str(exc)})
            continue
        where[scan.path] = list(range(len(pages), len(pages) + len(these)))
        pages.extend(these)
        readable.append(scan)
    texts, cached = _read_all(pages, engine, jobs, tick)
    heights = [p.height for p in pages]
    proposed = []
    for files, numbers, why in _groups(readable, where, texts, heights, bureau):
        reading = read_paper([texts[n] for n in numbers], [heights[n] for n in numbers], bureau, labels)
        if reading.form is None:
            top = " / ".join(t.text for t in texts[numbers[0]][:4]) if numbers else ""
            unmatched.append(
                {"file": str(files[0]), "pages": len(numbers), "reason": "没有认出资料名称", "text": top}
            )
            continue
        proposed.append(Proposed(tuple(files), len(numbers), reading, None, why))
    groupings = tuple(p.grouping for p in proposed if p.grouping)
    seconds = time.monotonic() - started
    return Intake(tuple(_rounds(proposed)), tuple(unmatched), len(pages), cached, seconds, groupings)
