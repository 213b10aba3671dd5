"""Building cases: the one path that the library, the CLI, the batch and the server all take.

:func:`build_cases` reads, checks and builds a list of cases in this process: an unchanged
case (same fingerprint as OUT's manifest) is reported at once; each of the others goes
through the phases of :mod:`paperwork.binder.phases` — prepared, converted (the documents of
all cases in shared LibreOffice runs, :mod:`paperwork.binder.conversion`), assembled,
published — each into its own OUT, which changes only when that case succeeded.
:func:`build` is the library's one-case call; :mod:`paperwork.binder.batch` deals cases to
worker processes that each call :func:`build_cases`.
"""

from __future__ import annotations

import contextlib
import functools
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from paperwork.binder.cache import Cache
from paperwork.binder.conversion import Failed, convert_prepared
from paperwork.binder.libreoffice import Converter, convert_batch
from paperwork.binder.manifest import Manifest, fingerprint
from paperwork.binder.options import BuildOptions
from paperwork.binder.page_ranges import count_pages
from paperwork.binder.phases import (
    CATALOG_BOOK,
    FORMS_FOLDER,
    BinderOutput,
    BuildResult,
    Prepared,
    assemble,
    prepare,
    publish,
)
from paperwork.case.model import Case, load_case
from paperwork.errors import CaseError, PaperworkError
from paperwork.finding import Finding, refusal
from paperwork.rules.resolution import Resolved, bureau_of, resolve_case
from paperwork.rules.validation import Report, validate

__all__ = [
    "BinderOutput",
    "BuildOptions",
    "BuildResult",
    "CaseJob",
    "CaseOutcome",
    "Event",
    "build",
    "build_cases",
    "signed",
]

#: "unknown": sent to a queue whose Redis went away before the case's answer came back.
CaseStatus = Literal["built", "unchanged", "failed", "unknown"]
#: Progress events: ``on_event(kind, subject)``. ``kind`` is "prepared", "done" or "failed" with the
#: case id as ``subject``, or "converting" with what LibreOffice is doing, in Chinese, as ``subject``.
Event = Callable[[str, str], None]


@dataclass(frozen=True)
class CaseJob:
    """A case to build into ``out``: its file, and the case or resolved case where already read."""

    path: Path
    out: Path
    case: Case | None = None
    resolved: Resolved | None = None


def signed(path: Path, signer: str | None) -> Case | None:
    """The case of ``path`` with ``signer`` as its 立卷人/检查人 where it leaves them empty and its bureau
    data asks for it; None (the build reads the file and says what is wrong) when there is nothing to fill."""
    if not signer:
        return None
    try:
        case = load_case(path)
        asked = bureau_of(case).signed_by_record
    except (PaperworkError, OSError):
        return None
    archive = case.archive
    filer = signer if "filer" in asked and not archive.filer else archive.filer
    checker = signer if "checker" in asked and not archive.checker else archive.checker
    if (filer, checker) == (archive.filer, archive.checker):
        return None
    return replace(case, archive=replace(archive, filer=filer, checker=checker))


