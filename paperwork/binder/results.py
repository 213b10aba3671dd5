"""What a build returns, and the names of what it writes into OUT."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from paperwork.binder.sources import Source
from paperwork.rules.resolution import Resolved
from paperwork.rules.validation import Report

__all__ = ["CATALOG_BOOK", "FORMS_FOLDER", "BinderOutput", "BinderSources", "BuildResult", "output_names"]

CATALOG_BOOK = "卷内目录.xlsx"
FORMS_FOLDER = "docx"


@dataclass(frozen=True)
class BinderOutput:
    """One written binder: its file, pieces (件数) and pages."""

    name: str
    path: Path
    pieces: int
    content_pages: int
    total_pages: int


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote (or found unchanged), and the findings of the case."""

    case_id: str
    out: Path
    binders: tuple[BinderOutput, ...]
    catalog_xlsx: Path
    docx: tuple[Path, ...]
    report: Report
    draft: bool
    unchanged: bool = False

    @property
    def pages(self) -> int:
        """The pages of all its binders, covers and catalogs included."""
        return sum(b.total_pages for b in self.binders)


@dataclass(frozen=True)
class BinderSources:
    """The archive parts and page-number stamps of one binder."""

    cover: Source
    catalog: Source
    note: Source
    numbers: Source
    numbers_left: Source | None = None


def output_names(resolved: Resolved) -> list[str]:
    """What a build writes into OUT: each binder's PDF, the catalog workbook, the forms folder."""
    return [*(f"{spec.name}.pdf" for spec in resolved.bureau.binders), CATALOG_BOOK, FORMS_FOLDER]
