"""Every error paperwork raises on purpose, in one place.

The library raises these; only the CLI and the server turn them into words, exit
codes and HTTP statuses, and they decide from the attributes (``findings``,
``reason``, ``status``), never from the message, which is for a person::

    PaperworkError                 root: catch this to catch everything paperwork raises
    ├── CaseError                  a case file that cannot be read (findings, each with path and line)
    ├── DateFormatError            a text that is no accepted date form (also a ValueError)
    ├── StaleWrite                 the case file changed since it was read (current: its ETag now)
    ├── ConfigError                a bureau, regime, calendar or label file, or a template folder, unusable
    │   └── BrokerUnreachable      the queue's Redis (address) not reachable at start
    ├── TemplateError              a DOCX template missing, or using a variable the form lacks
    ├── ConversionError            LibreOffice missing, hung, or no PDF for some documents (files)
    │   └── FontError              no installed font covers Chinese
    ├── AttachmentError            a paper's file missing, corrupt, encrypted or of no known kind (findings)
    ├── QueueLost                  the queue's Redis lost mid-batch (address; unknown: cases with no result)
    ├── PublishError               new binders could not replace the old ones; OUT holds the previous build
    ├── ChartUnavailable           matplotlib (only the timeline chart needs it) is not installed
    ├── OcrUnavailable             the OCR extra is not installed
    ├── WouldOverwrite             an output file exists and is not the case being added to
    ├── OutsideWorkspace           a name from a request that is not a plain name inside the workspace
    ├── BadUpload                  an upload refused (reason: too_large, empty, wrong_kind, no_free_name)
    ├── AccountError               a user that cannot be added, found or changed (reason)
    ├── HistoryUnavailable         the workspace's database cannot be read or written (damaged, locked)
    └── Refused                    a request the server answers with ``status`` and findings
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from paperwork.finding import Finding

__all__ = [
    "AccountError",
    "AttachmentError",
    "BadUpload",
    "BrokerUnreachable",
    "CaseError",
    "ChartUnavailable",
    "ConfigError",
    "ConversionError",
    "DateFormatError",
    "FontError",
    "HistoryUnavailable",
    "OcrUnavailable",
    "OutsideWorkspace",
    "PaperworkError",
    "PublishError",
    "QueueLost",
    "Refused",
    "StaleWrite",
    "TemplateError",
    "WouldOverwrite",
]


class PaperworkError(Exception):
    """Root of every error paperwork raises on purpose."""


class CaseError(PaperworkError):
    """A case file that cannot be read into a case: syntax, types, required keys.

    ``findings`` holds one finding per problem, each with its path and line.
    """

    def __init__(self, source: str, findings: tuple[Finding, ...]) -> None:
        self.source = source
        self.findings = findings
        errors = [f for f in findings if f.severity == "error"]
        first = errors[0].message if errors else ""
        super().__init__(f"{source}：{len(errors)} 处错误；{first}")


class DateFormatError(PaperworkError, ValueError):
    """A text that is not one of the accepted date forms, or an impossible day."""


class StaleWrite(PaperworkError):
    """The file changed since the writer read it: their write would lose the other change.

    ``current`` is the file's ETag now, for the client to read again.
    """

    def __init__(self, path: Path, current: str) -> None:
        super().__init__(f"{path} 在您读取之后已被别人修改；请重新载入，再把您的修改填上（您的修改没有保存）")
        self.path = path
        self.current = current


class ConfigError(PaperworkError):
    """A bureau data file, regime file, calendar, intake labels or template folder that is unusable."""


class BrokerUnreachable(ConfigError):
    """The queue's Redis (``address``) could not be reached when a command started: a usage error (2)."""

    def __init__(self, message: str, address: str) -> None:
        super().__init__(message)
        self.address = address


class QueueLost(PaperworkError):
    """The queue's Redis went away while a batch was waiting: ``unknown`` names the cases (or scans)
    whose result is not known."""

    def __init__(self, message: str, address: str, unknown: tuple[str, ...]) -> None:
        super().__init__(message)
        self.address = address
        self.unknown = unknown


class TemplateError(PaperworkError):
    """A DOCX template is missing, or uses a variable the form does not define."""


class ConversionError(PaperworkError):
    """LibreOffice is missing, hung, or produced no usable PDF for a document.

    ``files`` are the documents that did not come out (empty when LibreOffice itself is at fault);
    ``timed_out``: LibreOffice hung and was ended at the time limit (not retried: the wait the
    clerk was told is the whole wait).
    """

    def __init__(self, message: str, files: tuple[Path, ...] = (), *, timed_out: bool = False) -> None:
        super().__init__(message)
        self.files = files
        self.timed_out = timed_out


class FontError(ConversionError):
    """No installed font covers Chinese."""


class AttachmentError(PaperworkError):
    """A paper's scan or document is missing, corrupt, encrypted or of an unknown kind.

    ``findings`` (code FILE_UNREADABLE, with the paper's path and line) say which papers,
    where the build knows them.
    """

    def __init__(self, message: str, findings: tuple[Finding, ...] = ()) -> None:
        super().__init__(message)
        self.findings = findings


class PublishError(PaperworkError):
    """The new binders could not replace the old ones; OUT still holds the previous build."""


class ChartUnavailable(PaperworkError):
    """matplotlib, which only the timeline chart needs, is not installed."""


class OcrUnavailable(PaperworkError):
    """The OCR extra is not installed."""


class WouldOverwrite(PaperworkError):
    """The output file exists and is not the case being added to."""


class OutsideWorkspace(PaperworkError):
    """A case id or file name that is not a plain name inside the workspace."""


UploadProblem = Literal["too_large", "empty", "wrong_kind", "no_free_name"]


class BadUpload(PaperworkError):
    """An upload refused: ``reason`` says why (too large, empty, not a kind we take, no free name).

    ``limit`` is the size limit in bytes when the upload was too large.
    """

    def __init__(self, message: str, reason: UploadProblem, limit: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.limit = limit


AccountProblem = Literal["exists", "unknown", "bad_name", "weak_password", "last_admin"]


class AccountError(PaperworkError):
    """A user that cannot be added, found or changed: ``reason`` says why."""

    def __init__(self, message: str, reason: AccountProblem) -> None:
        super().__init__(message)
        self.reason = reason


class HistoryUnavailable(PaperworkError):
    """The workspace's database (users, the record of changes) cannot be read or written: damaged,
    locked by another program, or its folder not writable. Writes are refused rather than made
    without a record."""


class Refused(PaperworkError):
    """A request answered with ``status`` and ``{"ok": false, "findings": [...]}``."""

    def __init__(
        self, status: int, findings: tuple[Finding, ...], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__("；".join(f.message for f in findings))
        self.status = status
        self.findings = findings
        self.headers = dict(headers or {})

    def payload(self) -> dict[str, object]:
        return {"ok": False, "findings": [f.to_dict() for f in self.findings]}
