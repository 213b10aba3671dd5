"""How to build: the one options value a build takes, from the CLI, the server or a script."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from paperwork.binder.libreoffice import OfficeSettings
from paperwork.rules.bureau import Bureau

__all__ = ["BuildOptions"]


@dataclass(frozen=True)
class BuildOptions:
    """What a build is asked for, for every case of it.

    ``draft``: build a case with errors, missing papers as 待补 pages and a 草稿 mark on every page.
    ``templates``: a folder of the user's own DOCX templates (None: the shipped ones).
    ``cache``: the cache folder (None: no cache). ``today``: the day dates are checked against
    (None: not checked; the CLI and the server pass the real date). ``bureau``: a bureau data
    file over the case's own. ``duplex``: page numbers of the back pages at the upper left.
    ``office``: where LibreOffice is and how long a run may take. ``pdfa``: "2b" or "3b" for
    archive-grade binders (None: the bureau data's ``archive.pdfa``, else plain PDF). ``now``: the
    time the binders say they were made (None: the case file's last change, so that a build is
    repeatable).
    """

    draft: bool = False
    templates: Path | None = None
    cache: Path | None = None
    today: date | None = None
    bureau: Path | None = None
    duplex: bool = False
    office: OfficeSettings = field(default_factory=OfficeSettings)
    pdfa: Literal["2b", "3b"] | None = None
    now: datetime | None = None

    def pdfa_for(self, bureau: Bureau) -> Literal["2b", "3b"] | None:
        """The PDF/A level of this build's binders: the one asked for, else the bureau's, else none."""
        return self.pdfa or bureau.archive.pdfa
