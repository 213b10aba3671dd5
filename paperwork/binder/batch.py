"""Building many cases at once: N workers, each with its own LibreOffice runs.

Cases are dealt out to ``jobs`` worker processes. A worker takes its cases
through the build phases together, so one LibreOffice run converts the forms of
all its cases (and a second their covers and catalogs). A case that fails is
reported with its findings and does not stop the others. Progress comes back as
events, which the caller may show; this module prints nothing.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from paperwork.binder.build import CaseBuild, convert_cases
from paperwork.rules.bureau import load_bureau
from paperwork.binder.cache import Cache
from paperwork.case.model import Case, load_case
from paperwork.binder.converter import Batch
from paperwork.binder.libreoffice import convert_batch
from paperwork.errors import CaseError, PaperworkError
from paperwork.finding import Finding
from paperwork.binder.manifest import Manifest, fingerprint
from paperwork.binder.pages import release
from paperwork.rules.resolution import resolve

__all__ = ["CaseOutcome", "Event", "Options", "build_many"]

Status = Literal["built", "unchanged", "failed"]
Event = Callable[[str, str], None]


@dataclass(frozen=True)
class Options:
    """How to build: draft, own templates, cache folder (None: no cache), the day to check against."""

    draft: bool = False
    templates: Path | None = None
    cache: Path | None = None
    today: date | None = None
    bureau: Path | None = None
    duplex: bool = False


@dataclass(frozen=True)
class CaseOutcome:
    """What became of one case: built, unchanged, or failed (with why)."""

    path: Path
    case_id: str
    status: Status
    out: Path | None = None
    pages: int = 0
    seconds: float = 0.0
    message: str = ""
    findings: tuple[Finding, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.status != "failed"


def _failed(path: Path, case_id: str, exc: Exception, started: float) -> CaseOutcome:
    findings = exc.findings if isinstance(exc, CaseError) else ()
    message = f"{len(findings)} 个错误" if findings else str(exc)
    return CaseOutcome(path, case_id, "failed", None, 0, time.monotonic() - started, message, findings)


Item = tuple[Path, Path, Case | None]


def _work(
    items: list[Item], options: Options, events: Any, batch: Batch = convert_batch
) -> list[CaseOutcome]:
    """Build ``items`` (case file, its OUT, the case if already read) in this process, phase by phase."""

    def tell(kind: str, case: str) -> None:
        if events is not None:
            events.put((kind, case))

    cache = Cache(options.cache)
    started: dict[Path, float] = {}
    outcomes: dict[Path, CaseOutcome] = {}
    jobs: dict[Path, tuple[CaseBuild, str]] = {}
    with contextlib.ExitStack() as stack:
        stack.callback(release)  # let go of the merged PDFs when the chunk is done
        for path, out, loaded in items:
            started[path] = time.monotonic()
            case_id = path.parent.name
            try:
                case = loaded or load_case(path)
                overrides = [case.folder / case.bureau] if case.bureau else []
                overrides += [options.bureau] if options.bureau else []
                resolved = resolve(case, load_bureau(*overrides))
                case_id = resolved.case.case_id
                stamp = fingerprint(
                    resolved, draft=options.draft, templates=options.templates, duplex=options.duplex
                )
                previous = Manifest.read(out) if cache.enabled else None
                if previous is not None and previous.stamp == stamp and previous.intact(out):
                    outcomes[path] = CaseOutcome(
                        path, case_id, "unchanged", out, 0, time.monotonic() - started[path]
                    )
                    tell("done", case_id)
                    continue
                out.mkdir(parents=True, exist_ok=True)
                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=".paperwork-", dir=out)))
                job = CaseBuild(
                    resolved, out, tmp / "case", cache, options.draft, options.templates, options.duplex
                )
                job.prepare(options.today)
                job.archive_parts(guess=True)
                jobs[path] = (job, stamp)
                tell("prepared", case_id)
            except (PaperworkError, OSError) as exc:
                outcomes[path] = _failed(path, case_id, exc, started[path])
                tell("failed", case_id)
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="paperwork-batch-")))
        path_of = {id(job): path for path, (job, _) in jobs.items()}

        def fail(job: CaseBuild, exc: Exception) -> None:
            path = path_of[id(job)]
            outcomes[path] = _failed(path, job.resolved.case.case_id, exc, started[path])
            tell("failed", job.resolved.case.case_id)
            del jobs[path]

        convert_cases([job for job, _ in jobs.values()], cache, batch, work, fail)
        for path, (job, stamp) in jobs.items():
            case_id = job.resolved.case.case_id
            try:
                result = job.finish(stamp)
                pages = sum(b.total_pages for b in result.binders)
                seconds = time.monotonic() - started[path]
                outcomes[path] = CaseOutcome(
                    path, case_id, "built", job.out, pages, seconds, "", result.report.findings
                )
                tell("done", case_id)
            except (PaperworkError, OSError) as exc:
                outcomes[path] = _failed(path, case_id, exc, started[path])
                tell("failed", case_id)
    return [outcomes[path] for path, _, _ in items]


def _targets(paths: list[Path], out: Path, single: bool) -> tuple[list[Item], list[CaseOutcome]]:
    """Where each case goes (OUT, or OUT/<case_id>/); unreadable and duplicate cases fail here.

    The cases read here go to the workers with their paths, so no case file is read twice.
    """
    if single:
        return [(paths[0], out, None)], []
    items: list[Item] = []
    failed: list[CaseOutcome] = []
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            case = load_case(path)
            case_id = case.case_id
        except PaperworkError as exc:
            failed.append(_failed(path, path.parent.name, exc, time.monotonic()))
            continue
        if case_id in seen:
            message = f"案卷编号 {case_id} 与 {seen[case_id]} 重复；请改正其中一个的 case_id"
            failed.append(CaseOutcome(path, case_id, "failed", message=message))
            continue
        safe = "".join("_" if c in '/\\:*?"<>|' else c for c in case_id).strip(". ") or "case"
        seen[case_id] = path
        items.append((path, out / safe, case))
    return items, failed


def build_many(
    paths: list[Path],
    out: Path,
    *,
    jobs: int | None = None,
    options: Options | None = None,
    single: bool = False,
    on_event: Event | None = None,
    batch: Batch = convert_batch,
) -> list[CaseOutcome]:
    """Build every case; with ``single`` the one case goes straight into ``out``."""
    options = options or Options()
    workers = max(1, jobs or os.cpu_count() or 1)
    items, failed = _targets(paths, out, single)
    for outcome in failed:
        if on_event:
            on_event("failed", outcome.case_id)
    chunks = [items[i::workers] for i in range(min(workers, len(items)))]
    results: list[CaseOutcome] = list(failed)
    if len(chunks) <= 1:
        results += _work(items, options, _Direct(on_event), batch)
        return _in_order(results, paths)
    with multiprocessing.Manager() as manager:
        events = manager.Queue()
        with ProcessPoolExecutor(max_workers=len(chunks)) as pool:
            futures: list[Future[list[CaseOutcome]]] = [
                pool.submit(_work, c, options, events) for c in chunks
            ]
            while any(not f.done() for f in futures) or not events.empty():
                try:
                    kind, case_id = events.get(timeout=0.2)
                except queue.Empty:
                    continue
                if on_event:
                    on_event(kind, case_id)
            for future in futures:
                results += future.result()
    return _in_order(results, paths)


class _Direct:
    """Events of an in-process build go straight to the caller."""

    def __init__(self, on_event: Event | None) -> None:
        self.on_event = on_event

    def put(self, event: tuple[str, str]) -> None:
        if self.on_event:
            self.on_event(*event)


def _in_order(results: list[CaseOutcome], paths: list[Path]) -> list[CaseOutcome]:
    rank = {p: i for i, p in enumerate(paths)}
    return sorted(results, key=lambda r: rank.get(r.path, len(rank)))
