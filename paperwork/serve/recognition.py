"""Scans uploaded on the case page, read by the intake: a proposed paper for the clerk to confirm.

The OCR engine is made on first use and kept (its models load once); without the OCR
extra the upload is still stored and the answer says what to install.
"""

from __future__ import annotations

import threading
from pathlib import Path

from paperwork.case.dates import iso_date
from paperwork.errors import OcrUnavailable
from paperwork.intake.engine import Engine, engine
from paperwork.intake.papers import read_scans
from paperwork.rules.resolution import number_rounds
from paperwork.rules.titles import normalise_title
from paperwork.serve.overview import ServerSettings, check
from paperwork.serve.workspace import CaseFolder

__all__ = ["Proposer"]


class Proposer:
    """Reads one uploaded scan of a case into a proposed paper (title, date, 文号, round)."""

    def __init__(self, cache: Path | None, settings: ServerSettings) -> None:
        self.cache = cache
        self.settings = settings
        self._engine: Engine | None = None
        self._lock = threading.Lock()

    def _ocr(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = engine(self.cache)
            return self._engine

    def propose(self, case: CaseFolder, stored: str) -> dict[str, object]:
        """``{file, proposal, message}``: the proposal is None when nothing was recognised."""
        try:
            ocr = self._ocr()
        except OcrUnavailable as exc:
            return {"file": stored, "proposal": None, "message": str(exc)}
        checked = check(case.case_file, self.settings)
        resolved = checked.resolved
        result = read_scans([case.folder / stored], checked.bureau, ocr, jobs=1)
        if not result.documents:
            reason = str(result.unmatched[0].get("reason", "")) if result.unmatched else "没有认出资料"
            return {
                "file": stored,
                "proposal": None,
                "message": f"没有认出这份扫描件是哪份资料（{reason}），请手工填写",
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
        return {"file": stored, "proposal": proposal, "message": ""}
