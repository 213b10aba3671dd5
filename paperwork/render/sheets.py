"""The 卷内目录 as a spreadsheet: one sheet per binder, ready to print."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from paperwork.files import atomic_path

__all__ = [
    "CATALOG_HEADER",
    "SheetStyles",
    "cells",
    "set_up_sheet",
    "sheet_styles",
    "style_sheet",
    "styled",
    "write_catalogs",
]

CATALOG_HEADER = ("序号", "文号", "责任者", "题名", "日期", "页号", "备注")
_KEYS = ("seq", "number", "responsible", "title", "date", "pages", "note")
_WIDTHS = (6, 24, 28, 40, 11, 9, 14)
_THIN = Side(style="thin", color="808080")


def cells(values: Sequence[object]) -> list[object]:
    """A row fit for a sheet: text without the control characters XLSX cannot hold."""
    return [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]


def _named(wb: Workbook, name: str, **parts: object) -> str:
    """Register a named style once per workbook (cheaper than styling cell by cell)."""
    if name not in wb.named_styles:
        style = NamedStyle(name=name)
        for key, value in parts.items():
            setattr(style, key, value)
        wb.add_named_style(style)
    return name


@dataclass(frozen=True)
class SheetStyles:
    """The names of a workbook's three cell styles: the header, a body cell, a body cell kept as text."""

    head: str
    body: str
    text: str


def sheet_styles(wb: Workbook) -> SheetStyles:
    """Register the header, body and text styles once in ``wb`` (cheaper than styling cell by cell)."""
    border = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
    head = _named(
        wb,
        "pw-head",
        font=Font(bold=True),
        fill=PatternFill("solid", fgColor="D9D9D9"),
        alignment=Alignment(horizontal="center", vertical="center", wrap_text=True),
        border=border,
    )
    body = _named(wb, "pw-body", alignment=Alignment(vertical="center", wrap_text=True), border=border)
    text = _named(
        wb,
        "pw-text",
        alignment=Alignment(vertical="center", wrap_text=True),
        border=border,
        number_format="@",
    )
    return SheetStyles(head, body, text)


def styled(ws: Any, values: Sequence[object], style: str) -> list[Cell]:
    """A row of cells for a write-only sheet, each in ``style``."""
    row = []
    for value in values:
        cell = WriteOnlyCell(ws, value=value)
        cell.style = style
        row.append(cell)
    return row


def set_up_sheet(
    ws: Any, widths: tuple[int, ...], *, rows: int | None = None, landscape: bool = True
) -> None:
    """Column widths, frozen header, filters over ``rows`` rows (None: none), A4 print set-up — before any
    row is written, so that a write-only sheet has them too."""
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    if rows is not None:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(widths))}{max(rows, 1)}"
    ws.print_options.gridLines = False
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


def style_sheet(ws: Worksheet, widths: tuple[int, ...], *, landscape: bool = True) -> None:
    """Header bold on grey, thin rules, column widths, frozen header, A4 print set-up (a sheet already
    filled)."""
    styles = sheet_styles(ws.parent)
    for row in ws.iter_rows():
        for cell in row:
            if cell.row == 1:
                cell.style = styles.head
            else:
                # a cell already set to text keeps that format (catalog dates stay 8-digit text)
                cell.style = styles.text if cell.number_format == "@" else styles.body
    set_up_sheet(ws, widths, landscape=landscape)


def write_catalogs(sheets: list[tuple[str, list[dict[str, str]]]], out: Path) -> Path:
    """Write each (sheet name, catalog lines) to one workbook; dates and numbers stay text."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, lines in sheets:
        ws = wb.create_sheet(name)
        ws.append(list(CATALOG_HEADER))
        for line in lines:
            ws.append(cells([line[k] for k in _KEYS]))
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                cell.number_format = "@"
        style_sheet(ws, _WIDTHS)
    with atomic_path(out) as tmp:
        wb.save(str(tmp))
    return out
