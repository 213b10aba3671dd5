"""One case's build as a chain of phases, each returning a frozen value for the next.

:func:`prepare` checks the case, fills its forms, gathers its attachments and makes the
archive parts on a guess of one page per form → :class:`Prepared` (some pages still
:class:`~paperwork.binder.sources.Pending`, waiting for LibreOffice). :meth:`Prepared.settle`
takes what LibreOffice made; :meth:`Prepared.conclude` lays the binders out with the real
pages → :class:`Converted`, or, when a form ran over its guessed page, a new
:class:`Prepared` whose parts were made again for a second run. :func:`assemble` writes the
binders and the workbook into the staging folder → :class:`Assembled`; :func:`publish`
moves them into OUT → :class:`BuildResult`. Nothing is changed in place: the order of the
phases is the order of the types.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from paperwork.binder.archival import Associated, finish_binder
from paperwork.binder.archive_parts import part_contexts
from paperwork.binder.assemble import BinderPdfs, Meta, assemble_binder
from paperwork.binder.attachments import garbled
from paperwork.binder.cache import Cache
from paperwork.binder.fitting import fit_to_a4
from paperwork.binder.layout import Layout, catalog_lines, layout
from paperwork.binder.manifest import Manifest
from paperwork.binder.options import BuildOptions
from paperwork.binder.page_ranges import PdfPart
from paperwork.binder.publish import publish as swap_into
from paperwork.binder.record import binder_record
from paperwork.binder.results import (
    CATALOG_BOOK,
    FORMS_FOLDER,
    BinderOutput,
    BinderSources,
    BuildResult,
    output_names,
)
from paperwork.binder.sources import Pending, Ready, Source, pending_in, settle, settle_all
from paperwork.binder.staging import Staging, paper_source, unfiled_forms
from paperwork.errors import AttachmentError, CaseError, ConversionError, PaperworkError
from paperwork.finding import Finding, error
from paperwork.render.sheets import write_catalogs
from paperwork.render.stamps import draft_mark_docx, page_numbers_docx
from paperwork.rules.catalog import Catalog, Row, catalogs
from paperwork.rules.resolution import Resolved
from paperwork.rules.validation import Report, validate

__all__ = [
    "CATALOG_BOOK",
    "FORMS_FOLDER",
    "Assembled",
    "BinderOutput",
    "BinderSources",
    "BuildResult",
    "Converted",
    "Prepared",
    "assemble",
    "output_names",
    "prepare",
    "publish",
]

_PART_LABELS = {"archive_cover": "案卷封面", "archive_catalog": "卷内目录", "archive_note": "卷内备考表"}

#: A catalog row's paper: (index in the case file, title); a missing paper has no index.
RowKey = tuple[int | None, str]


def _row_key(row: Row) -> RowKey:
    return (None, row.form.title) if row.paper is None else (row.paper.index, row.paper.title)


def _numbers_size(pages: int) -> int:
    """Page-number overlays come in sizes of 50, so most binders share one cached PDF."""
    return max(50, -(-pages // 50) * 50)


def _ready(source: Source | None, what: str) -> PdfPart:
    if not isinstance(source, Ready):
        raise PaperworkError(f"内部错误：{what} 还没有转换成 PDF")
    return source.part


def _unreadable(resolved: Resolved, row: Row, message: str) -> Finding:
    case = resolved.case
    path = f"{row.paper.path}.file" if row.paper is not None else None
    return error(
        "FILE_UNREADABLE", message, path=path, line=case.line(path) if path else None, source=case.source
    )


def _fitted(part: PdfPart, row: Row, notes: tuple[str, ...] = ()) -> tuple[Ready, tuple[str, ...]]:
    """An attached paper's pages on A4, inside the stamp-safe area, and the 备考表's notes: pages
    reduced, pages turned into images for PDF/A (``notes``)."""
    source = (row.paper.document.file or "") if row.paper is not None else ""
    fitted = fit_to_a4(part, row.label, source)
    return Ready(fitted.part), (*notes, *fitted.reduced)


@dataclass(frozen=True)
class Prepared:
    """A case between the phases: every row's pages, made or waiting for LibreOffice.

    ``guessed`` holds the page count each binder piece was laid out with when the parts
    were made (one page for a form not yet converted).
    """

    resolved: Resolved
    out: Path
    stage: Staging
    report: Report
    catalogs: tuple[Catalog, ...]
    papers: Mapping[RowKey, Source]
    attached: Mapping[Path, Row]  # a staged copy of a paper's own Word file → its row
    reduced: Mapping[RowKey, tuple[str, ...]]  # pages reduced to A4, for the 备考表
    forms: tuple[Path, ...]  # filled forms, kept in docx/ for the clerk
    draft_mark: Source | None
    parts: Mapping[str, BinderSources]
    guessed: tuple[int, ...]

    @property
    def case_id(self) -> str:
        return self.resolved.case.case_id

    def pending(self) -> list[Path]:
        """Every document of this case still waiting for LibreOffice, once each."""
        docs = [s.document for s in self.papers.values() if isinstance(s, Pending)]
        for parts in self.parts.values():
            docs += pending_in(parts)
        if isinstance(self.draft_mark, Pending):
            docs.append(self.draft_mark.document)
        return list(dict.fromkeys(docs))

    def settle(self, made: Mapping[Path, PdfPart]) -> Prepared:
        """This case with the pages LibreOffice made (attached Word files fitted to A4)."""
        converted = dict(made)
        papers: dict[RowKey, Source] = {}
        reduced = dict(self.reduced)
        garbage = [
            _unreadable(
                self.resolved,
                row,
                f"{row.label}的文件 {row.paper.document.file if row.paper else '?'} 转换出来的是乱码"
                "（文件已损坏，或不是 Word 文档）；请在 Word 中打开它，另存为 DOCX 或 PDF 后重试",
            )
            for doc, row in self.attached.items()
            if doc in converted and garbled(converted[doc])
        ]
        if garbage:
            raise AttachmentError("；".join(f.message for f in garbage), tuple(garbage))
        for key, source in self.papers.items():
            if (
                isinstance(source, Pending)
                and source.document in converted
                and source.document in self.attached
            ):
                papers[key], reduced[key] = _fitted(
                    converted[source.document], self.attached[source.document]
                )
            else:
                papers[key] = settle(source, converted)
        parts = {name: settle_all(p, converted) for name, p in self.parts.items()}
        mark = settle(self.draft_mark, converted) if self.draft_mark is not None else None
        return replace(self, papers=papers, reduced=reduced, parts=parts, draft_mark=mark)

    def conclude(self, *, last: bool = False) -> Converted | Prepared:
        """Lay the binders out with the real pages: Converted when every guess held (or ``last``),
        else this case with its archive parts made again for another run."""
        layouts = _layouts(self, guess=False)
        if not last and _pieces(layouts) != self.guessed:
            return _with_parts(self, layouts)  # a form ran over one page: number again, parts again
        return Converted(self, layouts)

    def explain(self, exc: ConversionError) -> PaperworkError:
        """A conversion failure in the clerk's words: which paper's file, and what to do."""
        rows = [self.attached[f] for f in exc.files if f in self.attached]
        if not rows:
            return exc
        found = []
        for row in rows:
            file = row.paper.document.file if row.paper is not None else "?"
            message = (
                f"{row.label}的文件 {file} 无法用 LibreOffice 转换成 PDF"
                "（文件可能已损坏、加密或不是 Word 文档）；请在 Word 中打开它，另存为 DOCX 或 PDF 后重试"
            )
            found.append(_unreadable(self.resolved, row, message))
        return AttachmentError("；".join(f.message for f in found), tuple(found))


@dataclass(frozen=True)
class Converted:
    """A case whose every page exists, laid out in its binders."""

    prepared: Prepared
    layouts: tuple[Layout, ...]


@dataclass(frozen=True)
class Assembled:
    """A case's binders, workbook and forms written into the staging folder's ``final/``."""

    converted: Converted
    final: Path
    binders: tuple[BinderOutput, ...]


def _pieces(layouts: tuple[Layout, ...]) -> tuple[int, ...]:
    return tuple(p.pages for lay in layouts for p in lay.pieces)


def _layouts(prepared: Prepared, *, guess: bool) -> tuple[Layout, ...]:
    out = []
    for cat in prepared.catalogs:
        parts = []
        for row in cat.rows:
            source = prepared.papers[_row_key(row)]
            if isinstance(source, Pending) and guess:
                parts.append(PdfPart(source.document, 0, 1))  # our forms fit one page; conclude() checks
            else:
                parts.append(_ready(source, row.label))
        out.append(layout(cat, parts))
    return tuple(out)


def _with_parts(prepared: Prepared, layouts: tuple[Layout, ...]) -> Prepared:
    """The covers, catalogs, 备考表 and page numbers of ``layouts``, made as documents to convert."""
    stage, options = prepared.stage, prepared.stage.options
    parts: dict[str, BinderSources] = {}
    forms = list(prepared.forms)
    for lay in layouts:
        cat = lay.catalog
        notes = [line for piece in lay.pieces for line in prepared.reduced.get(_row_key(piece.row), ())]
        contexts = part_contexts(lay, prepared.resolved.case.archive, draft=options.draft, reduced=notes)
        made: dict[str, Pending] = {}
        for key, context in contexts.items():
            keep = stage.root / FORMS_FOLDER / f"{cat.spec.name}-{_PART_LABELS[key]}.docx"
            made[key] = stage.fill(key, context, keep)
            if keep not in forms:
                forms.append(keep)
        size = _numbers_size(lay.content_pages)
        numbers = {}
        for side in ("right", "left") if options.duplex else ("right",):
            stamp = stage.root / "in" / f"numbers-{side}-{size}.docx"
            if not stamp.exists():
                page_numbers_docx(size, stamp, side=side)
            numbers[side] = Pending(stamp)
        parts[cat.spec.name] = BinderSources(
            made["archive_cover"],
            made["archive_catalog"],
            made["archive_note"],
            numbers["right"],
            numbers.get("left"),
        )
    return replace(prepared, parts=parts, forms=tuple(forms), guessed=_pieces(layouts))


def prepare(resolved: Resolved, out: Path, root: Path, cache: Cache, options: BuildOptions) -> Prepared:
    """Phase 1: check the case, fill its forms, gather its attachments, make the parts on a guess.

    CaseError when the case has errors (unless a draft); AttachmentError naming every paper
    whose file cannot be bound.
    """
    report = validate(resolved, today=options.today)
    blocking = report.blocking(resolved)
    if blocking and not options.draft:
        raise CaseError(resolved.case.source, blocking)
    for sub in ("in", FORMS_FOLDER, "final"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    stage = Staging(root, cache, options)
    found = catalogs(resolved)
    papers: dict[RowKey, Source] = {}
    attached: dict[Path, Row] = {}
    reduced: dict[RowKey, tuple[str, ...]] = {}
    forms: list[Path] = []
    unreadable: dict[RowKey, Finding] = {}
    for cat in found:
        for row in cat.rows:
            key = _row_key(row)
            if key in papers or key in unreadable:
                continue
            try:
                source, role = paper_source(resolved, row, stage)
                if role == "file" and isinstance(source, Ready):
                    source, reduced[key] = _fitted(source.part, row, source.notes)
            except AttachmentError as exc:  # every bad file is named, not just the first
                unreadable[key] = _unreadable(resolved, row, str(exc))
                continue
            if role == "file" and isinstance(source, Pending):
                attached[source.document] = row  # a Word file: fitted once LibreOffice has made it
            elif role == "form" and isinstance(source, Pending):
                forms.append(source.document)
            papers[key] = source
    forms += unfiled_forms(resolved, found, stage)
    if unreadable:
        bad = tuple(unreadable.values())
        raise AttachmentError("；".join(f.message for f in bad), bad)
    mark = Pending(draft_mark_docx(stage.name(".docx"))) if options.draft else None
    prepared = Prepared(
        resolved, out, stage, report, found, papers, attached, reduced, tuple(forms), mark, {}, ()
    )
    return _with_parts(prepared, _layouts(prepared, guess=True))


def _build_time(prepared: Prepared) -> dt.datetime:
    """When the binders say they were made: the build's ``now``, else the case file's last change."""
    now = prepared.stage.options.now
    if now is not None:
        return now if now.tzinfo else now.astimezone()
    try:
        stamp = Path(prepared.resolved.case.source).stat().st_mtime
    except OSError:
        stamp = 0.0
    return dt.datetime.fromtimestamp(stamp, dt.UTC).replace(microsecond=0)


def assemble(converted: Converted) -> Assembled:
    """Phase 3: the binders and the catalog workbook, written into the staging folder's ``final/``.

    Every binder carries its record (see :mod:`paperwork.binder.record`); with PDF/A 3b, the case
    file and the catalog workbook ride inside each binder as associated files.
    """
    prepared = converted.prepared
    case, root = prepared.resolved.case, prepared.stage.root
    lines = [(lay.catalog.spec.name, catalog_lines(lay)) for lay in converted.layouts]
    write_catalogs(lines, root / "final" / CATALOG_BOOK)
    level = prepared.stage.options.pdfa_for(prepared.resolved.bureau)
    associated = (
        Associated(Path(case.source), Path(case.source).name, "Source", "application/yaml", "案卷文件"),
        Associated(
            root / "final" / CATALOG_BOOK,
            CATALOG_BOOK,
            "Data",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "卷内目录",
        ),
    )
    when = _build_time(prepared)
    written = []
    for lay in converted.layouts:
        spec = lay.catalog.spec
        parts = prepared.parts[spec.name]
        pdfs = BinderPdfs(
            cover=_ready(parts.cover, "案卷封面"),
            catalog=_ready(parts.catalog, "卷内目录"),
            note=_ready(parts.note, "卷内备考表"),
            numbers=_ready(parts.numbers, "页号"),
            numbers_left=_ready(parts.numbers_left, "页号") if parts.numbers_left else None,
            draft_mark=_ready(prepared.draft_mark, "草稿标记") if prepared.draft_mark else None,
        )
        meta = Meta(
            title=f"{spec.title}：{lay.catalog.title}",
            subject=case.case_id,
            author=case.contractor.name if case.contractor else case.customer.name,
        )
        target = root / "final" / f"{spec.name}.pdf"
        assembled = io.BytesIO()
        bound = assemble_binder(lay, pdfs, meta, assembled)
        record = binder_record(case, lay, bound)
        finish_binder(assembled, target, record, pdfa=level, associated=associated, when=when)
        written.append(
            BinderOutput(
                spec.name, prepared.out / target.name, len(lay.pieces), lay.content_pages, bound.pages
            )
        )
    (root / FORMS_FOLDER).rename(root / "final" / FORMS_FOLDER)
    return Assembled(converted, root / "final", tuple(written))


def publish(assembled: Assembled, stamp: str) -> BuildResult:
    """Phase 4: the staged files replace OUT's as one step, with the manifest of this build."""
    prepared = assembled.converted.prepared
    names = output_names(prepared.resolved)
    swap_into(assembled.final, prepared.out, names)
    Manifest(stamp, names, draft=prepared.stage.options.draft).write(prepared.out)
    forms = tuple(
        prepared.out / FORMS_FOLDER / p.name for p in prepared.forms if p.parent.name == FORMS_FOLDER
    )
    return BuildResult(
        prepared.case_id,
        prepared.out,
        assembled.binders,
        prepared.out / CATALOG_BOOK,
        forms,
        prepared.report,
        prepared.stage.options.draft,
    )
