"""What every route asks for first: the server's state, a case of the workspace, a refusal.

One implementation for the API and the pages alike, so that an unknown case is the same
404 ``CASE_NOT_FOUND`` everywhere.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

from fastapi import Request

from paperwork.case.casefile import create_case
from paperwork.case.newcase import new_case_values
from paperwork.errors import Refused
from paperwork.finding import Finding
from paperwork.serve.accounts import User
from paperwork.serve.builder import BuildAnswer
from paperwork.serve.history import Change, History, Recording
from paperwork.serve.state import Server
from paperwork.serve.workspace import CaseFolder

__all__ = [
    "case_folder",
    "create_new",
    "record_build",
    "recorded",
    "refused",
    "server_of",
    "user_of",
    "wants_html",
]


def server_of(request: Request) -> Server:
    """The state of the server answering ``request``."""
    server: Server = request.app.state.server
    return server


def user_of(request: Request) -> User | None:
    """The logged-in user of the request (None: the workspace has no users)."""
    user: User | None = getattr(request.state, "user", None)
    return user


def wants_html(request: Request) -> bool:
    """Whether the request is a browser's page or form (the pages' scripts ask the /api for JSON)."""
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", "text/html"
    )


def case_folder(request: Request, case_id: str) -> CaseFolder:
    """The case ``case_id`` of the workspace; 404 CASE_NOT_FOUND when there is none. A change made to
    its file outside the server since the server last saw it is recorded now."""
    server = server_of(request)
    case = server.workspace.case(case_id)
    if case is None:
        raise refused(404, "CASE_NOT_FOUND", f"工作区里没有案卷 {case_id}", path="case_id")
    server.history.notice(case.case_file)
    return case


@contextlib.contextmanager
def recorded(request: Request, case_file: Path, action: str) -> Iterator[Recording]:
    """Guard a write of the request to ``case_file`` (or beside it) and record it under the request's user
    (HistoryUnavailable, nothing written, when the record cannot be kept)."""
    with server_of(request).history.writing(case_file, user_of(request), action) as recording:
        yield recording


def record_build(
    history: History, case_file: Path, user: User | None, draft: bool, answer: BuildAnswer
) -> None:
    """Write a finished build into the case's record, under the user who asked for it."""
    with history.writing(case_file, user, "build") as recording:
        made = {"draft": draft, "pages": answer.pages, "files": list(answer.files)}
        recording.extra.append(Change("build", None, made))


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


def create_new(request: Request, values: Mapping[str, object]) -> tuple[str, CaseFolder, str]:
    """Make a new case's folder and file from the page's or the API's values: its id, folder and ETag.

    CaseError (422) when a value is missing or wrong, 409 CASE_EXISTS when the id is taken.
    """
    server = server_of(request)
    data = new_case_values(values)
    case_id = str(data["case_id"])
    if server.workspace.case(case_id) is not None:
        raise refused(
            409, "CASE_EXISTS", f"案卷 {case_id} 已经存在；请换一个编号，或打开已有的案卷", "case_id"
        )
    folder = server.workspace.new_case_folder(case_id)
    customer = data["customer"]
    name = customer.get("name", "") if isinstance(customer, dict) else ""
    try:
        with recorded(request, folder.case_file, "create"):
            tag = create_case(folder.case_file, data, f"{case_id} {name}：由网页新建")
    except FileExistsError:
        raise refused(409, "CASE_EXISTS", f"文件夹 {folder.name} 里已经有案卷文件", "case_id") from None
    return case_id, folder, tag
