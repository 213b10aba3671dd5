"""Builds through the server: one case at a time each, all through the one warm LibreOffice.

A build goes the CLI's way (:func:`paperwork.binder.build.build_cases`) into the
case's ``装订/`` folder, which changes only when the build succeeds. Its progress
is kept per case for the page to poll; previews are PNGs of a binder's pages,
drawn by poppler's ``pdftoppm`` on first request and kept beside the binder.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from paperwork.binder.build import BuildOptions, CaseJob, build_cases, signed
from paperwork.binder.libreoffice import Converter
from paperwork.finding import Finding
from paperwork.serve.overview import ServerSettings
from paperwork.serve.workspace import CaseFolder

__all__ = ["BuildAnswer", "Builder", "Progress", "preview"]

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


class Builder:
    """Builds cases with ``converter`` (the server's warm LibreOffice); one build per case at a time."""

    def __init__(self, converter: Converter, settings: ServerSettings, cache: Path | None) -> None:
        self.converter = converter
        self.settings = settings
        self.cache = cache
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._progress: dict[str, Progress] = {}

    def progress(self, case: CaseFolder) -> Progress:
        return self._progress.get(str(case.folder), Progress())

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
            return BuildAnswer(False, 0, outcome.seconds, (), outcome.findings, outcome.message)
        result = outcome.result
        pages = sum(b.total_pages for b in result.binders) if result is not None else outcome.pages
        shutil.rmtree(case.out / ".previews", ignore_errors=True)  # the pages may have changed
        return BuildAnswer(True, pages, outcome.seconds, outcome.files, outcome.findings)


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
