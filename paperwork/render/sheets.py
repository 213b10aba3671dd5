"""The 卷内目录 as a spreadsheet: one sheet per binder, ready to print."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from paperwork.files import atomic_path

__all__ = ["CATALOG_HEADER", "cells", "style_sheet", "write_catalogs"]

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


def style_sheet(ws: Worksheet, widths: tuple[int, ...], *, landscape: bool = True) -> None:
    """Header bold on grey, thin rules, column widths, frozen header, A4 print set-up."""
    wb = ws.parent
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
    for row in ws.iter_rows():
        for cell in row:
            if cell.row == 1:
                cell.style = head
            else:
                # a cell already set to text keeps that format (catalog dates stay 8-digit text)
                cell.style = text if cell.number_format == "@" else body
    for i, width in enumerate(widths, 1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = width
    ws.freeze_panes = "A2"
    ws.print_options.gridLines = False
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"


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
