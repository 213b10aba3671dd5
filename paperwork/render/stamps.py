"""Small DOCX documents the build makes for itself: page numbers, placeholders, the 草稿 mark.

They go through LibreOffice with everything else, so their text is set in the
same embedded CJK fonts as the forms.
"""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
from pathlib import Path

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from paperwork.render.docxfile import slim_docx

__all__ = ["draft_mark_docx", "page_numbers_docx", "placeholder_docx"]

_EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _document(top: float = 20, right: float = 25) -> DocxDocument:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin, section.right_margin = Mm(25), Mm(right)
    section.top_margin, section.bottom_margin = Mm(top), Mm(15)
    section.header_distance = Mm(5)
    # fixed document properties: the same stamp gives the same bytes, so the cache finds it
    props = doc.core_properties
    props.created = props.modified = _EPOCH
    props.last_printed = _EPOCH
    props.revision = 1
    props.author = props.last_modified_by = "paperwork"
    return doc


def _run(
    paragraph: object, text: str, size: float, color: RGBColor | None = None, bold: bool = False
) -> None:
    run = paragraph.add_run(text)  # type: ignore[attr-defined]
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = "宋体"
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), "宋体")
    if color is not None:
        run.font.color.rgb = color


def page_numbers_docx(count: int, out: Path, *, side: str = "right") -> Path:
    """``count`` A4 pages, page i showing the number i at the upper right (or upper left)."""
    out.write_bytes(_page_numbers(count, side))
    return out


@functools.lru_cache(maxsize=8)
def _page_numbers(count: int, side: str) -> bytes:
    """The page-number document's bytes, made once per size and side in a process (a batch
    asks for the same few sizes for every case)."""
    doc = _document(top=8, right=12)
    if side == "left":  # the back of a leaf printed double-sided
        section = doc.sections[0]
        section.left_margin, section.right_margin = Mm(12), Mm(25)
    for i in range(1, count + 1):
        p = doc.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.LEFT if side == "left" else WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.page_break_before = i > 1
        _run(p, str(i), 12)
    with tempfile.TemporaryDirectory(prefix="paperwork-numbers-") as tmp:
        made = Path(tmp) / "numbers.docx"
        doc.save(str(made))
        return slim_docx(made).read_bytes()


def placeholder_docx(heading: str, detail: str, out: Path) -> Path:
    """A page standing in for a paper: ``待补：<title>`` when it is missing."""
    doc = _document(top=90)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, heading, 26, bold=True)
    q = doc.add_paragraph()
    q.alignment = WD_ALIGN_PARAGRAPH.CENTER
    q.paragraph_format.space_before = Pt(24)
    _run(q, detail, 12, RGBColor(0x55, 0x55, 0x55))
    doc.save(str(out))
    return slim_docx(out)


def draft_mark_docx(out: Path) -> Path:
    """One A4 page with a light 草稿 mark, laid over every page of a draft binder."""
    doc = _document(top=8, right=12)
    p = doc.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _run(p, "草稿", 14, RGBColor(0xC0, 0x20, 0x20), bold=True)  # in the top band, over no content
    border = OxmlElement("w:pBdr")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single")
        edge.set(qn("w:sz"), "12")
        edge.set(qn("w:color"), "C02020")
        border.append(edge)
    p._p.get_or_add_pPr().append(border)
    p.paragraph_format.right_indent = Mm(155)
    doc.save(str(out))
    return slim_docx(out)
