"""The template models of the archive parts (GB/T 9705): 案卷封面, 卷内目录, 卷内备考表."""

from __future__ import annotations

from dataclasses import dataclass

from paperwork.case.reader import spec

__all__ = ["CatalogData", "CatalogLine", "CoverData", "NoteData"]


@dataclass(frozen=True)
class CoverData:
    """案卷封面 (GB/T 9705)."""

    fonds: str = spec("全宗名称")
    category: str = spec("类目名称")
    title: str = spec("案卷题名")
    start: str = spec("起日期（8 位）")
    end: str = spec("止日期（8 位）")
    retention: str = spec("保管期限")
    pieces: str = spec("件数")
    pages: str = spec("页数")
    archive_no: str = spec("归档号")
    file_no: str = spec("档号")
    binder_name: str = spec("案卷名（客服大本资料/小本资料）")
    draft: str = spec("草稿时为“草稿”，否则为空")


@dataclass(frozen=True)
class CatalogLine:
    seq: str
    number: str
    responsible: str
    title: str
    date: str
    pages: str
    note: str


@dataclass(frozen=True)
class CatalogData:
    """卷内目录; ``rows`` have seq, number, responsible, title, date, pages, note."""

    binder_name: str = spec("案卷名")
    file_no: str = spec("档号")
    rows: tuple[CatalogLine, ...] = spec("目录行（表格行循环）")


@dataclass(frozen=True)
class NoteData:
    """卷内备考表."""

    binder_name: str = spec("案卷名")
    pieces: str = spec("件数")
    pages: str = spec("页数")
    explanation: str = spec("本卷情况说明（缺少、复印件等）")
    filer: str = spec("立卷人")
    checker: str = spec("检查人")
    note_date_cn: str = spec("立卷时间／备考表日期")
    file_no: str = spec("档号")
    check_date_cn: str = spec("检查时间")
