"""Assembling one binder: cover → catalog → numbered papers → 备考表.

pikepdf (qpdf, in C++) copies the pages; their content is never parsed or rewritten.

Everything here works on PDFs that already exist; rendering and conversion
happen before (see :mod:`paperwork.binder.build`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

import pikepdf
from pikepdf import Array, Dictionary, Name, OutlineItem

from paperwork.binder.fitting import content_stream, defang, form_xobject, place_on_a4
from paperwork.binder.layout import Layout, Piece
from paperwork.binder.page_ranges import PageSource, PdfPart
from paperwork.case.dates import compact

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

    name: Name
    ref: pikepdf.Stream
    left: float
    right: float
    top: float


class _Overlays:
    """Overlay pages turned into Form XObjects once, then placed on pages by reference.

    Placing a form costs a resource entry and a few bytes of content per page; nothing of the
    page's own content is read or rewritten.
    """

    def __init__(self, pdf: pikepdf.Pdf) -> None:
        self.pdf = pdf
        self.forms: dict[tuple[str, int], _Form] = {}
        self.wrap = (content_stream(pdf, b"q\n"), content_stream(pdf, b"\nQ\n"))

    def form(self, source: str, page: pikepdf.Page, index: int) -> _Form:
        key = (source, index)
        if key not in self.forms:
            left, _bottom, right, top = (float(v) for v in page.mediabox)
            name = Name(f"/PwOverlay{len(self.forms)}")
            self.forms[key] = _Form(name, form_xobject(self.pdf, page), left, right, top)
        return self.forms[key]

    def place(self, page: pikepdf.Page, form: _Form, *, corner: str = "right") -> None:
        """Put the form on the page so that their upper right (or upper left) corners meet."""
        if int(page.rotation) % 360:
            page.flatten_rotation()
        left, _bottom, right, top = (float(v) for v in page.mediabox)
        dx = left - form.left if corner == "left" else right - form.right
        dy = top - form.top
        obj = page.obj
        if Name.Resources not in obj:
            obj[Name.Resources] = Dictionary()
        resources = obj[Name.Resources]
        if Name.XObject not in resources:
            resources[Name.XObject] = Dictionary()
        resources[Name.XObject][form.name] = form.ref
        draw = content_stream(self.pdf, f"q 1 0 0 1 {dx:.3f} {dy:.3f} cm {form.name} Do Q\n".encode())
        contents = obj.get(Name.Contents)
        if isinstance(contents, Array):
            existing = list(contents)
        else:
            existing = [contents] if contents is not None else []
        obj[Name.Contents] = Array([self.wrap[0], *existing, self.wrap[1], draw])


def _size(page: pikepdf.Page) -> tuple[float, float]:
    left, bottom, right, top = (float(v) for v in page.mediabox)
    return abs(right - left), abs(top - bottom)


def assemble_binder(lay: Layout, pdfs: BinderPdfs, meta: Meta, out: BinaryIO) -> Bound:
    """Write the binder PDF into ``out`` (the finishing step reads it from there, in memory);
    returns where its parts and papers went.

    With ``pdfs.numbers_left`` (double-sided printing) the even pages of the file, the backs
    of the leaves, carry their number at the upper left.
    """
    with PageSource() as source:
        return _assemble(lay, pdfs, meta, out, source)


def _assemble(lay: Layout, pdfs: BinderPdfs, meta: Meta, out: BinaryIO, source: PageSource) -> Bound:
    pdf = pikepdf.new()
    overlays = _Overlays(pdf)
    number_pages = source.pages(pdfs.numbers)
    left_pages = source.pages(pdfs.numbers_left) if pdfs.numbers_left else None
    mark = overlays.form("mark", source.pages(pdfs.draft_mark)[0], 0) if pdfs.draft_mark else None

    duplex = left_pages is not None
    numbered: list[int] = []

    def add(part: PdfPart, numbered_from: int | None = None) -> tuple[int, int]:
        if duplex and len(pdf.pages) % 2 == 1:
            # double-sided: every part starts on a front; the back left over stays blank,
            # with no number and not counted (GB/T 9705: blank pages get no number)
            pdf.add_blank_page(page_size=_size(pdf.pages[-1]))
            numbered.append(0)
        start = len(pdf.pages)
        for i, page in enumerate(source.pages(part)):
            if part.fitted:
                added = place_on_a4(pdf, page)
            else:
                pdf.pages.append(page)
                added = pdf.pages[-1]
            defang(added)
            numbered.append(numbered_from + i if numbered_from is not None else 0)
            if numbered_from is not None:
                n = numbered_from - 1 + i
                if left_pages is not None and len(pdf.pages) % 2 == 0:  # a back page, double-sided
                    overlays.place(added, overlays.form("numbers-left", left_pages[n], n), corner="left")
                else:
                    overlays.place(added, overlays.form("numbers", number_pages[n], n))
            if mark is not None:
                overlays.place(added, mark)
        return start, len(pdf.pages)

    cover = add(pdfs.cover)
    catalog = add(pdfs.catalog)
    firsts: list[tuple[Piece, tuple[int, int]]] = []
    for piece in lay.pieces:
        firsts.append((piece, add(piece.part, numbered_from=piece.first)))
    note = add(pdfs.note)
    with pdf.open_outline() as outline:
        outline.root.append(OutlineItem("案卷封面", cover[0]))
        outline.root.append(OutlineItem("卷内目录", catalog[0]))
        parts: dict[str, OutlineItem] = {}
        for piece, (at, _) in firsts:
            part = piece.row.part
            if part not in parts:
                parts[part] = OutlineItem(part, at)
                outline.root.append(parts[part])
            day = compact(piece.row.date) if piece.row.date else "待补"
            parts[part].children.append(OutlineItem(f"{piece.row.label}（{day}）", at))
        outline.root.append(OutlineItem("卷内备考表", note[0]))
    info = pdf.docinfo
    info[Name.Title] = meta.title
    info[Name.Subject] = meta.subject
    info[Name.Author] = meta.author
    info[Name.Creator] = "paperwork"
    info[Name.Keywords] = "高压业扩报装; 档案"
    pdf.Root.PageMode = Name.UseOutlines
    pdf.save(out, min_version=source.version)  # while the sources are open: qpdf reads their streams now
    return Bound(len(pdf.pages), cover, catalog, note, tuple(span for _, span in firsts), tuple(numbered))
