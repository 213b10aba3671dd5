"""``paperwork verify``: an archivist's check of a binder, against its own record and the rules.

A binder paperwork built carries a record of what it holds (:mod:`paperwork.binder.record`).
:func:`verify_path` checks a binder (or every binder of an OUT folder, with its 卷内目录.xlsx):

- the pages: each page's digest against the record, so that a page swapped, removed, moved,
  added or edited is found and named by its paper;
- 页号: the number stamped at the top of each page against the record, and each catalog row's
  bookmark against the row's 页号;
- the cover: 起止日期 against the catalog's dates by R1/R2, and against what the cover prints;
  the catalog page against the record's dates; 件数 and 页数 on the cover and the 备考表;
- OUT's 卷内目录.xlsx against the record (题名, 日期, 页号);
- fonts embedded; PDF/A conformance (when ``page-validation`` is installed); the files a PDF/A-3
  binder carries against their digests.

A PDF without a record gets the checks that need none, and the answer says which it could not do.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
from pypdf import PdfReader

from paperwork.binder.printed import bookmarks, flat, page_text, stamped_numbers
from paperwork.binder.record import BinderRecord, CatalogEntry, page_digests, read_record
from paperwork.binder.results import CATALOG_BOOK
from paperwork.binder.triage import unembedded_fonts
from paperwork.errors import PaperworkError
from paperwork.finding import Finding, error

__all__ = ["BinderCheck", "verify_path"]


@dataclass(frozen=True)
class BinderCheck:
    """What verify found in one binder: findings, what it checked, and what it could not."""

    path: Path
    findings: tuple[Finding, ...]
    checked: tuple[str, ...]
    not_checked: tuple[str, ...]
    case_id: str = ""
    binder: str = ""
    pdfa: str = ""
    pages: int = 0

    def to_dict(self) -> dict[str, object]:
        return {
            "path": str(self.path),
            "case_id": self.case_id,
            "binder": self.binder,
            "pdfa": self.pdfa,
            "pages": self.pages,
            "ok": not self.findings,
            "checked": list(self.checked),
            "not_checked": list(self.not_checked),
            "findings": [f.to_dict() for f in self.findings],
        }


@dataclass
class _Check:
    path: Path
    findings: list[Finding] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)

    def find(self, code: str, message: str, rule: str | None = None) -> None:
        self.findings.append(error(code, message, source=str(self.path), rule=rule))


def _pages(check: _Check, record: BinderRecord, digests: tuple[str, ...]) -> dict[int, int]:
    """Each page's digest against the record; returns the record page → PDF page of the pages kept."""
    check.checked.append("每一页的内容与装订时相同")
    if len(digests) != record.pages:
        check.find("BINDER_PAGE_COUNT", f"这本案卷有 {len(digests)} 页，装订时是 {record.pages} 页")
    matcher = difflib.SequenceMatcher(None, record.page_sha256, digests, autojunk=False)
    kept: dict[int, int] = {}
    removed: dict[str, int] = {}
    added: list[int] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            kept.update({i1 + k: j1 + k for k in range(i2 - i1)})
        elif op == "replace" and i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                check.find(
                    "BINDER_PAGE_CHANGED",
                    f"第 {j1 + k + 1} 页（{record.paper_at(i1 + k)}）与装订时不同：被改动或换成了别的页",
                )
        else:
            removed.update({record.page_sha256[i]: i for i in range(i1, i2)})
            added.extend(range(j1, j2))
    for j in added:
        if digests[j] in removed:
            i = removed.pop(digests[j])
            check.find("BINDER_PAGE_MOVED", f"{record.paper_at(i)}被挪到了第 {j + 1} 页")
            kept[i] = j
        else:
            check.find("BINDER_PAGE_ADDED", f"第 {j + 1} 页是装订时没有的页")
    for i in sorted(removed.values()):
        check.find("BINDER_PAGE_MISSING", f"{record.paper_at(i)}不见了（被删除）")
    return kept


