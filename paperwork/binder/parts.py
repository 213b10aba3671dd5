"""What the archive parts of a binder say: 案卷封面, 卷内目录 and 卷内备考表 (GB/T 9705)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from paperwork.binder.layout import Layout, catalog_lines
from paperwork.case.dates import chinese, compact
from paperwork.case.model import Archive
from paperwork.render.contexts import CatalogData, CatalogLine, CoverData, NoteData
from paperwork.rules.catalog import Catalog

__all__ = ["explanation", "part_contexts"]


def explanation(cat: Catalog, lay: Layout, reduced: list[str] | None = None) -> str:
    """The 备考表's 本卷情况说明: copies, papers still missing, pages reduced to A4, the clerk's note."""
    parts = []
    copies = [p.row.label for p in lay.pieces if "复印件" in p.row.label]
    if copies:
        parts.append(f"其中复印件 {len(copies)} 件（{'、'.join(copies)}）。")
    if cat.missing:
        parts.append(f"待补 {len(cat.missing)} 件：{'、'.join(r.label for r in cat.missing)}。")
    if reduced:
        parts.append("；".join(reduced) + "。")
    if cat.info.note:
        parts.append(cat.info.note)
    return "".join(parts) or "本卷文件齐全，无缺损。"


def part_contexts(
    lay: Layout, archive: Archive, *, draft: bool, reduced: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """The template values of the cover, the catalog and the 备考表 of one laid-out binder."""
    cat = lay.catalog
    present = str(len(cat.present))
    name = cat.spec.title
    cover = CoverData(
        fonds=archive.fonds or "",
        category=archive.category or "",
        title=cat.title,
        start=compact(cat.start) if cat.start else "",
        end=compact(cat.end) if cat.end else "",
        retention=archive.retention,
        pieces=present,
        pages=str(lay.content_pages),
        archive_no=cat.info.archive_no or "",
        file_no=cat.info.file_no or "",
        binder_name=name,
        draft="草稿" if draft else "",
    )
    catalog = CatalogData(
        binder_name=name,
        file_no=cat.info.file_no or "",
        rows=tuple(CatalogLine(**line) for line in catalog_lines(lay)),
    )
    note = NoteData(
        binder_name=name,
        pieces=present,
        pages=str(lay.content_pages),
        explanation=explanation(cat, lay, reduced),
        filer=archive.filer or "",
        checker=archive.checker or "",
        note_date_cn=chinese(cat.note_date) if cat.note_date else "",
    )
    return {"archive_cover": asdict(cover), "archive_catalog": asdict(catalog), "archive_note": asdict(note)}
