"""The rows of a page: OCR lines that sit side by side, joined left to right (a label and its value,
a date split in two), and the text forms every reading compares."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from paperwork.intake.engine import TextLine
from paperwork.rules.titles import normalise_title

__all__ = ["CJK", "Row", "clean", "key", "rows_of"]

CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Row:
    """OCR lines of one page at one height, left to right: their text (joined by spaces), the lowest
    score, the page, the top and the tallest line's height."""

    text: str
    score: float
    page: int
    y: float
    height: float
    lines: tuple[TextLine, ...] = ()
    starts: tuple[int, ...] = ()  # where each line's text begins in ``text``

    def line_at(self, offset: int) -> int:
        """The index of the line that holds character ``offset`` of the row's text."""
        return max((n for n, start in enumerate(self.starts) if start <= offset), default=0)


def clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("：", ":").strip()


def rows_of(lines: list[TextLine], page: int) -> list[Row]:
    """Lines that overlap vertically joined left to right (a label and its value, a split date)."""
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda t: t.middle):
        row = rows[-1] if rows else None
        if row and abs(line.middle - sum(t.middle for t in row) / len(row)) < 0.5 * max(line.height, 1):
            row.append(line)
        else:
            rows.append([line])
    out = []
    for row in rows:
        row.sort(key=lambda t: t.x0)
        parts = [clean(t.text) for t in row]
        starts = [sum(len(p) + 1 for p in parts[:n]) for n in range(len(parts))]
        text = " ".join(parts)
        score = min(t.score for t in row)
        top, tall = min(t.y0 for t in row), max(t.height for t in row)
        out.append(Row(text, score, page, top, tall, tuple(row), tuple(starts)))
    return out


_STRIP = re.compile(r"[\s:：()（）\[\]【】〔〕<>《》\"'“”,，.。;；、_\-—·]")


def key(text: str) -> str:
    return _STRIP.sub("", normalise_title(text))
