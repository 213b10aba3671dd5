"""Building a case's binders: render, convert, assemble, export — in phases.

Phase 1 fills the forms and gathers the attachments; the documents of every
case in a batch then go through LibreOffice together. Phase 2 knows each
paper's page count and makes the covers, catalogs and 备考表, which go through
LibreOffice together again. Phase 3 assembles the binders and moves them into
OUT, which changes only when the whole case succeeded. :func:`build` runs the
phases for one case; :mod:`paperwork.binder.batch` runs them for many.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from paperwork.binder.parts import part_contexts
from paperwork.binder.attachments import check_office, check_pdf, image_to_pdf, kind_of
from paperwork.binder.assemble import Layout, assemble, catalog_lines, layout
from paperwork.binder.cache import Cache
from paperwork.rules.catalog import Catalog, Row, catalogs
from paperwork.binder.converter import Batch, convert_documents
from paperwork.binder.libreoffice import convert_batch
from paperwork.errors import CaseError, PaperworkError
from paperwork.render.sheets import write_catalogs
from paperwork.render.contexts import form_data
from paperwork.binder.manifest import Manifest, fingerprint
from paperwork.binder.pages import page_count, release
from paperwork.rules.resolution import Paper, Resolved
from paperwork.render.templates import render_cached
from paperwork.render.stamps import draft_mark_docx, page_numbers_docx, placeholder_docx
from paperwork.rules.validation import Report, validate

__all__ = ["BinderOutput", "BuildResult", "CaseBuild", "build", "convert_cases", "render_form", "run_phases"]

_PART_LABELS = {"archive_cover": "案卷封面", "archive_catalog": "卷内目录", "archive_note": "卷内备考表"}


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


def _doc_name(title: str, used: set[str]) -> str:
    name = "".join("_" if c in '/\\:*?"<>|' else c for c in title)
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}-{n}", n + 1
    used.add(candidate)
    return candidate


def _row_key(row: Row) -> str:
    if row.paper is None:
        return f"missing:{row.form.title}"
    return f"paper:{row.paper.index}:{row.paper.title}"


def _numbers_size(pages: int) -> int:
    """Page-number overlays come in sizes of 50, so most binders share one cached PDF."""
    return max(50, -(-pages // 50) * 50)


@dataclass
class CaseBuild:
    """One case on its way through the phases; ``pending`` lists DOCX files awaiting a PDF."""

    resolved: Resolved
    out: Path
    root: Path
    cache: Cache
    draft: bool = False
    templates: Path | None = None
    duplex: bool = False
    report: Report | None = None
    sources: dict[str, tuple[Path, int | None]] = field(default_factory=dict)
    pending: list[Path] = field(default_factory=list)
    forms: list[Path] = field(default_factory=list)
    layouts: list[Layout] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    counter: int = 0

    @functools.cached_property
    def catalogs(self) -> tuple[Catalog, ...]:
        """The binders' catalogs, worked out once per case."""
        return catalogs(self.resolved)

    # -- helpers -------------------------------------------------------------------------------
    def _name(self, suffix: str) -> Path:
        self.counter += 1
        return self.root / "in" / f"{self.counter:04d}{suffix}"

    def _later(self, docx: Path) -> tuple[Path, int | None]:
        self.pending.append(docx)
        return docx, None

    def _render(self, key: str, context: dict[str, Any], keep_as: Path | None) -> tuple[Path, int | None]:
        target = keep_as or self._name(".docx")
        render_cached(key, context, target, self.templates, self.cache)
        if keep_as is not None and keep_as not in self.forms:
            self.forms.append(keep_as)
        return self._later(target)

    def _placeholder(self, heading: str, detail: str) -> tuple[Path, int | None]:
        return self._later(placeholder_docx(heading, detail, self._name(".docx")))

    def _source(self, row: Row) -> tuple[Path, int | None]:
        """A row's PDF with its page count, or a DOCX waiting for conversion."""
        paper: Paper | None = row.paper
        if paper is None:
            return self._placeholder(
                f"待补：{row.label}", f"{row.form.step}：{row.form.describe_requirement()}"
            )
        doc = paper.document
        if doc.file:
            path = self.resolved.case.folder / doc.file
            if not path.exists() and self.draft:
                return self._placeholder(f"待补：{row.label}", f"文件 {doc.file} 不存在")
            kind = kind_of(path, doc.title)
            if kind == "pdf":
                return path, check_pdf(path, doc.title)
            if kind == "image":
                return image_to_pdf(path, doc.title, self._name(".pdf")), 1
            check_office(path, doc.title)
            staged = self._name(path.suffix.lower())
            shutil.copyfile(path, staged)
            return self._later(staged)
        form = paper.form
        if form is not None and form.generated:
            keep = self.root / "docx" / f"{_doc_name(form.title, self.used)}.docx"
            return self._render(form.key, form_data(self.resolved, form.key, paper), keep)
        return self._placeholder(row.label, "纸质件，未附扫描件")

    def take(self, pdfs: dict[Path, Path]) -> None:
        """Record the PDFs LibreOffice made for the pending documents."""
        for key, (path, pages) in list(self.sources.items()):
            if pages is None and path in pdfs:
                pdf = pdfs[path]
                self.sources[key] = (pdf, page_count(pdf))
        self.pending.clear()

    # -- phases --------------------------------------------------------------------------------
    def prepare(self, today: date | None) -> None:
        """Phase 1: check the case, fill its forms, gather its attachments."""
        self.report = validate(self.resolved, today=today)
        if self.report.errors and not self.draft:
            raise CaseError(self.resolved.case.source, self.report.errors)
        for sub in ("in", "docx", "final"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        for cat in self.catalogs:
            for row in cat.rows:
                key = _row_key(row)
                if key not in self.sources:
                    self.sources[key] = self._source(row)
        if self.draft:
            self.sources["draft-mark"] = self._later(draft_mark_docx(self._name(".docx")))

    def _layouts(self, guess: bool) -> list[Layout]:
        out = []
        for cat in self.catalogs:
            rows = []
            for row in cat.rows:
                pdf, pages = self.sources[_row_key(row)]
                if pages is None:
                    assert guess, "every paper is counted before the archive parts"
                    pages = 1  # our forms fit one page; confirm() checks after conversion
                rows.append((pdf, pages))
            out.append(layout(cat, rows))
        return out

    def confirm(self) -> bool:
        """After a run: lay the binders out with the real PDFs; False if a page guess was wrong."""
        guessed = [p.pages for lay in self.layouts for p in lay.pieces]
        self.layouts = self._layouts(guess=False)
        return guessed == [p.pages for lay in self.layouts for p in lay.pieces]

    def archive_parts(self, *, guess: bool = False) -> None:
        """Make the covers, catalogs, 备考表 and numbers; with ``guess`` before the forms are counted.

        Guessing one page per form lets the archive parts go through LibreOffice in the
        same run as the forms; :meth:`confirm` tells whether they must be made again.
        """
        self.layouts = self._layouts(guess)
        for lay in self.layouts:
            cat = lay.catalog
            for key, context in part_contexts(lay, self.resolved.case.archive, draft=self.draft).items():
                keep = self.root / "docx" / f"{cat.spec.name}-{_PART_LABELS[key]}.docx"
                self.sources[f"part:{cat.spec.name}:{key}"] = self._render(key, context, keep)
            size = _numbers_size(lay.content_pages)
            for side in ("right", "left") if self.duplex else ("right",):
                numbers = self.root / "in" / f"numbers-{side}-{size}.docx"
                if not numbers.exists():
                    page_numbers_docx(size, numbers, side=side)
                self.sources[f"part:{cat.spec.name}:numbers-{side}"] = self._later(numbers)
        self.pending = list(dict.fromkeys(self.pending))

    def finish(self, stamp: str) -> BuildResult:
        """Phase 3: assemble the binders, write the workbook, move everything into OUT."""
        case = self.resolved.case
        assert self.report is not None
        written = []
        for lay in self.layouts:
            spec = lay.catalog.spec
            part = f"part:{spec.name}:"
            target = self.root / "final" / f"{spec.name}.pdf"
            total = assemble(
                lay,
                cover=self.sources[part + "archive_cover"][0],
                catalog_pdf=self.sources[part + "archive_catalog"][0],
                note=self.sources[part + "archive_note"][0],
                numbers=self.sources[part + "numbers-right"][0],
                numbers_left=self.sources[part + "numbers-left"][0] if self.duplex else None,
                out=target,
                title=f"{spec.title}：{lay.catalog.title}",
                subject=case.case_id,
                author=case.contractor.name if case.contractor else case.customer.name,
                draft_mark=self.sources["draft-mark"][0] if self.draft else None,
            )
            written.append(
                BinderOutput(spec.name, self.out / target.name, len(lay.pieces), lay.content_pages, total)
            )
        lines = [(lay.catalog.spec.name, catalog_lines(lay)) for lay in self.layouts]
        write_catalogs(lines, self.root / "final" / "卷内目录.xlsx")
        (self.root / "docx").rename(self.root / "final" / "docx")
        names = [*(f"{b.name}.pdf" for b in written), "卷内目录.xlsx", "docx"]
        _publish(self.root / "final", self.out, names)
        Manifest(stamp, names).write(self.out)
        forms = tuple(self.out / "docx" / p.name for p in self.forms)
        return BuildResult(
            case.case_id, self.out, tuple(written), self.out / "卷内目录.xlsx", forms, self.report, self.draft
        )


def _publish(stage: Path, out: Path, names: list[str]) -> None:
    """Move the staged outputs into OUT, replacing the previous ones only now."""
    out.mkdir(parents=True, exist_ok=True)
    for name in names:
        src, dst = stage / name, out / name
        if src.is_dir():
            old = out / f".{name}.old"
            if old.exists():
                shutil.rmtree(old)
            if dst.exists():
                dst.rename(old)
            src.rename(dst)
            if old.exists():
                shutil.rmtree(old)
        else:
            os.replace(src, dst)


def run_phases(builds: list[CaseBuild], phase: str, cache: Cache, batch: Batch, workdir: Path) -> None:
    """Convert the pending documents of every build with one LibreOffice run."""
    docs = [d for b in builds for d in b.pending]
    if not docs:
        return
    pdfs = convert_documents(docs, workdir / phase, cache, batch)
    table = dict(zip(docs, pdfs, strict=True))
    for b in builds:
        b.take(table)


def convert_cases(
    jobs: list[CaseBuild],
    cache: Cache,
    batch: Batch,
    workdir: Path,
    fail: Callable[[CaseBuild, Exception], None],
) -> list[CaseBuild]:
    """Take prepared cases through LibreOffice; returns those still standing.

    Run 1 converts every case's forms and guessed archive parts together. A case whose
    page guess was wrong makes its parts again for run 2. When a shared run fails, the
    cases are converted one by one, so that only the case whose document failed is
    handed to ``fail`` (which may raise).
    """
    alive = list(jobs)
    for phase in ("run1", "run2"):
        try:
            run_phases(alive, phase, cache, batch, workdir)
        except PaperworkError as exc:
            if len(alive) == 1:  # nothing to tell apart: convert_batch has retried already
                fail(alive[0], exc)
                alive = []
            survivors = []
            for n, job in enumerate(alive):
                try:
                    run_phases([job], f"{phase}-case{n}", cache, batch, workdir)
                    survivors.append(job)
                except PaperworkError as one:
                    fail(job, one)
            alive = survivors
        standing = []
        for job in alive:
            try:
                if not job.confirm() and phase == "run1":
                    job.archive_parts()  # a form ran over one page: number again, parts again
                standing.append(job)
            except (PaperworkError, OSError) as exc:
                fail(job, exc)
        alive = standing
    return alive


def _raise(job: CaseBuild, exc: Exception) -> None:
    raise exc


def build(
    resolved: Resolved,
    out: Path,
    *,
    draft: bool = False,
    templates: Path | None = None,
    today: date | None = None,
    converter: Batch = convert_batch,
    cache: Cache | None = None,
    duplex: bool = False,
) -> BuildResult:
    """Build both binders, the catalog workbook and the filled forms into ``out``.

    Without ``draft`` a case with errors builds nothing (CaseError). With it,
    missing papers become 待补 pages and every page carries a 草稿 mark. With a
    cache, a case whose inputs are unchanged since the last build into ``out``
    is not built again (``unchanged``), and forms already converted are reused.
    """
    cache = cache or Cache(None)
    stamp = fingerprint(resolved, draft=draft, templates=templates, duplex=duplex)
    if cache.enabled:
        previous = Manifest.read(out)
        if previous is not None and previous.stamp == stamp and previous.intact(out):
            report = validate(resolved, today=today)
            if not report.errors or draft:
                return _unchanged(resolved, out, report, draft)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".paperwork-", dir=out) as tmp:
        try:
            job = CaseBuild(resolved, out, Path(tmp) / "case", cache, draft, templates, duplex)
            job.prepare(today)
            job.archive_parts(guess=True)
            convert_cases([job], cache, converter, Path(tmp), _raise)
            return job.finish(stamp)
        finally:
            release()


