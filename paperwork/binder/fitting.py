"""Attached pages fitted to A4, inside the stamp-safe area: the page number never lands on a scan.

GB/T 9705 asks that stamps never cover writing. Every page of an attached paper (a scan, a
PDF, a converted Word file) is placed on a fresh portrait A4 page inside a box that leaves a
band at the top free for the page number: a landscape page is turned to fit, a larger page
(A3, Letter, a phone photo's PDF) is reduced with its proportions kept, a smaller one is never
enlarged. A page whose own size was not A4 and was reduced is reported, for the 备考表.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pypdf import PageObject, PdfReader, PdfWriter, Transformation
from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject, NameObject

from paperwork.binder.page_ranges import A4, MM, PDF_ERRORS, PdfPart
from paperwork.errors import AttachmentError

__all__ = [
    "A4",
    "SAFE_BOX",
    "Fitted",
    "content_stream",
    "defang",
    "fit_to_a4",
    "form_xobject",
    "paper_name",
    "place_on_a4",
]

_MM = MM
#: Where page content may go: the number band at the top (18 mm) and thin margins elsewhere stay white.
SAFE_BOX = (6 * _MM, 6 * _MM, A4[0] - 6 * _MM, A4[1] - 18 * _MM)  # x0, y0, x1, y1
_SIZES = {
    "A5": (148, 210),
    "A4": (210, 297),
    "A3": (297, 420),
    "Letter": (216, 279),
    "Legal": (216, 356),
    "B5": (176, 250),
    "B4": (250, 353),
}


@dataclass(frozen=True)
class Fitted:
    """The fitted pages, and a line for each page that was reduced from another size."""

    part: PdfPart
    reduced: tuple[str, ...]


# Annotations that carry or play content: nothing an archive page may hold.
_ACTIVE_ANNOTATIONS = {"/FileAttachment", "/Screen", "/Movie", "/Sound", "/RichMedia", "/3D"}


def defang(page: PageObject) -> None:
    """Strip what could run or carry files from an attached page: its own actions (/AA),
    annotation actions other than a jump inside the document, media and file attachments.

    The document-level JavaScript, OpenAction, embedded files and form scripts of an
    attached PDF never reach the binder: only its pages are copied.
    """
    page.pop(NameObject("/AA"), None)
    annots = page.get("/Annots")
    if annots is None:
        return
    kept = ArrayObject()
    for ref in annots.get_object():
        annot = ref.get_object()
        if not isinstance(annot, DictionaryObject) or annot.get("/Subtype") in _ACTIVE_ANNOTATIONS:
            continue
        rect = annot.get("/Rect")
        if not isinstance(rect, ArrayObject) or len(rect) != 4:
            continue  # a broken annotation: nothing a reader could place
        annot.pop(NameObject("/AA"), None)
        action = annot.get("/A")
        if action is not None and action.get_object().get("/S") != "/GoTo":
            del annot[NameObject("/A")]
        kept.append(ref)
    page[NameObject("/Annots")] = kept


def paper_name(width_pt: float, height_pt: float) -> str:
    """The paper size a page is, by name where it is a standard one (either orientation)."""
    w, h = sorted((width_pt / _MM, height_pt / _MM))
    for name, (a, b) in _SIZES.items():
        if abs(w - a) <= 4 and abs(h - b) <= 4:
            return name
    return f"{w:.0f}×{h:.0f} 毫米"


def _fit_scale(width: float, height: float) -> tuple[float, bool]:
    """How much a page of this size shrinks into the safe box (never more than 1), and whether it
    is turned: a landscape page goes a quarter anticlockwise, its top to the binding edge."""
    turn = width > height * 1.02
    if turn:
        width, height = height, width
    x0, y0, x1, y1 = SAFE_BOX
    return min(1.0, (x1 - x0) / width, (y1 - y0) / height), turn


def _place(page: PageObject) -> Transformation:
    """How to put ``page`` (its rotation already in its content) into the safe box."""
    box = page.mediabox
    w, h = float(box.width), float(box.height)
    scale, turn = _fit_scale(w, h)
    op = Transformation().translate(-float(box.left), -float(box.bottom))
    if turn:
        op = op.rotate(90).translate(h, 0)
        w, h = h, w
    x0, y0, x1, y1 = SAFE_BOX
    dx = x0 + ((x1 - x0) - w * scale) / 2
    dy = y0 + ((y1 - y0) - h * scale) / 2
    return op.scale(scale, scale).translate(dx, dy)


def fit_to_a4(part: PdfPart, label: str, source: str = "") -> Fitted:
    """Mark ``part``'s pages to be fitted to A4 when bound, and say which of them are reduced.

    The pages are read (not rewritten) here, so that a page that cannot be placed (a damaged
    page tree, a broken box) is an AttachmentError now, naming the paper and its file.
    """
    try:
        reader = PdfReader(str(part.path))
        if reader.is_encrypted:
            reader.decrypt("")
        reduced = []
        for n, i in enumerate(range(part.start, part.end), 1):
            page = reader.pages[i]
            box = page.mediabox
            width, height = (
                (float(box.height), float(box.width))
                if page.rotation % 180
                else (
                    float(box.width),
                    float(box.height),
                )
            )
            size = paper_name(width, height)
            scale, _turn = _fit_scale(width, height)
            if size != "A4" and scale < 0.97:
                reduced.append(f"{label}第 {n} 页原为 {size}，已按比例缩小为 A4")
    except PDF_ERRORS as exc:
        name = source or part.path.name
        message = f"{label}的文件 {name} 有页面已损坏，无法排进 A4（{exc}）；请重新扫描或导出"
        raise AttachmentError(message) from None
    return Fitted(PdfPart(part.path, part.start, part.end, fitted=True), tuple(reduced))


def place_on_a4(writer: PdfWriter, page: PageObject) -> PageObject:
    """A new A4 page of ``writer`` with ``page`` drawn inside its stamp-safe area."""
    defang(page)
    if page.rotation:
        page.transfer_rotation_to_content()
    op = _place(page)
    blank = writer.add_blank_page(*A4)
    if page.get("/Annots"):
        blank.merge_transformed_page(page, op)  # annotations (form fields) move with the page
    else:
        _draw(writer, blank, page, op)  # the page as one Form XObject: no content re-parsed
    return blank


def content_stream(data: bytes) -> DecodedStreamObject:
    """A PDF stream holding ``data`` as it is."""
    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream


def form_xobject(writer: PdfWriter, page: PageObject) -> Any:
    """``page`` as one Form XObject of ``writer`` (its content and resources, its box as the BBox):
    the one way a page is drawn onto another, by the page numbers and by the A4 fitting."""
    contents = page.get_contents()  # a stream with no keys is falsy: test for None
    form = content_stream(contents.get_data() if contents is not None else b"")
    resources = page.get("/Resources")
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject([FloatObject(float(v)) for v in page.mediabox]),
            NameObject("/Resources"): resources.clone(writer)
            if resources is not None
            else DictionaryObject(),
        }
    )
    return writer._add_object(form)


def _draw(writer: PdfWriter, target: PageObject, page: PageObject, op: Transformation) -> None:
    """Draw ``page`` on ``target`` through ``op``, as a Form XObject placed with one ``cm``."""
    ref = form_xobject(writer, page)
    target[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/XObject"): DictionaryObject({NameObject("/Pg"): ref})}
    )
    a, b, c, d, e, f = op.ctm
    draw = content_stream(f"q {a:.6f} {b:.6f} {c:.6f} {d:.6f} {e:.3f} {f:.3f} cm /Pg Do Q\n".encode())
    target[NameObject("/Contents")] = writer._add_object(draw)
