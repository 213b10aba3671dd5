"""The one error root of paperwork, and its few well-known children.

The library raises these; only the CLI turns them into words on a terminal and
exit codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from paperwork.finding import Finding

__all__ = [
    "AttachmentError",
    "CaseError",
    "ConfigError",
    "ConversionError",
    "PaperworkError",
    "TemplateError",
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


class ConfigError(PaperworkError):
    """A bureau data file, regime file or template folder that is unusable."""


class ConversionError(PaperworkError):
    """LibreOffice is missing, hung, or produced no usable PDF for a document.

    ``files`` are the documents that did not come out (empty when LibreOffice itself is at fault).
    """

    def __init__(self, message: str, files: tuple[Path, ...] = ()) -> None:
        super().__init__(message)
        self.files = files


class AttachmentError(PaperworkError):
    """A paper's scan or document is missing, corrupt, encrypted or of an unknown kind.

    ``findings`` (code FILE_UNREADABLE, with the paper's path and line) say which papers,
    where the build knows them.
    """

    def __init__(self, message: str, findings: tuple[Finding, ...] = ()) -> None:
        super().__init__(message)
        self.findings = findings


class TemplateError(PaperworkError):
    """A DOCX template is missing, or uses a variable the form does not define."""