def _numbers(check: _Check, record: BinderRecord, stamped: list[int], kept: dict[int, int]) -> None:
    check.checked.append("每页的页号与卷内目录一致")
    for i, j in sorted(kept.items()):
        want = record.numbered[i] if i < len(record.numbered) else 0
        if want and stamped[j] != want:
            shown = f"印的是 {stamped[j]}" if stamped[j] else "没有页号"
            check.find("BINDER_PAGE_NUMBER", f"第 {j + 1} 页（{record.paper_at(i)}）应印页号 {want}，{shown}")


def _bookmark_check(check: _Check, record: BinderRecord, marks: dict[str, int], stamped: list[int]) -> None:
    check.checked.append("书签指向的页与卷内目录的页号一致")
    for row in record.rows:
        title = f"{row.title}（{row.date or '待补'}）"
        page = marks.get(title)
        if page is None:
            check.find("BINDER_BOOKMARK", f"卷内目录第 {row.seq} 件“{row.title}”没有书签")
        elif page >= len(stamped) or stamped[page] != row.first:
            at = stamped[page] if page < len(stamped) else 0
            check.find(
                "BINDER_BOOKMARK",
                f"卷内目录第 {row.seq} 件“{row.title}”的页号是 {row.first}，"
                f"书签却指向页号 {at or '（无）'} 的页",
            )


def _expected_dates(record: BinderRecord, rows: tuple[CatalogEntry, ...]) -> tuple[str, str]:
    dates = sorted(r.date for r in rows if r.date)
    end = dates[-1] if dates else ""
    start = record.application_date if record.rule == "R1" else (dates[0] if dates else "")
    return start, end


def _cover(check: _Check, record: BinderRecord, reader: PdfReader) -> None:
    check.checked.append("封面起止日期符合 R1/R2，并与卷内目录的日期一致")
    start, end = _expected_dates(record, record.rows)
    if (record.start, record.end) != (start, end):
        check.find(
            "BINDER_COVER_DATES",
            f"封面起止日期是 {record.start}—{record.end}，"
            f"按 {record.rule} 由卷内目录的日期应为 {start}—{end}",
            rule=record.rule,
        )
    cover = next((p for p in record.parts if p.title == "案卷封面"), None)
    if cover is not None:
        text = page_text(reader, cover.pdf_start, cover.pdf_end)
        printed = re.search(r"自(\d{8})?至(\d{8})?", text)
        got = (printed.group(1) or "", printed.group(2) or "") if printed else None
        if got is not None and got != (start, end):
            check.find(
                "BINDER_COVER_DATES",
                f"封面印的起止日期是 {got[0]}—{got[1]}，按 {record.rule} 由卷内目录的日期应为 {start}—{end}",
                rule=record.rule,
            )
        _printed_counts(check, "封面印的", re.search(r"件数(\d+)件页数(\d+)页", text), record)
    catalog = next((p for p in record.parts if p.title == "卷内目录"), None)
    if catalog is not None:
        text = page_text(reader, catalog.pdf_start, catalog.pdf_end)
        for row in record.rows:
            if text and row.date and row.date not in text:
                check.find(
                    "BINDER_CATALOG_CHANGED",
                    f"卷内目录第 {row.seq} 件“{row.title}”的日期 {row.date} 不在目录页上",
                )


def _printed_counts(check: _Check, where: str, said: re.Match[str] | None, record: BinderRecord) -> None:
    """件数 and 页数 as a page prints them (``said``: its two numbers) against the catalog's."""
    want = (len(record.rows), max((r.last for r in record.rows), default=0))
    if said and (int(said.group(1)), int(said.group(2))) != want:
        check.find(
            "BINDER_COUNTS",
            f"{where}是 {said.group(1)} 件 {said.group(2)} 页，卷内目录是 {want[0]} 件 {want[1]} 页",
        )


