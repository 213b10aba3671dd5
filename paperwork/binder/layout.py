"""A binder laid out: each catalog row's PDF pages and the content page numbers they get."""

from __future__ import annotations

from dataclasses import dataclass

from paperwork.binder.page_ranges import PdfPart
from paperwork.case.dates import compact
from paperwork.rules.catalog import Catalog, Row

__all__ = ["Layout", "Piece", "catalog_lines", "layout", "page_label"]


@dataclass(frozen=True)
class Piece:
    """One catalog row bound into a binder: its PDF and where its pages fall."""

    row: Row
    part: PdfPart
    first: int

    @property
    def pages(self) -> int:
        return self.part.pages

    @property
    def last(self) -> int:
        return self.first + self.pages - 1


@dataclass(frozen=True)
class Layout:
    """A binder's pieces with their content page numbers (from 1)."""

    catalog: Catalog
    pieces: tuple[Piece, ...]

    @property
    def content_pages(self) -> int:
        return self.pieces[-1].last if self.pieces else 0

    def page_label(self, piece: Piece) -> str:
        """The catalog's 页号: the first page, a range for the last paper."""
        return page_label(piece, is_last=piece is self.pieces[-1])


def page_label(piece: Piece, *, is_last: bool) -> str:
    if is_last and piece.last > piece.first:
        return f"{piece.first}-{piece.last}"
    return str(piece.first)


def layout(catalog: Catalog, parts: list[PdfPart]) -> Layout:
    """Number the pages of a binder's rows; ``parts`` gives each row's pages."""
    pieces = []
    page = 1
    for row, part in zip(catalog.rows, parts, strict=True):
        pieces.append(Piece(row, part, page))
        page += part.pages
    return Layout(catalog, tuple(pieces))


def catalog_lines(lay: Layout) -> list[dict[str, str]]:
    """The rows of the 卷内目录 as text, the same for the PDF and the spreadsheet."""
    out = []
    for seq, piece in enumerate(lay.pieces, 1):
        row = piece.row
        out.append(
            {
                "seq": str(seq),
                "number": row.number,
                "responsible": row.responsible,
                "title": row.label,
                "date": compact(row.date) if row.date else "",
                "pages": lay.page_label(piece),
                "note": "；".join(n for n in ("附件" if row.part == "附件" else "", row.note) if n),
            }
        )
    return out