@dataclass(frozen=True)
class CaseOutcome:
    """What became of one case: built, unchanged, failed (with why), or unknown (a queue lost).

    ``worker``: who built it — ``local`` in this machine's batch, else a queue worker's name and
    process (``w1@host/4242``).
    """

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
    worker: str = "local"
    files: tuple[str, ...] = ()  # what OUT holds of this build: the binders' and the catalog's names

    @property
    def ok(self) -> bool:
        return self.status in ("built", "unchanged")

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape (``build-binder --format json`` and a queue worker's answer)."""
        return {
            "case_id": self.case_id,
            "status": self.status,
            "pages": self.pages,
            "seconds": round(self.seconds, 2),
            "out": str(self.out) if self.out is not None else None,
            "worker": self.worker,
            "path": str(self.path),
            "message": self.message,
            "findings": [f.to_dict() for f in self.findings],
            "files": list(self.files),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseOutcome:
        """An outcome back from :meth:`to_dict`."""
        status = data.get("status")
        out = data.get("out")
        return cls(
            path=Path(str(data.get("path") or "")),
            case_id=str(data.get("case_id") or ""),
            status=status if status in ("built", "unchanged", "failed", "unknown") else "failed",
            out=Path(out) if out else None,
            pages=int(data.get("pages") or 0),
            seconds=float(data.get("seconds") or 0.0),
            message=str(data.get("message") or ""),
            findings=tuple(Finding.from_dict(f) for f in data.get("findings") or ()),
            worker=str(data.get("worker") or ""),
            files=tuple(str(f) for f in data.get("files") or ()),
        )

    def portable(self) -> CaseOutcome:
        """The outcome without the exception object, to send to another process."""
        return replace(self, error=None)


def _failed(job: CaseJob, case_id: str, exc: PaperworkError | OSError, started: float) -> CaseOutcome:
    findings: tuple[Finding, ...] = getattr(exc, "findings", ())
    if isinstance(exc, CaseError):
        message = refusal(findings)
    elif isinstance(exc, OSError):  # a full disk, a read-only folder, a file another program holds
        what = f"{exc.filename or ''} {exc.strerror or exc}".strip()
        message = f"{what}；请检查磁盘空间、文件夹权限，或关闭占用文件的程序"
    else:
        message = str(exc)
    seconds = time.monotonic() - started
    return CaseOutcome(job.path, case_id, "failed", None, 0, seconds, message, findings, error=exc)


def _resolved(job: CaseJob, options: BuildOptions) -> Resolved:
    if job.resolved is not None:
        return job.resolved
    return resolve_case(job.case or load_case(job.path), options.bureau)


def _unchanged(resolved: Resolved, out: Path, report: Report, draft: bool) -> BuildResult:
    binders = []
    for spec in resolved.bureau.binders:
        path = out / f"{spec.name}.pdf"
        binders.append(BinderOutput(spec.name, path, 0, 0, count_pages(path)))
    forms = tuple(sorted((out / FORMS_FOLDER).glob("*.docx")))
    case_id = resolved.case.case_id
    return BuildResult(case_id, out, tuple(binders), out / CATALOG_BOOK, forms, report, draft, unchanged=True)


def remove_if_empty(folder: Path) -> None:
    """A folder this build made and filled with nothing (the case failed) is not left behind."""
    with contextlib.suppress(OSError):
        folder.rmdir()


def build_cases(
    jobs: list[CaseJob],
    options: BuildOptions,
    converter: Converter | None = None,
    on_event: Event | None = None,
) -> list[CaseOutcome]:
    """Build every job in this process, sharing LibreOffice runs; one outcome per job, in order.

    ``converter`` None: a cold LibreOffice run per batch, with the options' LibreOffice settings.
    """

    def tell(kind: str, subject: str) -> None:
        if on_event is not None:
            on_event(kind, subject)

    def failed(n: int, case_id: str, exc: PaperworkError | OSError) -> None:
        outcomes[n] = _failed(jobs[n], case_id, exc, started[n])
        tell("failed", case_id)

    cache = Cache(options.cache)
    started: dict[int, float] = {}
    outcomes: dict[int, CaseOutcome] = {}
    prepared: dict[int, tuple[Prepared, str]] = {}
    with contextlib.ExitStack() as stack:
        for n, job in enumerate(jobs):
            started[n] = time.monotonic()
            case_id = job.path.parent.name
            try:
                resolved = _resolved(job, options)
                case_id = resolved.case.case_id
                stamp = fingerprint(
                    resolved,
                    draft=options.draft,
                    templates=options.templates,
                    duplex=options.duplex,
                    pdfa=options.pdfa,
                )
                unchanged = _unchanged_outcome(job, resolved, stamp, options, cache, started[n])
                if unchanged is not None:
                    outcomes[n] = unchanged
                    tell("done", case_id)
                    continue
                root = _staging(stack, job.out)
                prepared[n] = (prepare(resolved, job.out, root / "case", cache, options), stamp)
                tell("prepared", case_id)
            except (PaperworkError, OSError) as exc:
                failed(n, case_id, exc)
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="paperwork-batch-")))
        convert = converter or functools.partial(convert_batch, settings=options.office)
        order = list(prepared)
        results = convert_prepared(
            [prepared[n][0] for n in order], cache, convert, work, lambda what: tell("converting", what)
        )
        for n, result in zip(order, results, strict=True):
            case_id = prepared[n][0].case_id
            if isinstance(result, Failed):
                failed(n, case_id, result.error)
                continue
            try:
                built = publish(assemble(result), prepared[n][1])
            except (PaperworkError, OSError) as exc:
                failed(n, case_id, exc)
                continue
            pages = built.pages
            seconds = time.monotonic() - started[n]
            findings = built.report.findings
            outcomes[n] = CaseOutcome(
                jobs[n].path,
                case_id,
                "built",
                built.out,
                pages,
                seconds,
                "",
                findings,
                built,
                files=_files(built),
            )
            tell("done", case_id)
    return [outcomes[n] for n in range(len(jobs))]


