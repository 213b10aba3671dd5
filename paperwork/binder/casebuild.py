"""One case on its way through the build phases, with typed state.

Phase 1 (:meth:`CaseBuild.prepare`) checks the case, fills its forms and gathers
its attachments; the archive parts are made on a guess of one page per form
(:meth:`CaseBuild.archive_parts`), so that they go through LibreOffice in the same
run. After the run, :meth:`CaseBuild.confirm` says whether a guess was wrong (the
parts are then made again for a second run). Phase 3 (:meth:`CaseBuild.finish`)
assembles the binders, writes the workbook and publishes them into OUT.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from paperwork.binder.assemble import BinderPdfs, Meta, assemble
from paperwork.binder.cache import Cache, fill_cached
from paperwork.binder.fitting import fit_to_a4
from paperwork.binder.layout import Layout, catalog_lines, layout
from paperwork.binder.manifest import Manifest
from paperwork.binder.pages import PdfPart
from paperwork.binder.parts import blank_numbers, part_contexts
from paperwork.binder.publish import publish
from paperwork.binder.sources import Pending, Ready, Source, attachment_source, pending_in, settle, settle_all
from paperwork.errors import AttachmentError, CaseError, ConversionError, PaperworkError
from paperwork.finding import Finding, error
from paperwork.render.contexts import form_data
from paperwork.render.sheets import write_catalogs
from paperwork.render.stamps import draft_mark_docx, page_numbers_docx, placeholder_docx
from paperwork.rules.catalog import Catalog, Row, catalogs
from paperwork.rules.resolution import Resolved
from paperwork.rules.validation import Report, validate

__all__ = ["BinderOutput", "BinderSources", "BuildResult", "CaseBuild", "Settings"]

_PART_LABELS = {"archive_cover": "案卷封面", "archive_catalog": "卷内目录", "archive_note": "卷内备考表"}
CATALOG_BOOK = "卷内目录.xlsx"
FORMS_FOLDER = "docx"

#: A catalog row's paper: (index in the case file, title); a missing paper has no index.
RowKey = tuple[int | None, str]


@dataclass(frozen=True)
class Settings:
    """How a case is built: draft, own templates, double-sided numbering."""

    draft: bool = False
    templates: Path | None = None
    duplex: bool = False


@dataclass(frozen=True)
class BinderOutput:
    """One written binder: its file, pieces (件数) and pages."""

    name: str
    path: Path
    pieces: int
    content_pages: int
    total_pages: int


@dataclass(frozen=True)
class BuildResult:
    """What a build wrote (or found unchanged), and the findings of the case."""

    case_id: str
    out: Path
    binders: tuple[BinderOutput, ...]
    catalog_xlsx: Path
    docx: tuple[Path, ...]
    report: Report
    draft: bool
    unchanged: bool = False


@dataclass(frozen=True)
class BinderSources:
    """The archive parts and page-number stamps of one binder."""

    cover: Source
    catalog: Source
    note: Source
    numbers: Source
    numbers_left: Source | None = None


def output_names(resolved: Resolved) -> list[str]:
    """What a build writes into OUT: each binder's PDF, the catalog workbook, the forms folder."""
    return [*(f"{spec.name}.pdf" for spec in resolved.bureau.binders), CATALOG_BOOK, FORMS_FOLDER]


def _doc_name(title: str, used: set[str]) -> str:
    name = "".join("_" if c in '/\\:*?"<>|' else c for c in title)
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}-{n}", n + 1
    used.add(candidate)
    return candidate


def _row_key(row: Row) -> RowKey:
    if row.paper is None:
        return (None, row.form.title)
    return (row.paper.index, row.paper.title)


