"""Pages a build binds: a frozen ``PdfPart`` says which pages of which PDF a document is.

A merged LibreOffice run makes one PDF for many documents; each document is a
page range of it. Passing the range as a value, instead of cutting files, lets
assembly open the merged PDF once — and copy its fonts once per binder, not
once per form. A :class:`PageSource` opens each PDF once for one assembly and
lets go of them all when it is done, so memory does not grow with a batch.

PDFs are opened through pikepdf (qpdf): counting and copying pages happens in C++, without
parsing the pages' content in Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pikepdf
from pypdf.errors import PdfReadError, PyPdfError

__all__ = [
    "A4",
    "MM",
    "PDF_ERRORS",
    "PageSource",
    "PdfPart",
    "count_pages",
    "open_pdf",
    "readable_pages",
    "whole_pdf",
]

MM = 72 / 25.4
#: The A4 page in PDF points (width, height).
A4 = (210 * MM, 297 * MM)
#: What reading a damaged PDF raises (qpdf's and pypdf's errors, and what pypdf does not wrap).
PDF_ERRORS = (
    pikepdf.PdfError,
    PdfReadError,
    PyPdfError,
    OSError,
    ValueError,
    KeyError,
    TypeError,
    AttributeError,
    IndexError,
    RuntimeError,
)


@dataclass(frozen=True)
class PdfPart:
    """Pages ``start``..``end``-1 of the PDF at ``path``.

    ``fitted``: an attached paper's pages, placed on A4 inside the stamp-safe area when bound.
    """

    path: Path
    start: int
    end: int
    fitted: bool = False

    @property
    def pages(self) -> int:
        return self.end - self.start


def open_pdf(path: Path) -> pikepdf.Pdf:
    """The PDF at ``path``, opened for reading; one with an owner password only is opened too
    (whether that is acceptable was decided when the file was taken)."""
    return pikepdf.open(path, password="")


def count_pages(path: Path) -> int:
    """How many pages the PDF at ``path`` has (raises one of :data:`PDF_ERRORS` if unreadable)."""
    with open_pdf(path) as pdf:
        return len(pdf.pages)


def readable_pages(path: Path) -> int:
    """Open the PDF at ``path`` and read every page's box and content (a cut-off or damaged PDF
    fails here, not in a binder); its page count. Raises one of :data:`PDF_ERRORS`
    (``pikepdf.PasswordError`` for one that needs a password)."""
    with open_pdf(path) as pdf:
        for page in pdf.pages:
            _ = [float(v) for v in page.mediabox], int(page.rotation)
            contents = page.obj.get(pikepdf.Name.Contents)
            for stream in contents if isinstance(contents, pikepdf.Array) else [contents]:
                if isinstance(stream, pikepdf.Stream):
                    stream.read_bytes()
        return len(pdf.pages)


def whole_pdf(path: Path) -> PdfPart:
    """Every page of a PDF (it is opened to count them)."""
    return PdfPart(path, 0, count_pages(path))


class PageSource:
    """Opens each PDF once for the life of an assembly (``with PageSource() as pages: …``)."""

    def __init__(self) -> None:
        self._pdfs: dict[Path, pikepdf.Pdf] = {}

    def __enter__(self) -> PageSource:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        for pdf in self._pdfs.values():
            pdf.close()
        self._pdfs.clear()

    def pages(self, part: PdfPart) -> list[pikepdf.Page]:
        """The pages of ``part``, from its PDF opened once."""
        pdf = self._pdfs.get(part.path)
        if pdf is None:
            pdf = self._pdfs[part.path] = open_pdf(part.path)
        return [pdf.pages[i] for i in range(part.start, part.end)]

    @property
    def version(self) -> str:
        """The highest PDF version among the PDFs opened (what a binder made of them needs)."""
        versions = [pdf.pdf_version for pdf in self._pdfs.values()] or ["1.4"]
        return max(versions, key=lambda v: tuple(int(x) for x in v.split(".") if x.isdigit()))
