"""What the server holds while it runs."""

from __future__ import annotations

from dataclasses import dataclass

from paperwork.binder.libreoffice import Converter
from paperwork.serve.accounts import Accounts
from paperwork.serve.builder import Builder
from paperwork.serve.history import History
from paperwork.serve.index import CaseIndex
from paperwork.serve.overview import ServerSettings
from paperwork.serve.recognition import Proposer
from paperwork.serve.security import Access
from paperwork.serve.workspace import MAX_UPLOAD, Workspace

__all__ = ["Server"]


@dataclass(frozen=True)
class Server:
    """The workspace served, what it checks against, the builder (with its LibreOffice), the access rules,
    the record of changes, the index of its cases."""

    workspace: Workspace
    settings: ServerSettings
    builder: Builder
    access: Access
    proposer: Proposer
    history: History
    index: CaseIndex
    max_upload: int = MAX_UPLOAD

    @property
    def accounts(self) -> Accounts:
        """The workspace's users (the access rules hold them)."""
        assert self.access.accounts is not None
        return self.access.accounts

    @property
    def converter(self) -> Converter:
        """The builds' LibreOffice (a :class:`~paperwork.binder.warm_office.WarmOffice` when serving)."""
        return self.builder.converter
