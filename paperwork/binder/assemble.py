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
    DictionaryObject,
    IndirectObject,
    NameObject,
)

from paperwork.binder.fitting import content_stream, defang, form_xobject, place_on_a4
from paperwork.binder.layout import Layout, Piece
from paperwork.binder.page_ranges import PageSource, PdfPart
from paperwork.case.dates import compact
from paperwork.files import atomic_path

__all__ = ["BinderPdfs", "Bound", "Meta", "assemble_binder"]


@dataclass(frozen=True)
class BinderPdfs:
    """The converted archive parts and stamps of one binder."""

    cover: PdfPart
    catalog: PdfPart
    note: PdfPart
    numbers: PdfPart
    numbers_left: PdfPart | None = None  # double-sided printing: numbers for the backs
    draft_mark: PdfPart | None = None


@dataclass(frozen=True)
class Meta:
    """What the PDF's document information says."""

    title: str
    subject: str
    author: str


@dataclass(frozen=True)
class Bound:
    """Where everything went in a written binder: PDF page ranges (0-based, end excluded) of its
    parts and of each catalog row's paper, and the 页号 stamped on each page (0: none)."""

    pages: int
    cover: tuple[int, int]
    catalog: tuple[int, int]
    note: tuple[int, int]
    pieces: tuple[tuple[int, int], ...]
    numbered: tuple[int, ...]


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
            writer._add_object(content_stream(b"q\n")),
            writer._add_object(content_stream(b"\nQ\n")),
        )

    def form(self, source: str, page: PageObject, index: int) -> _Form:
        key = (source, index)
        if key not in self.forms:
            box = page.mediabox
            name = NameObject(f"/PwOverlay{len(self.forms)}")
            ref = form_xobject(self.writer, page)
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
        draw = self.writer._add_object(
            content_stream(f"q 1 0 0 1 {dx:.3f} {dy:.3f} cm {name} Do Q\n".encode())
        )
        contents = page.get("/Contents")
        existing: list[Any] = []
        if contents is not None:
            target = contents.get_object()
            existing = list(target) if isinstance(target, ArrayObject) else [contents]
        page[NameObject("/Contents")] = ArrayObject([self.wrap[0], *existing, self.wrap[1], draw])


def _size(page: PageObject) -> tuple[float, float]:
    box = page.mediabox
    return float(box.width), float(box.height)


def assemble_binder(lay: Layout, pdfs: BinderPdfs, meta: Meta, out: Path) -> Bound:
    """Write the binder PDF; returns where its parts and papers went.

    With ``pdfs.numbers_left`` (double-sided printing) the even pages of the file, the backs
    of the leaves, carry their number at the upper left.
    """
    with PageSource() as source:
        return _assemble(lay, pdfs, meta, out, source)


def _assemble(lay: Layout, pdfs: BinderPdfs, meta: Meta, out: Path, source: PageSource) -> Bound:
    writer = PdfWriter()
    overlays = _Overlays(writer)
    number_pages = source.pages(pdfs.numbers)
    left_pages = source.pages(pdfs.numbers_left) if pdfs.numbers_left else None
    mark = overlays.form("mark", source.pages(pdfs.draft_mark)[0], 0) if pdfs.draft_mark else None

    duplex = left_pages is not None
    numbered: list[int] = []

    def add(part: PdfPart, numbered_from: int | None = None) -> tuple[int, int]:
        if duplex and len(writer.pages) % 2 == 1:
            # double-sided: every part starts on a front; the back left over stays blank,
            # with no number and not counted (GB/T 9705: blank pages get no number)
            writer.add_blank_page(*_size(writer.pages[-1]))
            numbered.append(0)
        start = len(writer.pages)
        for i, page in enumerate(source.pages(part)):
            added = place_on_a4(writer, page) if part.fitted else writer.add_page(page)
            defang(added)
            numbered.append(numbered_from + i if numbered_from is not None else 0)
            if numbered_from is not None:
                n = numbered_from - 1 + i
                if left_pages is not None and len(writer.pages) % 2 == 0:  # a back page, double-sided
                    overlays.place(added, overlays.form("numbers-left", left_pages[n], n), corner="left")
                else:
                    overlays.place(added, overlays.form("numbers", number_pages[n], n))
            if mark is not None:
                overlays.place(added, mark)
        return start, len(writer.pages)

    cover = add(pdfs.cover)
    catalog = add(pdfs.catalog)
    firsts: list[tuple[Piece, tuple[int, int]]] = []
    for piece in lay.pieces:
        firsts.append((piece, add(piece.part, numbered_from=piece.first)))
    note = add(pdfs.note)
    writer.add_outline_item(title="案卷封面", page_number=cover[0])
    writer.add_outline_item(title="卷内目录", page_number=catalog[0])
    parts: dict[str, object] = {}
    for piece, (at, _) in firsts:
        part = piece.row.part
        if part not in parts:
            parts[part] = writer.add_outline_item(title=part, page_number=at)
        day = compact(piece.row.date) if piece.row.date else "待补"
        writer.add_outline_item(
            title=f"{piece.row.label}（{day}）",
            page_number=at,
            parent=parts[part],  # type: ignore[arg-type]
        )
    writer.add_outline_item(title="卷内备考表", page_number=note[0])
    writer.add_metadata(
        {
            "/Title": meta.title,
            "/Subject": meta.subject,
            "/Author": meta.author,
            "/Creator": "paperwork",
            "/Keywords": "高压业扩报装; 档案",
        }
    )
    writer.page_mode = "/UseOutlines"
    with atomic_path(out) as tmp, tmp.open("wb") as fh:
        writer.write(fh)
    return Bound(len(writer.pages), cover, catalog, note, tuple(span for _, span in firsts), tuple(numbered))