def _counts(check: _Check, record: BinderRecord, reader: PdfReader) -> None:
    check.checked.append("件数、页数：卷内目录、封面和备考表一致")
    last = max((r.last for r in record.rows), default=0)
    if record.pieces != len(record.rows) or record.content_pages != last:
        check.find(
            "BINDER_COUNTS",
            f"记录的 {record.pieces} 件 {record.content_pages} 页"
            f"与卷内目录的 {len(record.rows)} 件 {last} 页不符",
        )
    note = next((p for p in record.parts if p.title == "卷内备考表"), None)
    if note is not None:
        text = page_text(reader, note.pdf_start, note.pdf_end)
        _printed_counts(check, "备考表写的", re.search(r"共有文件材料(\d+)件，共(\d+)页", text), record)


def _workbook(check: _Check, record: BinderRecord, book: Path) -> None:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check.checked.append(f"{book.name} 与卷内目录一致")
    try:
        wb = load_workbook(book, read_only=True)
    except (OSError, InvalidFileException, KeyError, ValueError) as exc:
        check.find("BINDER_CATALOG_CHANGED", f"{book} 打不开（{exc}）")
        return
    try:
        if record.binder not in wb.sheetnames:
            check.find("BINDER_CATALOG_CHANGED", f"{book.name} 中没有“{record.binder}”工作表")
            return
        rows = list(wb[record.binder].iter_rows(min_row=2, values_only=True))
    finally:
        wb.close()
    if len(rows) != len(record.rows):
        check.find(
            "BINDER_CATALOG_CHANGED",
            f"{book.name} 的“{record.binder}”有 {len(rows)} 行，案卷有 {len(record.rows)} 件",
        )
    for row, entry in zip(rows, record.rows, strict=False):
        cells = ["" if v is None else str(v).strip() for v in row]
        title, day, pages = (cells + [""] * 7)[3:6]
        for name, got, want in (
            ("题名", title, entry.title),
            ("日期", day, entry.date),
            ("页号", pages, entry.page_label),
        ):
            if flat(got) != flat(want):
                check.find(
                    "BINDER_CATALOG_CHANGED",
                    f"{book.name}“{record.binder}”第 {entry.seq} 行（{entry.title}）的{name}是“{got}”，"
                    f"装订时是“{want}”",
                )


def _fonts(check: _Check, pdf: pikepdf.Pdf, record: BinderRecord | None) -> None:
    check.checked.append("字体都已嵌入")
    for i, page in enumerate(pdf.pages):
        missing = unembedded_fonts(page)
        if missing:
            where = record.paper_at(i) if record else f"第 {i + 1} 页"
            names = "、".join(f.name for f in missing)
            check.find("BINDER_FONT_NOT_EMBEDDED", f"第 {i + 1} 页（{where}）用的字体没有嵌入：{names}")


def _claimed_pdfa(pdf: pikepdf.Pdf) -> str:
    try:
        meta = pdf.open_metadata()
        part, level = str(meta.get("pdfaid:part", "")), str(meta.get("pdfaid:conformance", ""))
    except (pikepdf.PdfError, ValueError, KeyError):
        return ""
    return f"{part}{level.lower()}" if part else ""


def _pdfa(check: _Check, path: Path, claimed: str) -> None:
    if not claimed:
        check.not_checked.append("PDF/A 符合性（这个 PDF 没有声明是 PDF/A）")
        return
    try:
        import page as validator  # page-validation, the optional extra [pdfa]
    except ImportError:
        check.not_checked.append(
            f"PDF/A-{claimed} 符合性（没有安装校验器：pip install 'hv-paperwork[pdfa]'）"
        )
        return
    try:
        report = validator.validate_pdf(str(path), profile=claimed)
    except validator.PageError as exc:
        check.find("BINDER_PDFA", f"PDF/A-{claimed} 校验器无法读取这个 PDF（{exc}）")
        return
    check.checked.append(f"PDF/A-{claimed} 符合性（page-validation {validator.__version__}）")
    rules = sorted({f.rule_id for f in report.failures})
    if not report.is_compliant:
        check.find("BINDER_PDFA", f"不符合 PDF/A-{claimed}：{'、'.join(rules) or '校验未通过'}")