def _unchanged(resolved: Resolved, out: Path, report: Report, draft: bool) -> BuildResult:
    binders = []
    for spec in resolved.bureau.binders:
        path = out / f"{spec.name}.pdf"
        pages = len(PdfReader(str(path)).pages)
        binders.append(BinderOutput(spec.name, path, 0, 0, pages))
    forms = tuple(sorted((out / "docx").glob("*.docx")))
    case_id = resolved.case.case_id
    return BuildResult(
        case_id, out, tuple(binders), out / "卷内目录.xlsx", forms, report, draft, unchanged=True
    )


def render_form(
    resolved: Resolved,
    key: str,
    out: Path,
    *,
    templates: Path | None = None,
    converter: Batch = convert_batch,
) -> Path:
    """Fill one generated form of the case into ``out`` (.docx, or .pdf through LibreOffice)."""
    form = resolved.bureau.form_by_key(key)
    assert form is not None and form.generated
    papers = resolved.of(form.title)
    paper = papers[0] if papers else None
    context = form_data(resolved, form.key, paper)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".paperwork-", dir=out.parent) as tmp:
        docx = render_cached(form.key, context, Path(tmp) / f"{form.key}.docx", templates, Cache(None))
        result = docx
        if out.suffix.lower() == ".pdf":
            (result,) = converter([docx], Path(tmp) / "pdf")
        os.replace(result, out)
    return out
