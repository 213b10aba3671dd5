"""Where one case's build works, and what each row of its binders is made from.

The staging folder (``in/`` for working files, ``docx/`` for the filled forms the clerk
keeps, ``final/`` for what is published), the cache the forms are filled through, and the
source of each row's pages: the paper's own file, a form filled from the case, or a 待补 page.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from paperwork.binder.cache import Cache, fill_cached
from paperwork.binder.options import BuildOptions
from paperwork.binder.results import FORMS_FOLDER
from paperwork.binder.sources import Pending, Source, attachment_source
from paperwork.errors import PaperworkError
from paperwork.files import free_name, safe_name
from paperwork.render.contexts import form_data
from paperwork.render.stamps import placeholder_docx
from paperwork.rules.catalog import Catalog, Row
from paperwork.rules.resolution import Resolved

__all__ = ["Role", "Staging", "form_file", "paper_source", "unfiled_forms"]


@dataclass(frozen=True)
class Staging:
    """Where one case's working files go, and the cache its forms are filled through."""

    root: Path
    cache: Cache
    options: BuildOptions
    counter: Callable[[], int] = field(default_factory=lambda: itertools.count(1).__next__, compare=False)

    def name(self, suffix: str) -> Path:
        """A fresh working file name in ``in/`` with ``suffix``."""
        return self.root / "in" / f"{self.counter():04d}{suffix}"

    def fill(self, key: str, context: dict[str, object], keep_as: Path) -> Pending:
        fill_cached(key, context, keep_as, self.options.templates, self.cache)
        return Pending(keep_as)


def form_file(stage: Staging, title: str) -> Path:
    """Where a filled form is kept: docx/<title>.docx, -2, -3 … for a second of one title (the form
    is written there at once, so the next one of that title finds the name taken)."""
    found = free_name(stage.root / FORMS_FOLDER, safe_name(title, "form"), ".docx")
    if found is None:
        raise PaperworkError(f"案卷中题名为“{title}”的表单太多，无法一一保存")
    return found


#: What a row's pages are: the paper's own file, a form filled from the case, or a stand-in page.
Role = Literal["file", "form", "stand-in"]


def paper_source(resolved: Resolved, row: Row, stage: Staging) -> tuple[Source, Role]:
    """A row's pages (its file, its filled form, or a 待补 page) and which of those they are."""
    paper = row.paper
    if paper is None:
        detail = f"{row.form.step}：{row.form.describe_requirement()}"
        return Pending(placeholder_docx(f"待补：{row.label}", detail, stage.name(".docx"))), "stand-in"
    doc = paper.document
    if doc.file:
        path = resolved.case.path_of(doc.file)
        if not path.exists() and stage.options.draft:
            page = placeholder_docx(f"待补：{row.label}", f"文件 {doc.file} 不存在", stage.name(".docx"))
            return Pending(page), "stand-in"
        archival = stage.options.pdfa_for(resolved.bureau) is not None
        return attachment_source(path, doc.title, stage.name, archival=archival), "file"
    form = paper.form
    if form is not None and form.generated:
        keep = form_file(stage, form.title)
        return stage.fill(form.key, form_data(resolved, form.key, paper), keep), "form"
    return Pending(placeholder_docx(row.label, "纸质件，未附扫描件", stage.name(".docx"))), "stand-in"


def unfiled_forms(resolved: Resolved, found: tuple[Catalog, ...], stage: Staging) -> list[Path]:
    """Forms the contractor prints that no binder files (委托带电施工申请 by default): filled into
    docx/ all the same, for the clerk to print and take along."""
    filed = {row.form.key for cat in found for row in cat.rows}
    kept = []
    for form in resolved.bureau.forms:
        if not form.generated or form.key in filed or not resolved.applies(form):
            continue
        papers = resolved.of(form.key)
        paper = papers[0] if papers else None
        if paper is not None and paper.document.file:
            continue  # the clerk has her own file of it
        keep = form_file(stage, form.title)
        stage.fill(form.key, form_data(resolved, form.key, paper), keep)
        kept.append(keep)
    return kept
