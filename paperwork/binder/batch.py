"""Building many cases at once: N worker processes, each taking its share through :func:`build_cases`.

Cases are dealt out to ``jobs`` worker processes. A worker builds its cases
together, so one LibreOffice run converts the forms of all of them (and a second
their covers and catalogs). A case that fails is reported with its findings and
does not stop the others. Progress comes back as events, which the caller may
show; this module prints nothing.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from paperwork.binder.build import BuildOptions, CaseJob, CaseOutcome, Event, build_cases, remove_if_empty
from paperwork.binder.libreoffice import Converter
from paperwork.binder.warm_office import WarmOffice
from paperwork.case.model import load_case
from paperwork.errors import PaperworkError
from paperwork.files import safe_name

__all__ = ["BuildOptions", "CaseOutcome", "Event", "build_many", "safe_folder_name"]


def safe_folder_name(case_id: str) -> str:
    """A case id as a folder name on any system."""
    return safe_name(case_id, "case")


#: How a batch goes to a queue instead (``build-binder --queue``): the jobs, the options, the events.
Send = Callable[[list[CaseJob], BuildOptions, Event | None], list[CaseOutcome]]


def _share(
    jobs: list[CaseJob],
    options: BuildOptions,
    converter: Converter | None,
    warm: bool,
    on_event: Event | None,
) -> list[CaseOutcome]:
    """One process's share, built in one go: with ``warm``, on a LibreOffice kept for the whole share
    (both conversion phases, every case) and ended at its end; else one cold run per phase.
    A share of one case is built cold, as before: a kept LibreOffice would save it one start at most."""
    if converter is not None or not warm or len(jobs) < 2:
        return build_cases(jobs, options, converter, on_event)
    office = WarmOffice(options.office)
    try:
        return build_cases(jobs, options, office, on_event)
    finally:
        office.close()


def _worker(
    jobs: list[CaseJob], options: BuildOptions, events: Any, converter: Converter | None, warm: bool
) -> list[CaseOutcome]:
    """A worker process's share, outcomes made fit to travel back."""
    outcomes = _share(jobs, options, converter, warm, lambda kind, case_id: events.put((kind, case_id)))
    return [o.portable() for o in outcomes]


def _targets(paths: list[Path], out: Path, single: bool) -> tuple[list[CaseJob], list[CaseOutcome]]:
    """Where each case goes (OUT, or OUT/<case_id>/); unreadable and duplicate cases fail here.

    The cases read here go to the workers with their paths, so no case file is read twice.
    """
    if single:
        return [CaseJob(paths[0], out)], []
    jobs: list[CaseJob] = []
    failed: list[CaseOutcome] = []
    seen: dict[str, Path] = {}
    for path in paths:
        try:
            case = load_case(path)
        except PaperworkError as exc:
            findings = getattr(exc, "findings", ())
            failed.append(CaseOutcome(path, path.parent.name, "failed", message=str(exc), findings=findings))
            continue
        if case.case_id in seen:
            message = f"案卷编号 {case.case_id} 与 {seen[case.case_id]} 重复；请改正其中一个的 case_id"
            failed.append(CaseOutcome(path, case.case_id, "failed", message=message))
            continue
        seen[case.case_id] = path
        jobs.append(CaseJob(path, out / safe_folder_name(case.case_id), case))
    return jobs, failed


def build_many(
    paths: list[Path],
    out: Path,
    *,
    jobs: int | None = None,
    options: BuildOptions | None = None,
    single: bool = False,
    on_event: Event | None = None,
    batch: Converter | None = None,
    warm: bool = True,
    send: Send | None = None,
) -> list[CaseOutcome]:
    """Build every case; with ``single`` the one case goes straight into ``out``.

    ``warm`` (the default): each worker process keeps one LibreOffice for its whole share;
    False: one cold LibreOffice run per phase (``--cold``). ``batch``: a converter to use instead.
    ``send``: the cases go to a queue's workers instead of this machine's processes.
    """
    options = options or BuildOptions()
    fresh = not out.exists()
    try:
        if send is not None:
            todo, failed = _targets(paths, out, single)
            for outcome in failed:
                if on_event:
                    on_event("failed", outcome.case_id)
            if todo:
                out.mkdir(parents=True, exist_ok=True)  # the workers write under it
            return _in_order(failed + (send(todo, options, on_event) if todo else []), paths)
        return _build_many(
            paths,
            out,
            workers=max(1, jobs or os.cpu_count() or 1),
            options=options,
            single=single,
            on_event=on_event,
            batch=batch,
            warm=warm,
        )
    finally:
        if fresh:
            remove_if_empty(out)  # nothing built (all failed, or interrupted): no empty OUT left


def _build_many(
    paths: list[Path],
    out: Path,
    *,
    workers: int,
    options: BuildOptions,
    single: bool,
    on_event: Event | None,
    batch: Converter | None,
    warm: bool,
) -> list[CaseOutcome]:
    todo, failed = _targets(paths, out, single)
    for outcome in failed:
        if on_event:
            on_event("failed", outcome.case_id)
    chunks = [todo[i::workers] for i in range(min(workers, len(todo)))]
    results: list[CaseOutcome] = list(failed)
    if len(chunks) <= 1:
        results += _share(todo, options, batch, warm, on_event)
        return _in_order(results, paths)
    with multiprocessing.Manager() as manager:
        events = manager.Queue()
        with ProcessPoolExecutor(max_workers=len(chunks)) as pool:
            try:
                futures: list[Future[list[CaseOutcome]]] = [
                    pool.submit(_worker, c, options, events, batch, warm) for c in chunks
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
            except BaseException:
                _stop_workers(pool)  # interrupted: each worker cleans up and ends its LibreOffice
                raise
    return _in_order(results, paths)


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    processes = list((getattr(pool, "_processes", None) or {}).values())
    for process in processes:
        with contextlib.suppress(OSError, ValueError):
            process.terminate()
    for process in processes:
        with contextlib.suppress(OSError, ValueError, AssertionError):
            process.join(timeout=15)
    pool.shutdown(wait=False, cancel_futures=True)


def _in_order(results: list[CaseOutcome], paths: list[Path]) -> list[CaseOutcome]:
    rank = {p: i for i, p in enumerate(paths)}
    return sorted(results, key=lambda r: rank.get(r.path, len(rank)))
