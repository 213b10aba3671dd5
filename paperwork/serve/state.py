"""What the server holds while it runs, and the one way a request is refused."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from paperwork.binder.libreoffice import Converter
from paperwork.errors import PaperworkError
from paperwork.finding import Finding
from paperwork.serve.builds import Builder
from paperwork.serve.overview import Clock
from paperwork.serve.proposals import Proposer
from paperwork.serve.security import Access
from paperwork.serve.workspace import MAX_UPLOAD, Workspace

__all__ = ["Refused", "Server", "refused"]


@dataclass(frozen=True)
class Server:
    """The workspace served, the checking clock, the builder (with its LibreOffice) and the access rules."""

    workspace: Workspace
    clock: Clock
    builder: Builder
    access: Access
    proposer: Proposer
    max_upload: int = MAX_UPLOAD

    @property
    def converter(self) -> Converter:
        """The builds' LibreOffice (a :class:`~paperwork.binder.office.WarmOffice` when serving)."""
        return self.builder.converter


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


def refused(
    status: int,
    code: str = "REQUEST_INVALID",
    message: str = "",
    path: str | None = None,
    *,
    findings: Iterable[Finding] = (),
    headers: Mapping[str, str] | None = None,
) -> Refused:
    """The exception for a refused request: one finding (code, message, path) or the given ones."""
    found = tuple(findings) or (Finding(code, "error", message, path=path),)
    return Refused(status, found, headers)
