"""Scans uploaded on the case page, read by the intake: a proposed paper for the clerk to confirm.

The OCR engine is made on first use and kept (its models load once); without the OCR
extra the upload is still stored and the answer says what to install.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from paperwork.case.dates import iso_date
from paperwork.errors import OcrUnavailable
from paperwork.files import sha256_of
from paperwork.intake.engine import Engine, engine
from paperwork.intake.papers import read_scans
from paperwork.rules.resolution import Resolved, number_rounds
from paperwork.rules.titles import normalise_title
from paperwork.serve.overview import ServerSettings, check
from paperwork.serve.workspace import CaseFolder

if TYPE_CHECKING:
    from paperwork.dispatch.client import Waiting

__all__ = ["Proposer"]


class Proposer:
    """Reads one uploaded scan of a case into a proposed paper (title, date, 文号, round)."""

    def __init__(self, cache: Path | None, settings: ServerSettings, queue: Waiting | None = None) -> None:
        self.cache = cache
        self.settings = settings
        self.queue = queue  # serve --queue: the scan is read on the queue's workers
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def _ocr(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = engine(self.cache)
            return self._engine

    def propose(self, case: CaseFolder, stored: str) -> dict[str, object]:
        """``{file, proposal, message}``: the proposal is None when nothing was recognised."""
        reader = None
        ocr = None
        if self.queue is not None:
            from paperwork.dispatch.client import QueuedReader

            reader = QueuedReader(self.queue)
        else:
            try:
                ocr = self._ocr()
            except OcrUnavailable as exc:
                return {"file": stored, "proposal": None, "message": str(exc)}
        checked = check(case.case_file, self.settings)
        resolved = checked.resolved
        result = read_scans([case.folder / stored], checked.bureau, ocr, jobs=1, reader=reader)
        if not result.documents:
            reason = str(result.unmatched[0].get("reason", "")) if result.unmatched else "没有认出资料"
            known = duplicate_of(resolved, case.folder / stored, None, None)
            return {
                "file": stored,
                "proposal": None,
                "duplicate_of": known,
                "message": f"没有认出这份扫描件是哪份资料（{reason}），请手工填写" + _said(known),
            }
        paper = result.documents[0]
        proposal = paper.to_dict()
        proposal["file"] = stored
        if (
            paper.reading.form is not None
            and paper.reading.form.count == "per_round"
            and resolved is not None
        ):
            same = [
                (p.date, p.round)
                for p in resolved.papers
                if not p.implicit and normalise_title(p.title) == normalise_title(paper.reading.form.title)
            ]
            proposal["round"] = number_rounds([*same, (iso_date(paper.reading.date.value), None)])[-1]
        day = iso_date(paper.reading.date.value)
        known = duplicate_of(resolved, case.folder / stored, str(proposal.get("title") or ""), day)
        proposal["duplicate_of"] = known
        message = _said(known).lstrip("；")
        return {"file": stored, "proposal": proposal, "duplicate_of": known, "message": message}


def _said(row: int | None) -> str:
    return "" if row is None else f"；这份资料已在案卷中（资料第 {row + 1} 行），不会再添加一次"


def duplicate_of(resolved: Resolved | None, scan: Path, title: str | None, day: dt.date | None) -> int | None:
    """The row (``documents[n]``) of a paper already in the case: the same file (SHA-256), or the
    same title and date; None when the scan is new."""
    if resolved is None:
        return None
    digest = sha256_of(scan)
    for p in resolved.papers:
        name = p.document.file
        if p.implicit or not name:
            continue
        path = resolved.case.path_of(name)
        with contextlib.suppress(OSError):
            if path.is_file() and sha256_of(path) == digest:
                return p.index
    if title and day is not None:
        for p in resolved.papers:
            if (
                not p.implicit
                and p.document.date == day
                and normalise_title(p.title) == normalise_title(title)
            ):
                return p.index
    return None
