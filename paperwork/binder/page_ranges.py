"""Pages a build binds: a frozen ``PdfPart`` says which pages of which PDF a document is.

A merged LibreOffice run makes one PDF for many documents; each document is a
page range of it. Passing the range as a value, instead of cutting files, lets
assembly open the merged PDF once — and copy its fonts once per binder, not
once per form. A :class:`PageSource` opens each PDF once for one assembly and
lets go of them all when it is done, so memory does not grow with a batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from pypdf import PageObject, PdfReader
from pypdf.errors import PdfReadError, PyPdfError

__all__ = ["A4", "MM", "PDF_ERRORS", "PageSource", "PdfPart", "whole_pdf"]

MM = 72 / 25.4
#: The A4 page in PDF points (width, height).
A4 = (210 * MM, 297 * MM)
#: What pypdf raises on a damaged PDF (it does not wrap everything in its own errors).
PDF_ERRORS = (PdfReadError, PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, IndexError)


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


def whole_pdf(path: Path) -> PdfPart:
    """Every page of a PDF (it is opened to count them)."""
    return PdfPart(path, 0, len(PdfReader(str(path)).pages))


class PageSource:
    """Opens each PDF once for the life of an assembly (``with PageSource() as pages: …``)."""

    def __init__(self) -> None:
        self._readers: dict[Path, PdfReader] = {}

    def __enter__(self) -> PageSource:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._readers.clear()

    def pages(self, part: PdfPart) -> list[PageObject]:
        """The pages of ``part``, from its PDF opened once."""
        reader = self._readers.get(part.path)
        if reader is None:
            reader = self._readers[part.path] = PdfReader(str(part.path))
            if reader.is_encrypted:
                reader.decrypt("")  # an owner password only: checked when the file was taken
        return [reader.pages[i] for i in range(part.start, part.end)]
