"""Where each page of a case's binders comes from, as typed values.

A paper, an archive part or a stamp is either :class:`Ready` (its PDF pages are
known) or :class:`Pending` (a DOCX/DOC waiting for LibreOffice). A build collects
the pending documents of every case, converts them in one run, and turns each
into ready pages with :func:`settle`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TypeVar

from paperwork.binder.attachments import check_office, check_pdf, image_to_pdf, relaxed_docx, sniff
from paperwork.binder.page_ranges import PdfPart, whole_pdf
from paperwork.binder.triage import archivable

__all__ = ["Pending", "Ready", "Source", "attachment_source", "pending_in", "settle", "settle_all"]


@dataclass(frozen=True)
class Ready:
    """Pages that exist: a PDF part, and lines for the 备考表 about what was changed to bind it."""

    part: PdfPart
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Pending:
    """A document that becomes pages once LibreOffice has converted it."""

    document: Path


Source = Ready | Pending


def settle(source: Source, converted: dict[Path, PdfPart]) -> Source:
    """``source`` with its converted pages where LibreOffice made them."""
    if isinstance(source, Pending) and source.document in converted:
        return Ready(converted[source.document])
    return source


R = TypeVar("R")


def settle_all(record: R, converted: dict[Path, PdfPart]) -> R:
    """A frozen record of sources (e.g. one binder's parts) with every pending one settled."""
    changes = {
        f.name: settle(value, converted)
        for f in fields(record)  # type: ignore[arg-type]
        if isinstance(value := getattr(record, f.name), Ready | Pending)
    }
    return replace(record, **changes)  # type: ignore[type-var]


def pending_in(record: object) -> list[Path]:
    """The documents a record of sources still waits for."""
    return [
        value.document
        for f in fields(record)  # type: ignore[arg-type]
        if isinstance(value := getattr(record, f.name), Pending)
    ]


def attachment_source(
    path: Path, title: str, stage: Callable[[str], Path], *, archival: bool = False
) -> Source:
    """A paper's own file as pages: a PDF as it is, an image wrapped, a DOCX/DOC to convert.

    ``stage`` gives a fresh working file name with the suffix asked for. ``archival``: the binder
    is to be PDF/A, and a PDF is first made fit for it (:mod:`paperwork.binder.triage`).
    """
    sniffed = sniff(path, title)
    if sniffed.kind == "pdf":
        pages = check_pdf(path, title)
        if archival:
            fit = archivable(path, title, stage)
            return Ready(PdfPart(fit.path, 0, pages), fit.notes)
        return Ready(PdfPart(path, 0, pages))
    if sniffed.kind == "image":
        return Ready(whole_pdf(image_to_pdf(path, title, stage(".pdf"))))
    check_office(path, title)
    staged = stage(sniffed.suffix)  # LibreOffice sees what the file is, whatever its name
    if sniffed.suffix == ".docx":
        relaxed_docx(path, staged)  # a filled form's rows grow with its text, never clip it
    else:
        shutil.copyfile(path, staged)
    return Pending(staged)