def _numbers_size(pages: int) -> int:
    """Page-number overlays come in sizes of 50, so most binders share one cached PDF."""
    return max(50, -(-pages // 50) * 50)


def _ready(source: Source | None, what: str) -> PdfPart:
    if not isinstance(source, Ready):
        raise PaperworkError(f"内部错误：{what} 还没有转换成 PDF")
    return source.part


@dataclass
class CaseBuild:
    """One case's state between the phases: every row's, part's and stamp's pages."""

    resolved: Resolved
    out: Path
    root: Path
    cache: Cache
    settings: Settings = Settings()
    report: Report | None = None
    papers: dict[RowKey, Source] = field(default_factory=dict)
    parts: dict[str, BinderSources] = field(default_factory=dict)
    draft_mark: Source | None = None
    forms: list[Path] = field(default_factory=list)
    layouts: list[Layout] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    attached: dict[Path, Row] = field(default_factory=dict)  # staged copy → the row whose file it is
    reduced: dict[RowKey, tuple[str, ...]] = field(default_factory=dict)  # pages reduced to A4
    counter: int = 0

    @functools.cached_property
    def catalogs(self) -> tuple[Catalog, ...]:
        """The binders' catalogs, worked out once per case."""
        return catalogs(self.resolved)

    # -- helpers -------------------------------------------------------------------------------
    def _name(self, suffix: str) -> Path:
        self.counter += 1
        return self.root / "in" / f"{self.counter:04d}{suffix}"

    def _fill(self, key: str, context: dict[str, object], keep_as: Path) -> Pending:
        fill_cached(key, context, keep_as, self.settings.templates, self.cache)
        if keep_as not in self.forms:
            self.forms.append(keep_as)
        return Pending(keep_as)

    def _placeholder(self, heading: str, detail: str) -> Pending:
        return Pending(placeholder_docx(heading, detail, self._name(".docx")))

    def _source(self, row: Row) -> Source:
        """A row's pages: its file, its filled form, or a 待补 page."""
        paper = row.paper
        if paper is None:
            return self._placeholder(
                f"待补：{row.label}", f"{row.form.step}：{row.form.describe_requirement()}"
            )
        doc = paper.document
        if doc.file:
            path = self.resolved.case.path_of(doc.file)
            if not path.exists() and self.settings.draft:
                return self._placeholder(f"待补：{row.label}", f"文件 {doc.file} 不存在")
            source = attachment_source(path, doc.title, self._name)
            if isinstance(source, Pending):
                self.attached[source.document] = row
                return source
            return self._fitted(source.part, row)
        form = paper.form
        if form is not None and form.generated:
            keep = self.root / FORMS_FOLDER / f"{_doc_name(form.title, self.used)}.docx"
            return self._fill(form.key, form_data(self.resolved, form.key, paper), keep)
        return self._placeholder(row.label, "纸质件，未附扫描件")

    def _fill_unfiled(self) -> None:
        """Forms the contractor prints that no binder files (委托带电施工申请 by default): filled
        into docx/ all the same, for the clerk to print and take along."""
        filed = {row.form.key for cat in self.catalogs for row in cat.rows}
        for form in self.resolved.bureau.forms:
            if not form.generated or form.key in filed or not self.resolved.applies(form):
                continue
            papers = self.resolved.of(form.key)
            paper = papers[0] if papers else None
            if paper is not None and paper.document.file:
                continue  # the clerk has her own file of it
            keep = self.root / FORMS_FOLDER / f"{_doc_name(form.title, self.used)}.docx"
            fill_cached(
                form.key, form_data(self.resolved, form.key, paper), keep, self.settings.templates, self.cache
            )
            self.forms.append(keep)

    def _fitted(self, part: PdfPart, row: Row) -> Ready:
        """An attached paper's pages on A4, inside the stamp-safe area; reductions noted for the 备考表."""
        source = (row.paper.document.file or "") if row.paper is not None else ""
        fitted = fit_to_a4(part, row.label, source)
        self.reduced[_row_key(row)] = fitted.reduced
        return Ready(fitted.part)

    def _unreadable(self, row: Row, message: str) -> Finding:
        case = self.resolved.case
        path = f"{row.paper.path}.file" if row.paper is not None else None
        line = case.line(path) if path else None
        return error("FILE_UNREADABLE", message, path=path, line=line, source=case.source)

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
            found.append(self._unreadable(row, message))
        return AttachmentError("；".join(f.message for f in found), tuple(found))

    def pending(self) -> list[Path]:
        """Every document of this case still waiting for LibreOffice, once each."""
        docs = [s.document for s in self.papers.values() if isinstance(s, Pending)]
        for parts in self.parts.values():
            docs += pending_in(parts)
        if isinstance(self.draft_mark, Pending):
            docs.append(self.draft_mark.document)
        return list(dict.fromkeys(docs))

    def take(self, converted: dict[Path, PdfPart]) -> None:
        """Record the pages LibreOffice made for the pending documents (attached ones fitted to A4)."""
        for key, source in list(self.papers.items()):
            if (
                isinstance(source, Pending)
                and source.document in converted
                and source.document in self.attached
            ):
                self.papers[key] = self._fitted(converted[source.document], self.attached[source.document])
        self.papers = {key: settle(s, converted) for key, s in self.papers.items()}
        self.parts = {name: settle_all(p, converted) for name, p in self.parts.items()}
        if self.draft_mark is not None:
            self.draft_mark = settle(self.draft_mark, converted)

    # -- phases --------------------------------------------------------------------------------
    def prepare(self, today: date | None) -> None:
        """Phase 1: check the case, fill its forms, gather its attachments."""
        report = validate(self.resolved, today=today)
        self.report = Report(report.case, report.findings + blank_numbers(self.resolved, self.catalogs))
        if self.report.errors and not self.settings.draft:
            raise CaseError(self.resolved.case.source, self.report.errors)
        for sub in ("in", FORMS_FOLDER, "final"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        unreadable: dict[RowKey, Finding] = {}
        for cat in self.catalogs:
            for row in cat.rows:
                key = _row_key(row)
                if key in self.papers or key in unreadable:
                    continue
                try:
                    self.papers[key] = self._source(row)
                except AttachmentError as exc:  # every bad file is named, not just the first
                    unreadable[key] = self._unreadable(row, str(exc))
        self._fill_unfiled()
        if unreadable:
            found = tuple(unreadable.values())
            raise AttachmentError("；".join(f.message for f in found), found)
        if self.settings.draft:
            self.draft_mark = Pending(draft_mark_docx(self._name(".docx")))

    def _layouts(self, guess: bool) -> list[Layout]:
        out = []
        for cat in self.catalogs:
            parts = []
            for row in cat.rows:
                source = self.papers[_row_key(row)]
                if isinstance(source, Pending) and guess:
                    parts.append(PdfPart(source.document, 0, 1))  # our forms fit one page; confirm() checks
                else:
                    parts.append(_ready(source, row.label))
            out.append(layout(cat, parts))
        return out

    def confirm(self) -> bool:
        """After a run: lay the binders out with the real PDFs; False if a page guess was wrong."""
        guessed = [p.pages for lay in self.layouts for p in lay.pieces]
        self.layouts = self._layouts(guess=False)
        return guessed == [p.pages for lay in self.layouts for p in lay.pieces]

    def archive_parts(self, *, guess: bool = False) -> None:
        """Make the covers, catalogs, 备考表 and numbers; with ``guess`` before the forms are counted."""
        self.layouts = self._layouts(guess)
        for lay in self.layouts:
            cat = lay.catalog
            made: dict[str, Pending] = {}
            notes = [line for piece in lay.pieces for line in self.reduced.get(_row_key(piece.row), ())]
            contexts = part_contexts(
                lay, self.resolved.case.archive, draft=self.settings.draft, reduced=notes
            )
            for key, context in contexts.items():
                keep = self.root / FORMS_FOLDER / f"{cat.spec.name}-{_PART_LABELS[key]}.docx"
                made[key] = self._fill(key, context, keep)
            size = _numbers_size(lay.content_pages)
            numbers = {}
            for side in ("right", "left") if self.settings.duplex else ("right",):
                stamp = self.root / "in" / f"numbers-{side}-{size}.docx"
                if not stamp.exists():
                    page_numbers_docx(size, stamp, side=side)
                numbers[side] = Pending(stamp)
            self.parts[cat.spec.name] = BinderSources(
                made["archive_cover"],
                made["archive_catalog"],
                made["archive_note"],
                numbers["right"],
                numbers.get("left"),
            )

    def finish(self, stamp: str) -> BuildResult:
        """Phase 3: assemble the binders, write the workbook, move everything into OUT."""
        case = self.resolved.case
        if self.report is None:
            raise PaperworkError("内部错误：案卷还没有检查就要装订")
        written = []
        for lay in self.layouts:
            spec = lay.catalog.spec
            parts = self.parts[spec.name]
            pdfs = BinderPdfs(
                cover=_ready(parts.cover, "案卷封面"),
                catalog=_ready(parts.catalog, "卷内目录"),
                note=_ready(parts.note, "卷内备考表"),
                numbers=_ready(parts.numbers, "页号"),
                numbers_left=_ready(parts.numbers_left, "页号") if parts.numbers_left else None,
                draft_mark=_ready(self.draft_mark, "草稿标记") if self.draft_mark else None,
            )
            meta = Meta(
                title=f"{spec.title}：{lay.catalog.title}",
                subject=case.case_id,
                author=case.contractor.name if case.contractor else case.customer.name,
            )
            target = self.root / "final" / f"{spec.name}.pdf"
            total = assemble(lay, pdfs, meta, target)
            written.append(
                BinderOutput(spec.name, self.out / target.name, len(lay.pieces), lay.content_pages, total)
            )
        lines = [(lay.catalog.spec.name, catalog_lines(lay)) for lay in self.layouts]
        write_catalogs(lines, self.root / "final" / CATALOG_BOOK)
        (self.root / FORMS_FOLDER).rename(self.root / "final" / FORMS_FOLDER)
        names = output_names(self.resolved)
        publish(self.root / "final", self.out, names)
        Manifest(stamp, names).write(self.out)
        forms = tuple(self.out / FORMS_FOLDER / p.name for p in self.forms if p.parent.name == FORMS_FOLDER)
        return BuildResult(
            case.case_id,
            self.out,
            tuple(written),
            self.out / CATALOG_BOOK,
            forms,
            self.report,
            self.settings.draft,
        )
