"""Attached pages fitted to A4, inside the stamp-safe area: the page number never lands on a scan.

GB/T 9705 asks that stamps never cover writing. Every page of an attached paper (a scan, a
PDF, a converted Word file) is placed on a fresh portrait A4 page inside a box that leaves a
band at the top free for the page number: a landscape page is turned to fit, a larger page
(A3, Letter, a phone photo's PDF) is reduced with its proportions kept, a smaller one is never
enlarged. A page whose own size was not A4 and was reduced is reported, for the 备考表.
"""

from __future__ import annotations

from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name

from paperwork.binder.page_ranges import A4, MM, PDF_ERRORS, PdfPart, open_pdf
from paperwork.errors import AttachmentError

__all__ = [
    "A4",
    "SAFE_BOX",
    "Fitted",
    "Matrix",
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
#: A PDF transformation matrix (a b c d e f): a point (x, y) goes to (a·x + c·y + e, b·x + d·y + f).
Matrix = tuple[float, float, float, float, float, float]


@dataclass(frozen=True)
class Fitted:
    """The fitted pages, and a line for each page that was reduced from another size."""

    part: PdfPart
    reduced: tuple[str, ...]


# Annotations that carry or play content: nothing an archive page may hold.
_ACTIVE_ANNOTATIONS = {"/FileAttachment", "/Screen", "/Movie", "/Sound", "/RichMedia", "/3D"}


def defang(page: pikepdf.Page) -> None:
    """Strip what could run or carry files from an attached page: its own actions (/AA),
    annotation actions other than a jump inside the document, media and file attachments.

    The document-level JavaScript, OpenAction, embedded files and form scripts of an
    attached PDF never reach the binder: only its pages are copied.
    """
    obj = page.obj
    if Name.AA in obj:
        del obj[Name.AA]
    annots = obj.get(Name.Annots)
    if annots is None:
        return
    kept = Array()
    for annot in annots if isinstance(annots, Array) else ():
        if not isinstance(annot, Dictionary) or annot.get(Name.Subtype) in _ACTIVE_ANNOTATIONS:
            continue
        rect = annot.get(Name.Rect)
        if not isinstance(rect, Array) or len(rect) != 4:
            continue  # a broken annotation: nothing a reader could place
        if Name.AA in annot:
            del annot[Name.AA]
        action = annot.get(Name.A)
        if action is not None and (not isinstance(action, Dictionary) or action.get(Name.S) != Name.GoTo):
            del annot[Name.A]
        kept.append(annot)
    obj[Name.Annots] = kept


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


def _then(m: Matrix, n: Matrix) -> Matrix:
    """``m`` followed by ``n``."""
    a, b, c, d, e, f = m
    p, q, r, s, t, u = n
    return (a * p + b * r, a * q + b * s, c * p + d * r, c * q + d * s, e * p + f * r + t, e * q + f * s + u)


def _box(page: pikepdf.Page) -> tuple[float, float, float, float]:
    left, bottom, right, top = (float(v) for v in page.mediabox)
    return min(left, right), min(bottom, top), max(left, right), max(bottom, top)


def _place(page: pikepdf.Page) -> Matrix:
    """How to put ``page`` (its rotation already in its content) into the safe box."""
    left, bottom, right, top = _box(page)
    w, h = right - left, top - bottom
    scale, turn = _fit_scale(w, h)
    op = (1.0, 0.0, 0.0, 1.0, -left, -bottom)
    if turn:  # a quarter anticlockwise, then back into the positive quadrant
        op = _then(_then(op, (0.0, 1.0, -1.0, 0.0, 0.0, 0.0)), (1.0, 0.0, 0.0, 1.0, h, 0.0))
        w, h = h, w
    x0, y0, x1, y1 = SAFE_BOX
    dx = x0 + ((x1 - x0) - w * scale) / 2
    dy = y0 + ((y1 - y0) - h * scale) / 2
    return _then(_then(op, (scale, 0.0, 0.0, scale, 0.0, 0.0)), (1.0, 0.0, 0.0, 1.0, dx, dy))


def _rotation(page: pikepdf.Page) -> int:
    """The page's /Rotate (its own or inherited), in degrees 0–359."""
    return int(page.rotation) % 360


def fit_to_a4(part: PdfPart, label: str, source: str = "") -> Fitted:
    """Mark ``part``'s pages to be fitted to A4 when bound, and say which of them are reduced.

    The pages are read (not rewritten) here, so that a page that cannot be placed (a damaged
    page tree, a broken box) is an AttachmentError now, naming the paper and its file.
    """
    try:
        with open_pdf(part.path) as pdf:
            reduced = []
            for n, i in enumerate(range(part.start, part.end), 1):
                page = pdf.pages[i]
                left, bottom, right, top = _box(page)
                width, height = right - left, top - bottom
                if _rotation(page) % 180:
                    width, height = height, width
                size = paper_name(width, height)
                scale, _turn = _fit_scale(width, height)
                if size != "A4" and scale < 0.97:
                    reduced.append(f"{label}第 {n} 页原为 {size}，已按比例缩小为 A4")
    except PDF_ERRORS as exc:
        name = source or part.path.name
        message = f"{label}的文件 {name} 有页面已损坏，无法排进 A4（{exc}）；请重新扫描或导出"
        raise AttachmentError(message) from None
    return Fitted(PdfPart(part.path, part.start, part.end, fitted=True), tuple(reduced))


def place_on_a4(pdf: pikepdf.Pdf, page: pikepdf.Page) -> pikepdf.Page:
    """A new A4 page of ``pdf`` with ``page`` (of another PDF) drawn inside its stamp-safe area,
    as one Form XObject placed with one ``cm``: no content re-parsed. Its annotations (form
    fields) move with it."""
    defang(page)
    if _rotation(page):
        page.flatten_rotation()  # the turn into the content (and the annotations), /Rotate 0
    op = _place(page)
    pdf.add_blank_page(page_size=A4)
    blank = pdf.pages[-1]
    blank.obj[Name.Resources] = Dictionary(XObject=Dictionary(Pg=form_xobject(pdf, page)))
    a, b, c, d, e, f = op
    blank.obj[Name.Contents] = content_stream(
        pdf, f"q {a:.6f} {b:.6f} {c:.6f} {d:.6f} {e:.3f} {f:.3f} cm /Pg Do Q\n".encode()
    )
    if page.obj.get(Name.Annots):
        blank.copy_annotations(page, pikepdf.Matrix(*op))
    return blank


def content_stream(pdf: pikepdf.Pdf, data: bytes) -> pikepdf.Stream:
    """A stream of ``pdf`` holding ``data`` as it is."""
    return pikepdf.Stream(pdf, data)


def form_xobject(pdf: pikepdf.Pdf, page: pikepdf.Page) -> pikepdf.Stream:
    """``page`` (of another PDF) as one Form XObject of ``pdf`` (its content and resources, its
    media box as the BBox): the one way a page is drawn onto another, by the page numbers and by
    the A4 fitting."""
    form = page.as_form_xobject(handle_transformations=False)
    form[Name.BBox] = Array([float(v) for v in page.mediabox])
    copied = pdf.copy_foreign(form)
    assert isinstance(copied, pikepdf.Stream)
    return copied