def _carried(check: _Check, pdf: pikepdf.Pdf, record: BinderRecord) -> None:
    if not record.attached:
        return
    check.checked.append("PDF 里附带的文件与装订时相同")
    inside = {}
    for name, spec in pdf.attachments.items():
        try:
            inside[name] = hashlib.sha256(spec.get_file().read_bytes()).hexdigest()
        except (pikepdf.PdfError, ValueError, KeyError):
            inside[name] = ""
    for item in record.attached:
        if item.name not in inside:
            check.find("BINDER_ATTACHMENT", f"PDF 里附带的 {item.name} 不见了")
        elif inside[item.name] != item.sha256:
            check.find("BINDER_ATTACHMENT", f"PDF 里附带的 {item.name} 与装订时不同")


def verify_binder(path: Path, book: Path | None = None) -> BinderCheck:
    """Check one binder (``book``: OUT's 卷内目录.xlsx to hold against its record, where there is one)."""
    check = _Check(path)
    try:
        pdf = pikepdf.open(path)
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        check.find("BINDER_UNREADABLE", f"{path} 不是 PDF，或已损坏（{exc}）")
        return BinderCheck(path, tuple(check.findings), (), ())
    with pdf:
        try:
            record = read_record(pdf)
        except PaperworkError as exc:
            check.find("BINDER_RECORD_DAMAGED", str(exc))
            record = None
        reader = PdfReader(str(path))
        stamped = stamped_numbers(reader)
        claimed = _claimed_pdfa(pdf)
        if record is not None:
            kept = _pages(check, record, page_digests(pdf))
            _numbers(check, record, stamped, kept)
            _bookmark_check(check, record, bookmarks(reader), stamped)
            _cover(check, record, reader)
            _counts(check, record, reader)
            _carried(check, pdf, record)
            if book is not None and book.is_file():
                _workbook(check, record, book)
        else:
            _sequence(check, stamped)
            check.not_checked.extend(
                [
                    "每一页的内容与装订时相同（没有装订记录：不是本工具装订的，或记录被删除）",
                    "书签、封面起止日期（R1/R2）、件数页数与卷内目录一致（同上）",
                ]
            )
        _fonts(check, pdf, record)
        _pdfa(check, path, claimed)
        return BinderCheck(
            path,
            tuple(check.findings),
            tuple(check.checked),
            tuple(check.not_checked),
            case_id=record.case_id if record else "",
            binder=record.binder if record else "",
            pdfa=claimed,
            pages=len(pdf.pages),
        )


def _sequence(check: _Check, stamped: list[int]) -> None:
    """Without a record: the stamped numbers, where there are any, run 1, 2, 3 … without a gap."""
    numbers = [(j, n) for j, n in enumerate(stamped) if n]
    if not numbers:
        check.not_checked.append("页号（页面顶端没有找到页号）")
        return
    check.checked.append("页号从 1 起连续")
    for k, (j, n) in enumerate(numbers, 1):
        if n != k:
            check.find("BINDER_PAGE_NUMBER", f"第 {j + 1} 页的页号是 {n}，按顺序应为 {k}")
            return


def verify_path(path: Path) -> list[BinderCheck]:
    """Check a binder, or every binder in an OUT folder (with its 卷内目录.xlsx)."""
    if path.is_dir():
        book = path / CATALOG_BOOK
        found = sorted(p for p in path.glob("*.pdf") if p.is_file())
        if not found:
            raise PaperworkError(f"{path} 里没有 PDF；请给出案卷 PDF 或装订输出目录")
        return [verify_binder(p, book) for p in found]
    return [verify_binder(path)]
