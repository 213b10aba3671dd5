"""Building a case's binders: render, convert (two LibreOffice runs), assemble, export.

Run 1 converts every filled form and DOCX attachment; once every paper's page
count is known, run 2 converts the covers, catalogs, 备考表 and page-number
overlays. Everything is written to a staging folder inside OUT and moved into
place only when all of it succeeded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from paperwork.attachment import check_office, check_pdf, image_to_pdf, kind_of
from paperwork.binder import Layout, assemble, catalog_lines, layout
from paperwork.catalog import Catalog, Row, catalogs
from paperwork.convert import convert_batch
from paperwork.dates import chinese, compact
from paperwork.errors import CaseError
from paperwork.formdata import CatalogData, CatalogLine, CoverData, NoteData, form_data
from paperwork.papers import Paper, Resolved
from paperwork.render import render_docx
from paperwork.stamps import draft_mark_docx, page_numbers_docx, placeholder_docx
from paperwork.validation import Report, validate

__all__ = ["BinderOutput", "BuildResult", "build", "render_form"]

Converter = Callable[[list[Path], Path], list[Path]]


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
    """What a build wrote, and the findings of the case it built."""

    case_id: str
    out: Path
    binders: tuple[BinderOutput, ...]
    catalog_xlsx: Path
    docx: tuple[Path, ...]
    report: Report
    draft: bool


@dataclass
class _Work:
    """The staging area of one build and what has been prepared in it."""

    root: Path
    templates: Path | None
    draft: bool
    batch: list[Path] = field(default_factory=list)
    pdfs: dict[str, tuple[Path, int | None]] = field(default_factory=dict)
    forms: list[Path] = field(default_factory=list)
    counter: int = 0

    def name(self, suffix: str) -> Path:
        self.counter += 1
        return self.root / "in" / f"{self.counter:04d}{suffix}"


def _doc_name(title: str, used: set[str]) -> str:
    name = "".join("_" if c in '/\\:*?"<>|' else c for c in title)
    candidate, n = name, 2
    while candidate in used:
        candidate, n = f"{name}-{n}", n + 1
    used.add(candidate)
    return candidate


def _placeholder(work: _Work, heading: str, detail: str) -> tuple[Path, int | None]:
    docx = placeholder_docx(heading, detail, work.name(".docx"))
    work.batch.append(docx)
    return docx, None


def _prepare(resolved: Resolved, row: Row, work: _Work, used: set[str]) -> tuple[Path, int | None]:
    """The source of a row: a PDF with its page count, or a DOCX waiting for run 1."""
    paper: Paper | None = row.paper
    if paper is None:
        return _placeholder(work, f"待补：{row.label}", f"{row.form.step}：{row.form.describe_requirement()}")
    doc = paper.document
    if doc.file:
        path = resolved.case.folder / doc.file
        if not path.exists() and work.draft:
            return _placeholder(work, f"待补：{row.label}", f"文件 {doc.file} 不存在")
        kind = kind_of(path, doc.title)
        if kind == "pdf":
            return path, check_pdf(path, doc.title)
        if kind == "image":
            return image_to_pdf(path, doc.title, work.name(".pdf")), 1
        check_office(path, doc.title)
        staged = work.name(path.suffix.lower())
        shutil.copyfile(path, staged)
        work.batch.append(staged)
        return staged, None
    form = paper.form
    if form is not None and form.generated:
        context = form_data(resolved, form.key, paper)
        target = work.root / "docx" / f"{_doc_name(form.title, used)}.docx"
        render_docx(form.key, context, target, work.templates)
        work.forms.append(target)
        staged = work.name(".docx")
        shutil.copyfile(target, staged)
        work.batch.append(staged)
        return staged, None
    return _placeholder(work, row.label, "纸质件，未附扫描件")


def _convert_pending(work: _Work, converter: Converter) -> None:
    if not work.batch:
        return
    outs = converter(work.batch, work.root / "pdf")
    done = {src: pdf for src, pdf in zip(work.batch, outs, strict=True)}
    for key, (path, pages) in list(work.pdfs.items()):
        if pages is None and path in done:
            pdf = done[path]
            work.pdfs[key] = (pdf, len(PdfReader(str(pdf)).pages))
    work.batch.clear()


def _row_key(row: Row) -> str:
    if row.paper is None:
        return f"missing:{row.form.title}"
    return f"paper:{row.paper.index}:{row.paper.title}"


def _explanation(cat: Catalog, lay: Layout) -> str:
    parts = []
    copies = [p.row.label for p in lay.pieces if "复印件" in p.row.label]
    if copies:
        parts.append(f"其中复印件 {len(copies)} 件（{'、'.join(copies)}）。")
    if cat.missing:
        parts.append(f"待补 {len(cat.missing)} 件：{'、'.join(r.label for r in cat.missing)}。")
    if cat.info.note:
        parts.append(cat.info.note)
    return "".join(parts) or "本卷文件齐全，无缺损。"


def _archive_parts(resolved: Resolved, lay: Layout, work: _Work, draft: bool) -> dict[str, Path]:
    cat, case = lay.catalog, resolved.case
    name = cat.spec.title
    lines = catalog_lines(lay)
    present = len(cat.present)
    archive = case.archive
    contexts: dict[str, Any] = {
        "archive_cover": CoverData(
            fonds=archive.fonds or "",
            category=archive.category or "",
            title=cat.title,
            start=compact(cat.start) if cat.start else "",
            end=compact(cat.end) if cat.end else "",
            retention=archive.retention,
            pieces=str(present),
            pages=str(lay.content_pages),
            archive_no=cat.info.archive_no or "",
            file_no=cat.info.file_no or "",
            binder_name=name,
            draft="草稿" if draft else "",
        ),
        "archive_catalog": CatalogData(
            binder_name=name,
            file_no=cat.info.file_no or "",
            rows=tuple(CatalogLine(**line) for line in lines),
        ),
        "archive_note": NoteData(
            binder_name=name,
            pieces=str(present),
            pages=str(lay.content_pages),
            explanation=_explanation(cat, lay),
            filer=archive.filer or "",
            checker=archive.checker or "",
            note_date_cn=chinese(cat.note_date) if cat.note_date else "",
        ),
    }
    labels = {"archive_cover": "案卷封面", "archive_catalog": "卷内目录", "archive_note": "卷内备考表"}
    out = {}
    for key, model in contexts.items():
        target = work.root / "docx" / f"{cat.spec.name}-{labels[key]}.docx"
        render_docx(key, asdict(model), target, work.templates)
        work.forms.append(target)
        staged = work.name(".docx")
        shutil.copyfile(target, staged)
        work.batch.append(staged)
        out[key] = staged
    numbers = page_numbers_docx(max(lay.content_pages, 1), work.name(".docx"))
    work.batch.append(numbers)
    out["numbers"] = numbers
    return out


def _publish(stage: Path, out: Path, names: list[str]) -> None:
    """Move the staged outputs into OUT, replacing the previous ones only now."""
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


def build(
    resolved: Resolved,
    out: Path,
    *,
    draft: bool = False,
    templates: Path | None = None,
    today: date | None = None,
    converter: Converter = convert_batch,
) -> BuildResult:
    """Build both binders, the catalog workbook and the filled forms into ``out``.

    Without ``draft`` a case with errors builds nothing (CaseError). With it,
    missing papers become 待补 pages and every page carries a 草稿 mark.
    """
    report = validate(resolved, today=today)
    if report.errors and not draft:
        raise CaseError(resolved.case.source, report.errors)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".paperwork-", dir=out) as tmp:
        root = Path(tmp)
        (root / "in").mkdir()
        (root / "docx").mkdir()
        (root / "final").mkdir()
        work = _Work(root, templates, draft)
        cats = catalogs(resolved)
        used: set[str] = set()
        for cat in cats:
            for row in cat.rows:
                key = _row_key(row)
                if key not in work.pdfs:
                    work.pdfs[key] = _prepare(resolved, row, work, used)
        mark = draft_mark_docx(work.name(".docx")) if draft else None
        if mark is not None:
            work.batch.append(mark)
            work.pdfs["draft-mark"] = (mark, None)
        _convert_pending(work, converter)  # run 1

        layouts = []
        for cat in cats:
            sources = []
            for row in cat.rows:
                pdf, pages = work.pdfs[_row_key(row)]
                assert pages is not None
                sources.append((pdf, pages))
            layouts.append(layout(cat, sources))
        parts = [_archive_parts(resolved, lay, work, draft) for lay in layouts]
        for i, p in enumerate(parts):
            for key, path in p.items():
                work.pdfs[f"part:{i}:{key}"] = (path, None)
        _convert_pending(work, converter)  # run 2

        case = resolved.case
        written = []
        for i, lay in enumerate(layouts):
            spec = lay.catalog.spec
            target = root / "final" / f"{spec.name}.pdf"
            total = assemble(
                lay,
                cover=work.pdfs[f"part:{i}:archive_cover"][0],
                catalog_pdf=work.pdfs[f"part:{i}:archive_catalog"][0],
                note=work.pdfs[f"part:{i}:archive_note"][0],
                numbers=work.pdfs[f"part:{i}:numbers"][0],
                out=target,
                title=f"{spec.title}：{lay.catalog.title}",
                subject=case.case_id,
                author=case.contractor.name if case.contractor else case.customer.name,
                draft_mark=work.pdfs["draft-mark"][0] if draft else None,
            )
            written.append(
                BinderOutput(spec.name, out / target.name, len(lay.pieces), lay.content_pages, total)
            )
        from paperwork.export import write_catalogs

        write_catalogs(
            [(lay.catalog.spec.name, catalog_lines(lay)) for lay in layouts], root / "final" / "卷内目录.xlsx"
        )
        (root / "docx").rename(root / "final" / "docx")
        names = [*(f"{b.name}.pdf" for b in written), "卷内目录.xlsx", "docx"]
        forms = tuple(out / "docx" / p.name for p in work.forms)
        _publish(root / "final", out, names)
    return BuildResult(case.case_id, out, tuple(written), out / "卷内目录.xlsx", forms, report, draft)


def render_form(
    resolved: Resolved,
    key: str,
    out: Path,
    *,
    templates: Path | None = None,
    converter: Converter = convert_batch,
) -> Path:
    """Fill one generated form of the case into ``out`` (.docx, or .pdf through LibreOffice)."""
    form = resolved.bureau.form_by_key(key)
    assert form is not None and form.generated
    papers = resolved.of(form.title)
    paper = papers[0] if papers else None
    context = form_data(resolved, form.key, paper)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".paperwork-", dir=out.parent) as tmp:
        docx = render_docx(form.key, context, Path(tmp) / f"{form.key}.docx", templates)
        result = docx
        if out.suffix.lower() == ".pdf":
            (result,) = converter([docx], Path(tmp) / "pdf")
        os.replace(result, out)
    return out