def _unchanged_outcome(
    job: CaseJob, resolved: Resolved, stamp: str, options: BuildOptions, cache: Cache, started: float
) -> CaseOutcome | None:
    """The outcome of a case whose inputs are those of OUT's last build (None: build it)."""
    previous = Manifest.read(job.out) if cache.enabled else None
    if previous is None or previous.stamp != stamp or not previous.intact(job.out):
        return None
    report = validate(resolved, today=options.today)
    if report.blocking(resolved) and not options.draft:
        return None
    result = _unchanged(resolved, job.out, report, options.draft)
    seconds = time.monotonic() - started
    return CaseOutcome(
        job.path,
        resolved.case.case_id,
        "unchanged",
        job.out,
        pages=result.pages,  # what OUT holds, as for a case built now
        seconds=seconds,
        findings=report.findings,
        result=result,
        files=_files(result),
    )


def _files(result: BuildResult) -> tuple[str, ...]:
    return (*(b.path.name for b in result.binders), result.catalog_xlsx.name)


def _staging(stack: contextlib.ExitStack, out: Path) -> Path:
    """A staging folder inside OUT (made, with any missing parents, and removed again if left empty)."""
    new = [d for d in (out, *out.parents) if not d.exists()]
    out.mkdir(parents=True, exist_ok=True)
    for folder in reversed(new):  # made by this build: removed again if left empty
        stack.callback(remove_if_empty, folder)
    return Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=".paperwork-", dir=out)))


def build(
    resolved: Resolved,
    out: Path,
    options: BuildOptions | None = None,
    *,
    converter: Converter | None = None,
    cache: Cache | None = None,
    **changes: Any,
) -> BuildResult:
    """Build both binders, the catalog workbook and the filled forms into ``out``.

    ``options`` (or its fields as keywords: ``draft=True``, ``duplex=True``, ``today=…``,
    ``templates=…``, ``office=…``) say how. Without ``draft`` a case with errors builds
    nothing (CaseError). With it, missing papers become 待补 pages and every page carries a
    草稿 mark. With a ``cache``, a case whose inputs are unchanged since the last build into
    ``out`` is not built again (``unchanged``), and forms already converted are reused.
    """
    options = replace(options or BuildOptions(), **changes)
    if cache is not None:
        options = replace(options, cache=cache.folder)
    office = replace(options.office, timeout=options.office.timeout_for(single=True))
    job = CaseJob(Path(resolved.case.source), out, resolved=resolved)
    (outcome,) = build_cases([job], replace(options, office=office), converter)
    if outcome.error is not None:
        raise outcome.error
    if outcome.result is None:
        raise PaperworkError(f"内部错误：案卷 {outcome.case_id} 没有装订结果")
    return outcome.result
