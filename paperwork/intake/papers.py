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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from paperwork.case.dates import iso_date
from paperwork.errors import PaperworkError
from paperwork.intake.engine import Engine, TextLine
from paperwork.intake.labels import Labels
from paperwork.intake.reading import Clue, Reading, read_paper, title_on_page
from paperwork.intake.scans import Page, ScanFile, collect, pages_of
from paperwork.rules.bureau import Bureau
from paperwork.rules.resolution import number_rounds

__all__ = ["Intake", "Proposed", "Reader", "ScanText", "read_files", "read_scans"]

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


@dataclass(frozen=True)
class ScanText:
    """What the engine read of one scan file: each page's lines and height, or why it could not be read.

    The unit a queue worker reads (``intake --queue``): it travels as JSON (:meth:`to_dict`).
    """

    path: Path
    pages: tuple[tuple[tuple[TextLine, ...], float], ...] = ()
    cached: int = 0
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "pages": [
                {"height": height, "lines": [asdict(line) for line in lines]} for lines, height in self.pages
            ],
            "cached": self.cached,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ScanText:
        pages = tuple(
            (tuple(TextLine(**line) for line in page["lines"]), float(page["height"]))
            for page in data.get("pages") or ()
        )
        return cls(Path(str(data["path"])), pages, int(data.get("cached") or 0), data.get("error"))


#: How scan files are read: (files, progress) → what was read of each, in order. Local by default
#: (:func:`read_files`); ``intake --queue`` reads them on the queue's workers.
Reader = Callable[[list[ScanFile], "Tick | None"], list[ScanText]]


def read_files(scans: list[ScanFile], engine: Engine, jobs: int, tick: Tick | None = None) -> list[ScanText]:
    """Read every page of ``scans`` with ``engine``, ``jobs`` pages at a time; one result per file."""
    pages: list[Page] = []
    counts: list[int | str] = []  # each file's number of pages, or why it could not be opened
    for scan in scans:
        try:
            these = pages_of(scan)
        except PaperworkError as exc:
            counts.append(str(exc))
            continue
        pages.extend(these)
        counts.append(len(these))
    done = 0
    results: list[tuple[list[TextLine], bool]] = []

    def one(page: Page) -> tuple[list[TextLine], bool]:
        return engine.read(page.image)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        for read in pool.map(one, pages):
            results.append(read)
            done += 1
            if tick is not None:
                tick(done, len(pages))
    out = []
    first = 0
    for scan, count in zip(scans, counts, strict=True):
        if isinstance(count, str):
            out.append(ScanText(scan.path, error=count))
            continue
        mine = list(zip(pages[first : first + count], results[first : first + count], strict=True))
        first += count
        text = tuple((tuple(lines), page.height) for page, (lines, _) in mine)
        out.append(ScanText(scan.path, text, sum(hit for _, (_, hit) in mine)))
    return out


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
    engine: Engine | None,
    *,
    jobs: int = 0,
    tick: Tick | None = None,
    labels: Labels | None = None,
    reader: Reader | None = None,
) -> Intake:
    """Read every scan under ``paths`` and propose its papers (``labels``: :mod:`paperwork.intake.labels`).

    The pages are read by ``reader`` (on a queue's workers) or else here with ``engine``.
    """
    started = time.monotonic()
    jobs = jobs or min(4, os.cpu_count() or 1)
    scans, skipped = collect(paths)
    unmatched: list[dict[str, object]] = [{"file": str(p), "reason": why} for p, why in skipped]
    if reader is None:
        if engine is None:
            raise ValueError("read_scans needs an engine or a reader")
        local = engine
        reader = lambda files, progress: read_files(files, local, jobs, progress)  # noqa: E731
    texts: list[list[TextLine]] = []
    heights: list[float] = []
    where: dict[Path, list[int]] = {}
    readable = []
    cached = 0
    for scan, read in zip(scans, reader(scans, tick), strict=True):
        if read.error is not None:
            unmatched.append({"file": str(scan.path), "reason": read.error})
            continue
        where[scan.path] = list(range(len(texts), len(texts) + len(read.pages)))
        texts.extend(list(lines) for lines, _ in read.pages)
        heights.extend(height for _, height in read.pages)
        cached += read.cached
        readable.append(scan)
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
    return Intake(tuple(_rounds(proposed)), tuple(unmatched), len(texts), cached, seconds, groupings)
