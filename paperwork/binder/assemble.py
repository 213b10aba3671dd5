"""Assembling one binder with pypdf: cover → catalog → numbered papers → 备考表.

Everything here works on PDFs that already exist; rendering and conversion
happen before (see :mod:`paperwork.binder.build`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PageObject, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
)

from paperwork.rules.catalog import Catalog, Row
from paperwork.case.dates import compact
from paperwork.binder.pages import pages_of

__all__ = ["Layout", "Piece", "assemble", "catalog_lines", "layout", "page_label"]


@dataclass(frozen=True)
class Piece:
    """One catalog row bound into a binder: its PDF and where its pages fall."""

    row: Row
    pdf: Path
    pages: int
    first: int

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


def layout(catalog: Catalog, sources: list[tuple[Path, int]]) -> Layout:
    """Number the pages of a binder's rows; ``sources`` gives (pdf, pages) per row."""
    pieces = []
    page = 1
    for row, (pdf, count) in zip(catalog.rows, sources, strict=True):
        pieces.append(Piece(row, pdf, count, page))
        page += count
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
                "note": row.note,
            }
        )
    return out


@dataclass(frozen=True)
class _Form:
    """An overlay page as a Form XObject, with the corners it is placed by."""

    name: NameObject
    ref: IndirectObject
    left: float
    right: float
    top: float


class _Overlays:
    """Overlay pages turned into Form XObjects once, then placed on pages by reference.

    Placing a form costs a resource entry and a few bytes of content per page;
    pypdf's page merging would re-parse every page's content instead.
    """

    def __init__(self, writer: PdfWriter) -> None:
        self.writer = writer
        self.forms: dict[tuple[str, int], _Form] = {}
        self.wrap = (
            writer._add_object(_stream(b"q\n")),
            writer._add_object(_stream(b"\nQ\n")),
        )

    def form(self, source: str, page: PageObject, index: int) -> _Form:
        key = (source, index)
        if key not in self.forms:
            contents = page.get_contents()  # a stream with no keys is falsy: test for None
            xobject = _stream(contents.get_data() if contents is not None else b"")
            box = page.mediabox
            xobject.update(
                {
                    NameObject("/Type"): NameObject("/XObject"),
                    NameObject("/Subtype"): NameObject("/Form"),
                    NameObject("/BBox"): ArrayObject([FloatObject(float(v)) for v in box]),
                    NameObject("/Resources"): page["/Resources"].clone(self.writer),
                }
            )
            name = NameObject(f"/PwOverlay{len(self.forms)}")
            ref = self.writer._add_object(xobject)
            self.forms[key] = _Form(name, ref, float(box.left), float(box.right), float(box.top))
        return self.forms[key]

    def place(self, page: PageObject, form: _Form, *, corner: str = "right") -> None:
        """Put the form on the page so that their upper right (or upper left) corners meet."""
        if page.rotation:
            page.transfer_rotation_to_content()
        box = page.mediabox
        name, ref = form.name, form.ref
        dx = float(box.left) - form.left if corner == "left" else float(box.right) - form.right
        dy = float(box.top) - form.top
        resources = page.setdefault(NameObject("/Resources"), DictionaryObject()).get_object()
        xobjects = resources.setdefault(NameObject("/XObject"), DictionaryObject()).get_object()
        xobjects[name] = ref
        draw = self.writer._add_object(_stream(f"q 1 0 0 1 {dx:.3f} {dy:.3f} cm {name} Do Q\n".encode()))
        contents = page.get("/Contents")
        existing: list[Any] = []
        if contents is not None:
            target = contents.get_object()
            existing = list(target) if isinstance(target, ArrayObject) else [contents]
        page[NameObject("/Contents")] = ArrayObject([self.wrap[0], *existing, self.wrap[1], draw])


def _stream(data: bytes) -> DecodedStreamObject:
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def assemble(
    lay: Layout,
    *,
    cover: Path,
    catalog_pdf: Path,
    note: Path,
    numbers: Path,
    out: Path,
    numbers_left: Path | None = None,
    title: str,
    subject: str,
    author: str,
    draft_mark: Path | None = None,
) -> int:
    """Write the binder PDF; returns its total page count.

    With ``numbers_left`` (double-sided printing) the even pages of the file, the backs of
    the leaves, carry their number at the upper left.
    """
    writer = PdfWriter()
    overlays = _Overlays(writer)
    number_pages = pages_of(numbers)
    left_pages = pages_of(numbers_left) if numbers_left else None
    mark = overlays.form("mark", pages_of(draft_mark)[0], 0) if draft_mark else None

    def add(path: Path, numbered_from: int | None = None) -> int:
        start = len(writer.pages)
        for i, page in enumerate(pages_of(path)):
            added = writer.add_page(page)
            if numbered_from is not None:
                n = numbered_from - 1 + i
                if left_pages is not None and len(writer.pages) % 2 == 0:  # a back page, double-sided
                    overlays.place(added, overlays.form("numbers-left", left_pages[n], n), corner="left")
                else:
                    overlays.place(added, overlays.form("numbers", number_pages[n], n))
            if mark is not None:
                overlays.place(added, mark)
        return start

    cover_at = add(cover)
    catalog_at = add(catalog_pdf)
    firsts: list[tuple[Piece, int]] = []
    for piece in lay.pieces:
        firsts.append((piece, add(piece.pdf, numbered_from=piece.first)))
    note_at = add(note)

    writer.add_outline_item(title="案卷封面", page_number=cover_at)
    writer.add_outline_item(title="卷内目录", page_number=catalog_at)
    parts: dict[str, object] = {}
    for piece, at in firsts:
        part = piece.row.part
        if part not in parts:
            parts[part] = writer.add_outline_item(title=part, page_number=at)
        day = compact(piece.row.date) if piece.row.date else "待补"
        writer.add_outline_item(
            title=f"{piece.row.label}（{day}）",
            page_number=at,
            parent=parts[part],  # type: ignore[arg-type]
        )
    writer.add_outline_item(title="卷内备考表", page_number=note_at)
    writer.add_metadata(
        {
            "/Title": title,
            "/Subject": subject,
            "/Author": author,
            "/Creator": "paperwork",
            "/Keywords": "高压业扩报装; 档案",
        }
    )
    writer.page_mode = "/UseOutlines"
    tmp = out.with_suffix(".part")
    with tmp.open("wb") as fh:
        writer.write(fh)
    tmp.replace(out)
    return len(writer.pages)
