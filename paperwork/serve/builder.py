"""Builds through the server: one case at a time each, all through the one warm LibreOffice.

A build goes the CLI's way (:func:`paperwork.binder.build.build_cases`) into the
case's ``装订/`` folder, which changes only when the build succeeds. Its progress
is kept per case for the page to poll; previews are PNGs of a binder's pages,
drawn by poppler's ``pdftoppm`` on first request and kept beside the binder.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from paperwork.binder.build import BuildOptions, CaseJob, CaseOutcome, build_cases, signed
from paperwork.binder.libreoffice import Converter
from paperwork.errors import PaperworkError, QueueLost
from paperwork.finding import Finding
from paperwork.serve.overview import ServerSettings
from paperwork.serve.workspace import CaseFolder

if TYPE_CHECKING:
    from paperwork.dispatch.client import Waiting

__all__ = ["BuildAnswer", "Builder", "Progress", "Ticket", "preview"]

log = logging.getLogger("paperwork.serve")

_STAGES = {
    "start": (5, "正在检查案卷"),
    "prepared": (30, "表单已填写，准备转换"),
    "converting": (55, "LibreOffice 正在转换"),
    "done": (100, "装订完成"),
    "failed": (100, "装订失败"),
}


@dataclass
class Progress:
    """Where a case's build is: a percentage and what is happening, for the page's progress bar."""

    percent: int = 0
    message: str = ""
    running: bool = False
    started: float = field(default_factory=time.monotonic)

    def to_dict(self) -> dict[str, object]:
        elapsed = round(time.monotonic() - self.started, 1) if self.running else None
        return {"percent": self.percent, "message": self.message, "running": self.running, "seconds": elapsed}


@dataclass(frozen=True)
class BuildAnswer:
    """``{ok, pages, seconds, files, findings}`` (a built case's warnings, such as FORM_FIELD_BLANK), or the
    findings that stopped the build (then ``ok`` is false)."""

    ok: bool
    pages: int
    seconds: float
    files: tuple[str, ...]
    findings: tuple[Finding, ...] = ()
    message: str = ""

    def to_dict(self) -> dict[str, object]:
        if not self.ok:
            out: dict[str, object] = {"ok": False, "findings": [f.to_dict() for f in self.findings]}
            if self.message:
                out["message"] = self.message
            return out
        return {
            "ok": True,
            "pages": self.pages,
            "seconds": round(self.seconds, 2),
            "files": list(self.files),
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class Ticket:
    """A build sent to the queue (``serve --queue``): its task, where it is, and its answer once come."""

    task: str
    draft: bool
    state: str = "PENDING"
    worker: str = ""
    answer: BuildAnswer | None = None
    started: float = field(default_factory=time.monotonic)

    def to_dict(self) -> dict[str, object]:
        """``{task, state, draft}`` and, as the page's progress bar reads them, ``{percent, message,
        running, seconds}``; ``answer`` (as a local build answers) once the task has ended."""
        if self.answer is not None:
            percent, message = _STAGES["done" if self.answer.ok else "failed"]
        elif self.state == "PENDING":
            percent, message = 5, "已排队，等工作机接手"
        else:
            percent, message = 50, f"工作机 {self.worker or ''} 正在装订".replace("  ", " ")
        out: dict[str, object] = {
            "task": self.task,
            "state": self.state,
            "draft": self.draft,
            "percent": percent,
            "message": message,
            "running": self.answer is None,
            "seconds": round(time.monotonic() - self.started, 1),
        }
        if self.answer is not None:
            out["answer"] = self.answer.to_dict()
        return out


class Builder:
    """Builds cases with ``converter`` (the server's warm LibreOffice); one build per case at a time.

    With ``queue`` (``serve --queue``) a build is a task on the queue's workers instead
    (:meth:`submit`): the request is answered at once, and the task's state is the progress.
    """

    def __init__(
        self, converter: Converter, settings: ServerSettings, cache: Path | None, queue: Waiting | None = None
    ) -> None:
        self.converter = converter
        self.settings = settings
        self.cache = cache
        self.queue = queue
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._progress: dict[str, Progress] = {}
        self._tickets: dict[str, Ticket] = {}
        self._sender: Any = None

    def progress(self, case: CaseFolder) -> dict[str, object]:
        """Where the case's build is: its ticket on the queue, else the local build's progress."""
        ticket = self._tickets.get(str(case.folder))
        if ticket is not None:
            return ticket.to_dict()
        return self._progress.get(str(case.folder), Progress()).to_dict()

    def submit(
        self,
        case: CaseFolder,
        *,
        draft: bool,
        signer: str | None,
        on_built: Callable[[BuildAnswer], None],
    ) -> Ticket:
        """Send the case's build to the queue, or give the task already on its way (a second click).
        ``on_built`` is called with a successful answer, once.
        QueueLost when Redis cannot be reached."""
        from paperwork.dispatch.client import Waiting, redis_errors
        from paperwork.dispatch.tasks import build_message, sender

        assert isinstance(self.queue, Waiting)
        key = str(case.folder)
        with self._guard:
            ticket = self._tickets.get(key)
            if ticket is not None and ticket.answer is None:
                return ticket
            now = datetime.now().astimezone().replace(microsecond=0)
            options = BuildOptions(draft=draft, today=self.settings.day, now=now)
            job = CaseJob(case.case_file, case.out)
            message = build_message(job, options, cache=None if self.cache else "none", signer=signer)
            try:
                if self._sender is None:
                    self._sender = sender(self.queue.queue)
                sent = self._sender.send_task("paperwork.build", args=[message])
            except redis_errors() as exc:
                raise _lost(self.queue, exc) from None
            ticket = Ticket(str(sent.id), draft)
            self._tickets[key] = ticket
        threading.Thread(target=self._follow, args=(case, ticket, on_built), daemon=True).start()
        return ticket

    def _follow(self, case: CaseFolder, ticket: Ticket, on_built: Callable[[BuildAnswer], None]) -> None:
        """Read the task's state until it ends (or no worker takes it, or Redis stays away)."""
        from paperwork.dispatch.broker import address_of
        from paperwork.dispatch.client import (
            DONE,
            failure_message,
            lost_message,
            redis_errors,
            task_states,
            untaken_message,
        )
        from paperwork.dispatch.tasks import cancel

        assert self.queue is not None
        queue = self.queue
        taken_by = time.monotonic() + queue.wait
        lost_since: float | None = None
        while True:
            try:
                state, result = task_states(self._sender, [ticket.task])[ticket.task]
                lost_since = None
            except redis_errors():
                lost_since = lost_since or time.monotonic()
                if time.monotonic() - lost_since > 30:
                    message = lost_message(address_of(queue.queue.broker), "装订")
                    ticket.answer = BuildAnswer(False, 0, 0.0, (), (), message)
                    return
                time.sleep(1)
                continue
            ticket.state = state
            if state == "STARTED" and isinstance(result, dict):
                ticket.worker = f"{result.get('hostname', '')}/{result.get('pid', '')}"
            if state in DONE:
                with contextlib.suppress(Exception):
                    self._sender.backend.forget(ticket.task)
                break
            if state == "PENDING" and time.monotonic() > taken_by:
                with contextlib.suppress(Exception):
                    cancel(queue.queue.broker, [ticket.task], queue.queue.visibility_timeout)
                ticket.answer = BuildAnswer(False, 0, 0.0, (), (), untaken_message(queue))
                return
            time.sleep(0.5)
        if state == "SUCCESS" and isinstance(result, dict):
            outcome = CaseOutcome.from_dict(result)
        else:
            outcome = CaseOutcome(case.case_file, case.name, "failed", message=failure_message(state, result))
        answer = self._answer(case, outcome)
        if answer.ok:
            try:
                on_built(answer)
            except (PaperworkError, OSError):  # the build stands; its record could not be written (logged)
                log.exception("paperwork: the build of %s could not be recorded", case.name)
        ticket.answer = answer

    def build(self, case: CaseFolder, *, draft: bool, signer: str | None = None) -> BuildAnswer:
        """Build ``case``; ``signer`` (the logged-in user's display name) is its 立卷人/检查人 where the
        case leaves them empty and the bureau data asks for it (``signed_by_record``)."""
        key = str(case.folder)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            progress = Progress(*_STAGES["start"], running=True)
            self._progress[key] = progress

            def tell(kind: str, what: str) -> None:
                if kind in _STAGES:
                    progress.percent, progress.message = _STAGES[kind]
                if kind == "converting":
                    progress.message = what

            now = datetime.now().astimezone().replace(microsecond=0)  # what the binders say they were made at
            options = BuildOptions(draft=draft, cache=self.cache, today=self.settings.day, now=now)
            try:
                job = CaseJob(case.case_file, case.out, case=signed(case.case_file, signer))
                (outcome,) = build_cases([job], options, self.converter, tell)
            finally:
                progress.running = False
        if not outcome.ok:
            progress.percent, progress.message = _STAGES["failed"]
        return self._answer(case, outcome)

    def _answer(self, case: CaseFolder, outcome: CaseOutcome) -> BuildAnswer:
        """The answer to the page for a build's outcome (local or from a worker)."""
        if not outcome.ok:
            return BuildAnswer(False, 0, outcome.seconds, (), outcome.findings, outcome.message)
        shutil.rmtree(case.out / ".previews", ignore_errors=True)  # the pages may have changed
        return BuildAnswer(True, outcome.pages, outcome.seconds, outcome.files, outcome.findings)


def _lost(queue: Waiting, exc: BaseException) -> QueueLost:
    from paperwork.dispatch.broker import address_of

    where = address_of(queue.queue.broker)
    return QueueLost(f"无法把装订任务交给队列：与 Redis（{where}）的连接失败：{exc}", where, ())


def preview(
    pdf: Path, page: int, width: int = 420, *, folder: Path | None = None, stem: str | None = None
) -> Path | None:
    """A PNG of one page of ``pdf`` (1-based), made once into ``folder`` (``.previews`` beside the PDF);
    None without poppler or past the end."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        return None
    folder = folder or pdf.parent / ".previews"
    folder.mkdir(parents=True, exist_ok=True)
    stem = stem or pdf.stem
    target = folder / f"{stem}-{page}.png"
    if target.is_file() and target.stat().st_mtime >= pdf.stat().st_mtime:
        return target
    base = folder / f"{stem}-{page}-tmp"
    cmd = [pdftoppm, "-png", "-singlefile", "-f", str(page), "-l", str(page), "-scale-to", str(width)]
    done = subprocess.run([*cmd, str(pdf), str(base)], capture_output=True, timeout=60)
    made = base.with_suffix(".png")
    if done.returncode != 0 or not made.is_file():
        return None
    made.replace(target)
    return target
