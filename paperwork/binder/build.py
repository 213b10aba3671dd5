"""Building cases: the one path that the library, the CLI and the batch all take.

:func:`build_cases` reads, checks and builds a list of cases in this process: an
unchanged case (same fingerprint as OUT's manifest) is reported at once; the
others are prepared, their documents converted together (one LibreOffice run for
all, a second for archive parts whose page guess was wrong), then assembled and
published, each into its own OUT, which changes only when that case succeeded.
:func:`build` is the library's one-case call; :mod:`paperwork.binder.batch` deals
cases to worker processes that each call :func:`build_cases`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Literal

from pypdf import PdfReader

from paperwork.binder.cache import Cache, fill_cached
from paperwork.binder.casebuild import (
    CATALOG_BOOK,
    FORMS_FOLDER,
    BinderOutput,
    BuildResult,
    CaseBuild,
    Settings,
)
from paperwork.binder.libreoffice import Converter, convert_batch, default_timeout
from paperwork.binder.manifest import Manifest, fingerprint
from paperwork.binder.pdfs import pdfs_for
from paperwork.case.model import Case, load_case
from paperwork.errors import CaseError, ConversionError, PaperworkError, TemplateError
from paperwork.finding import Finding
from paperwork.render.contexts import form_data
from paperwork.rules.bureau import load_bureau
from paperwork.rules.resolution import Resolved, resolve
from paperwork.rules.validation import Report, validate

__all__ = [
    "BinderOutput",
    "BuildResult",
    "CaseJob",
    "CaseOutcome",
    "Options",
    "build",
    "build_cases",
    "render_form",
]

CaseStatus = Literal["built", "unchanged", "failed"]
#: Progress events: ("prepared" | "done" | "failed", case id), or ("converting", what LibreOffice does).
Event = Callable[[str, str], None]


@dataclass(frozen=True)
class Options:
    """How to build: draft, own templates, cache folder (None: no cache), the day to check against."""

    draft: bool = False
    templates: Path | None = None
    cache: Path | None = None
    today: date | None = None
    bureau: Path | None = None
    duplex: bool = False
    timeout: float | None = None  # seconds per LibreOffice run; None: default_timeout()

    @property
    def settings(self) -> Settings:
        return Settings(self.draft, self.templates, self.duplex)


@dataclass(frozen=True)
class CaseJob:
    """A case to build into ``out``: its file, and the case or resolved case where already read."""

    path: Path
    out: Path
    case: Case | None = None
    resolved: Resolved | None = None


@dataclass(frozen=True)
class CaseOutcome:
    """What became of one case: built, unchanged, or failed (with why)."""

    path: Path
    case_id: str
    status: CaseStatus
    out: Path | None = None
    pages: int = 0
    seconds: float = 0.0
    message: str = ""
    findings: tuple[Finding, ...] = field(default=())
    result: BuildResult | None = field(default=None, compare=False)
    error: PaperworkError | OSError | None = field(default=None, compare=False)

    @property
    def ok(self) -> bool:
        return self.status != "failed"

    def portable(self) -> CaseOutcome:
        """The outcome without the exception object, to send to another process."""
        return replace(self, error=None)


def _failed(job: CaseJob, case_id: str, exc: PaperworkError | OSError, started: float) -> CaseOutcome:
    findings: tuple[Finding, ...] = getattr(exc, "findings", ())
    errors = sum(1 for f in findings if f.severity == "error")
    if isinstance(exc, CaseError):
        message = f"{errors} 个错误"
    elif isinstance(exc, OSError):  # a full disk, a read-only folder, a file another program holds
        what = f"{exc.filename or ''} {exc.strerror or exc}".strip()
        message = f"{what}；请检查磁盘空间、文件夹权限，或关闭占用文件的程序"
    else:
        message = str(exc)
    seconds = time.monotonic() - started
    return CaseOutcome(job.path, case_id, "failed", None, 0, seconds, message, findings, error=exc)


def _resolved(job: CaseJob, options: Options) -> Resolved:
    if job.resolved is not None:
        return job.resolved
    case = job.case or load_case(job.path)
    overrides = [case.folder / case.bureau] if case.bureau else []
    overrides += [options.bureau] if options.bureau else []
    return resolve(case, load_bureau(*overrides))


def _unchanged(resolved: Resolved, out: Path, report: Report, draft: bool) -> BuildResult:
    binders = []
    for spec in resolved.bureau.binders:
        path = out / f"{spec.name}.pdf"
        binders.append(BinderOutput(spec.name, path, 0, 0, len(PdfReader(str(path)).pages)))
    forms = tuple(sorted((out / FORMS_FOLDER).glob("*.docx")))
    case_id = resolved.case.case_id
    return BuildResult(case_id, out, tuple(binders), out / CATALOG_BOOK, forms, report, draft, unchanged=True)


def remove_if_empty(folder: Path) -> None:
    """A folder this build made and filled with nothing (the case failed) is not left behind."""
    with contextlib.suppress(OSError):
        folder.rmdir()


def _convert(
    jobs: list[CaseBuild],
    cache: Cache,
    converter: Converter,
    workdir: Path,
    fail: Callable[[CaseBuild, PaperworkError | OSError], None],
    tell: Event,
) -> list[CaseBuild]:
    """Take prepared cases through LibreOffice; returns those still standing.

    Run 1 converts every case's forms and guessed archive parts together. A case whose
    page guess was wrong makes its parts again for run 2. When a shared run fails, the
    cases are converted one by one, so that only the case whose document failed fails.
    """

    def run(group: list[CaseBuild], name: str) -> None:
        docs = list(dict.fromkeys(d for b in group for d in b.pending()))
        if docs:
            tell("converting", f"LibreOffice 正在转换 {len(docs)} 份文件")
            converted = dict(zip(docs, pdfs_for(docs, workdir / name, cache, converter), strict=True))
            for b in group:
                b.take(converted)

    def failed(job: CaseBuild, exc: PaperworkError) -> None:
        fail(job, job.explain(exc) if isinstance(exc, ConversionError) else exc)

    alive = list(jobs)
    for phase in ("run1", "run2"):
        try:
            run(alive, phase)
        except PaperworkError as exc:
            if len(alive) == 1:  # nothing to tell apart: convert_batch has retried already
                failed(alive[0], exc)
                alive = []
            survivors = []
            for n, job in enumerate(alive):
                try:
                    run([job], f"{phase}-case{n}")
                    survivors.append(job)
                except PaperworkError as one:
                    failed(job, one)
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


def build_cases(
    jobs: list[CaseJob],
    options: Options,
    converter: Converter = convert_batch,
    on_event: Event | None = None,
) -> list[CaseOutcome]:
    """Build every job in this process, sharing LibreOffice runs; one outcome per job, in order."""

    def tell(kind: str, case_id: str) -> None:
        if on_event is not None:
            on_event(kind, case_id)

    cache = Cache(options.cache)
    started: dict[int, float] = {}
    outcomes: dict[int, CaseOutcome] = {}
    building: dict[int, tuple[CaseBuild, str]] = {}
    with contextlib.ExitStack() as stack:
        for n, job in enumerate(jobs):
            started[n] = time.monotonic()
            case_id = job.path.parent.name
            try:
                resolved = _resolved(job, options)
                case_id = resolved.case.case_id
                stamp = fingerprint(
                    resolved, draft=options.draft, templates=options.templates, duplex=options.duplex
                )
                previous = Manifest.read(job.out) if cache.enabled else None
                if previous is not None and previous.stamp == stamp and previous.intact(job.out):
                    report = validate(resolved, today=options.today)
                    if not report.errors or options.draft:
                        result = _unchanged(resolved, job.out, report, options.draft)
                        seconds = time.monotonic() - started[n]
                        outcomes[n] = CaseOutcome(
                            job.path, case_id, "unchanged", job.out, 0, seconds, "", report.findings, result
                        )
                        tell("done", case_id)
                        continue
                new = [d for d in (job.out, *job.out.parents) if not d.exists()]
                job.out.mkdir(parents=True, exist_ok=True)
                for folder in reversed(new):  # made by this build: removed again if left empty
                    stack.callback(remove_if_empty, folder)
                tmp = Path(
                    stack.enter_context(tempfile.TemporaryDirectory(prefix=".paperwork-", dir=job.out))
                )
                one = CaseBuild(resolved, job.out, tmp / "case", cache, options.settings)
                one.prepare(options.today)
                one.archive_parts(guess=True)
                building[n] = (one, stamp)
                tell("prepared", case_id)
            except (PaperworkError, OSError) as exc:
                outcomes[n] = _failed(job, case_id, exc, started[n])
                tell("failed", case_id)
        index_of = {id(one): n for n, (one, _) in building.items()}

        def fail(one: CaseBuild, exc: PaperworkError | OSError) -> None:
            n = index_of[id(one)]
            outcomes[n] = _failed(jobs[n], one.resolved.case.case_id, exc, started[n])
            tell("failed", one.resolved.case.case_id)
            del building[n]

        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="paperwork-batch-")))
        if converter is convert_batch and options.timeout:
            converter = functools.partial(convert_batch, timeout=options.timeout)
        _convert([one for one, _ in building.values()], cache, converter, work, fail, tell)
        for n, (one, stamp) in building.items():
            case_id = one.resolved.case.case_id
            try:
                result = one.finish(stamp)
                pages = sum(b.total_pages for b in result.binders)
                seconds = time.monotonic() - started[n]
                findings = result.report.findings
                outcomes[n] = CaseOutcome(
                    jobs[n].path, case_id, "built", one.out, pages, seconds, "", findings, result
                )
                tell("done", case_id)
            except (PaperworkError, OSError) as exc:
                outcomes[n] = _failed(jobs[n], case_id, exc, started[n])
                tell("failed", case_id)
    return [outcomes[n] for n in range(len(jobs))]


def build(
    resolved: Resolved,
    out: Path,
    *,
    draft: bool = False,
    templates: Path | None = None,
    today: date | None = None,
    converter: Converter = convert_batch,
    cache: Cache | None = None,
    duplex: bool = False,
    timeout: float | None = None,
) -> BuildResult:
    """Build both binders, the catalog workbook and the filled forms into ``out``.

    Without ``draft`` a case with errors builds nothing (CaseError). With it,
    missing papers become 待补 pages and every page carries a 草稿 mark. With a
    cache, a case whose inputs are unchanged since the last build into ``out``
    is not built again (``unchanged``), and forms already converted are reused.
    """
    folder = cache.folder if cache is not None else None
    timeout = timeout or default_timeout(single=True)
    options = Options(
        draft=draft, templates=templates, cache=folder, today=today, duplex=duplex, timeout=timeout
    )
    job = CaseJob(Path(resolved.case.source), out, resolved=resolved)
    (outcome,) = build_cases([job], options, converter)
    if outcome.error is not None:
        raise outcome.error
    if outcome.result is None:
        raise PaperworkError(f"内部错误：案卷 {outcome.case_id} 没有装订结果")
    return outcome.result


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
    if form is None or not form.generated:
        generated = "、".join(f.key for f in resolved.bureau.forms if f.generated)
        raise TemplateError(f"“{key}”不是由模板生成的表单；可用的有：{generated}")
    papers = resolved.of(form.title)
    paper = papers[0] if papers else None
    context = form_data(resolved, form.key, paper)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".paperwork-", dir=out.parent) as tmp:
        docx = fill_cached(form.key, context, Path(tmp) / f"{form.key}.docx", templates, Cache(None))
        result = docx
        if out.suffix.lower() == ".pdf":
            (result,) = converter([docx], Path(tmp) / "pdf")
        os.replace(result, out)
    return out
