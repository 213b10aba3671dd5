"""What a binder prints, read back from its PDF: the 页号 stamped at the top of each page, a page's
text, the bookmarks. Used by ``paperwork verify``; nothing here needs the binder's record."""

from __future__ import annotations

import contextlib
import re
from typing import Any

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from paperwork.binder.page_ranges import MM

__all__ = ["bookmarks", "flat", "page_text", "stamped_numbers"]

#: The band at the top of a page where the 页号 is stamped (fitting.SAFE_BOX keeps it free).
_NUMBER_BAND = 18 * MM


def stamped_numbers(reader: PdfReader) -> list[int]:
    """The 页号 at the top of each page (0 where there is none), read from the page's text."""
    out = []
    for page in reader.pages:
        top = float(page.mediabox.top)
        found: list[str] = []

        def visit(text: str, cm: Any, tm: Any, *_: Any, _found: list[str] = found, _top: float = top) -> None:
            y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
            if text.strip() and y > _top - _NUMBER_BAND:
                _found.append(text.strip())

        try:
            page.extract_text(visitor_text=visit)
        except (PyPdfError, ValueError, KeyError, TypeError):
            found = []
        digits = "".join(t for t in found if t.isdigit())  # a 草稿 mark may reach into the band too
        out.append(int(digits) if digits.isdigit() and len(digits) <= 5 else 0)
    return out


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_text(reader: PdfReader, start: int, end: int) -> str:
    try:
        return flat("".join(reader.pages[i].extract_text() or "" for i in range(start, end)))
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError):
        return ""


def bookmarks(reader: PdfReader) -> dict[str, int]:
    """Bookmark title → page index, over the whole outline."""
    out: dict[str, int] = {}

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
                continue
            try:
                page = reader.get_destination_page_number(item)
            except (PyPdfError, ValueError, KeyError, TypeError):
                continue
            if page is not None:
                out.setdefault(str(item.title), page)

    with contextlib.suppress(PyPdfError, ValueError, KeyError, TypeError):
        walk(reader.outline)
    return out
