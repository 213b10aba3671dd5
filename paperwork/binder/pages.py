"""Pages of the PDFs a build binds, with the merged LibreOffice output kept open.

A merged conversion is cut into one PDF per document (for the cache); binding
those pieces would parse each again. Instead the cut is remembered here and the
pages come straight from the merged PDF, which is opened once — and its fonts
are then copied once per binder, not once per form. Other PDFs (scans) are
opened when needed and let go, so memory does not grow with a batch.
"""

from __future__ import annotations

from pathlib import Path

from pypdf import PageObject, PdfReader

__all__ = ["page_count", "pages_of", "release", "remember_slice"]

_slices: dict[str, tuple[str, int, int]] = {}
_readers: dict[str, PdfReader] = {}


def remember_slice(piece: Path, whole: Path, start: int, end: int) -> None:
    """``piece`` holds pages ``start``..``end``-1 of ``whole``."""
    _slices[str(piece)] = (str(whole), start, end)


def _whole(path: str) -> PdfReader:
    if path not in _readers:
        _readers[path] = PdfReader(path)
    return _readers[path]


def pages_of(path: Path) -> list[PageObject]:
    """The pages of a PDF, from its merged original where it was cut from one."""
    cut = _slices.get(str(path))
    if cut is not None and Path(cut[0]).is_file():
        whole, start, end = cut
        reader = _whole(whole)
        return [reader.pages[i] for i in range(start, end)]
    return list(PdfReader(str(path)).pages)


def page_count(path: Path) -> int:
    """How many pages a PDF has, without parsing it where it was cut from a merged one."""
    cut = _slices.get(str(path))
    if cut is not None:
        return cut[2] - cut[1]
    return len(PdfReader(str(path)).pages)


def release() -> None:
    """Forget every cut and close the merged PDFs (at the end of a build)."""
    _slices.clear()
    _readers.clear()
