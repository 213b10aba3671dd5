"""What the archive parts of a binder say: 案卷封面, 卷内目录 and 卷内备考表 (GB/T 9705)."""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any

from paperwork.binder.layout import Layout, catalog_lines
from paperwork.case.dates import chinese, compact
from paperwork.case.model import Archive
from paperwork.render.archive import CatalogData, CatalogLine, CoverData, NoteData
from paperwork.rules.catalog import Catalog

__all__ = ["explanation", "part_contexts"]


def explanation(cat: Catalog, lay: Layout, reduced: list[str] | None = None) -> str:
    """The 备考表's 本卷情况说明: copies, papers still missing, pages reduced to A4, the clerk's note."""
    parts = []
    copies = [p.row.label for p in lay.pieces if "复印件" in p.row.label and p.row.paper is not None]
    if copies:
        parts.append(f"其中复印件 {len(copies)} 件（{'、'.join(copies)}）。")
    if cat.missing:
        parts.append(f"待补 {len(cat.missing)} 件：{'、'.join(r.label for r in cat.missing)}。")
    if reduced:
        parts.append("；".join(reduced) + "。")
    if cat.info.note:
        parts.append(cat.info.note)
    return "".join(parts) or "本卷文件齐全，无缺损。"


#: How many full-width characters one line of each 卷内目录 column holds: templates/make_docx.py sets
#: the widths (9 pt text; 文号 24 mm, 责任者 34 mm, 题名 48 mm, 备注 13 mm), less 3.8 mm of cell
#: padding, at 3.175 mm a character.
CATALOG_CAPACITY = {"number": 6.3, "responsible": 9.5, "title": 13.9, "note": 2.9}


def _width(text: str) -> float:
    """Width in full-width characters: Chinese 1, capitals about 0.7, other Latin and digits 0.5."""
    return sum(1.0 if ord(c) >= 0x2E80 else 0.72 if c.isupper() else 0.5 for c in text)


def balanced(text: str, capacity: float) -> str:
    """``text`` broken into lines of about equal width where it would wrap, so that no line is
    left with one orphan character; a run of Latin letters and digits is never broken. The lines
    are joined with newlines, which docxtpl turns into line breaks."""
    tokens = re.findall(r"[0-9A-Za-z.\-]+|.", text)
    total = _width(text)
    if total <= capacity or len(tokens) < 2:
        return text
    count = min(len(tokens), int(-(-total // capacity)))
    widths = [_width(tok) for tok in tokens]
    n = len(tokens)
    # best[k][i]: the smallest widest line putting the first i tokens on k lines
    best = [[float("inf")] * (n + 1) for _ in range(count + 1)]
    cut = [[0] * (n + 1) for _ in range(count + 1)]
    best[0][0] = 0.0
    for k in range(1, count + 1):
        for i in range(1, n + 1):
            for j in range(k - 1, i):
                widest = max(best[k - 1][j], sum(widths[j:i]))
                if widest < best[k][i]:
                    best[k][i], cut[k][i] = widest, j
    lines, i = [], n
    for k in range(count, 0, -1):
        j = cut[k][i]
        lines.append("".join(tokens[j:i]))
        i = j
    return "\n".join(reversed(lines))


def _balanced_line(line: dict[str, str]) -> dict[str, str]:
    return {k: balanced(v, CATALOG_CAPACITY[k]) if k in CATALOG_CAPACITY else v for k, v in line.items()}


def part_contexts(
    lay: Layout, archive: Archive, *, draft: bool, reduced: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """The template values of the cover, the catalog and the 备考表 of one laid-out binder."""
    cat = lay.catalog
    pieces = str(len(lay.pieces))  # the catalog's rows: the cover, catalog and 备考表 agree (待补 rows too)
    name = cat.spec.title
    cover = CoverData(
        fonds=archive.fonds or "",
        category=archive.category or "",
        title=cat.title,
        start=compact(cat.start) if cat.start else "",
        end=compact(cat.end) if cat.end else "",
        retention=archive.retention,
        pieces=pieces,
        pages=str(lay.content_pages),
        archive_no=cat.info.archive_no or "",
        file_no=cat.info.file_no or "",
        binder_name=name,
        draft="草稿" if draft else "",
    )
    catalog = CatalogData(
        binder_name=name,
        file_no=cat.info.file_no or "",
        rows=tuple(CatalogLine(**_balanced_line(line)) for line in catalog_lines(lay)),
    )
    note = NoteData(
        binder_name=name,
        pieces=pieces,
        pages=str(lay.content_pages),
        explanation=explanation(cat, lay, reduced),
        filer=archive.filer or "",
        checker=archive.checker or "",
        note_date_cn=chinese(cat.note_date) if cat.note_date else "",
        file_no=cat.info.file_no or "",
        check_date_cn=chinese(archive.check_date or cat.note_date),
    )
    return {"archive_cover": asdict(cover), "archive_catalog": asdict(catalog), "archive_note": asdict(note)}
