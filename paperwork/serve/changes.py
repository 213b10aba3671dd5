"""The record of changes, asked for and used: a case's history, a version's text, a restore; the case
page's 修改记录 panel (谁、何时、改了什么) rendered from the same entries.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from paperwork.case.casefile import write_source
from paperwork.case.paths import label_of
from paperwork.errors import StaleWrite
from paperwork.serve.api import stale
from paperwork.serve.deps import case_folder, recorded, refused, server_of
from paperwork.serve.overview import check, findings_payload
from paperwork.serve.views import page

__all__ = ["router"]

router = APIRouter()

#: What the panel calls a change that is not a field of the case file.
_ACTIONS = {
    "create": "新建案卷",
    "edit": "修改",
    "source": "修改案卷文件原文",
    "upload": "上传文件",
    "build": "装订",
    "restore": "恢复旧版本",
    "outside": "在服务器之外修改（手工编辑、git、命令行）",
}


@router.get("/api/cases/{case_id}/history", tags=["history"], summary="修改记录（新的在前）")
def history(request: Request, case_id: str) -> list[dict[str, object]]:
    """``[{id, who, display, when, outside, action, changes: [{path, old, new}]}]``, newest first. ``who`` is
    the user's name (null: no login, or ``outside``: changed outside the server, noticed on the next read)."""
    case = case_folder(request, case_id)
    return server_of(request).history.entries(case.case_file)


def _version(request: Request, case_id: str, entry: int) -> tuple[Any, bytes]:
    case = case_folder(request, case_id)
    raw = server_of(request).history.version(case.case_file, entry)
    if raw is None:
        raise refused(404, "HISTORY_NOT_FOUND", f"案卷 {case_id} 没有第 {entry} 号修改记录", "id")
    return case, raw


@router.get(
    "/api/cases/{case_id}/history/{entry}/source",
    tags=["history"],
    summary="某次修改之后的案卷文件原文",
    response_class=Response,
)
def version_source(request: Request, case_id: str, entry: int) -> Response:
    """The case file exactly as it was after change ``entry`` (its bytes: comments and all)."""
    _, raw = _version(request, case_id, entry)
    return Response(raw, media_type="text/yaml; charset=utf-8")


@router.post(
    "/api/cases/{case_id}/history/{entry}/restore", tags=["history"], summary="恢复到某次修改之后的版本"
)
def restore(
    request: Request, case_id: str, entry: int, if_match: Annotated[str | None, Header()] = None
) -> JSONResponse:
    """Write the version of change ``entry`` back, byte for byte (itself a recorded change); 409 when the
    file changed since the ETag in ``If-Match`` was read.
    The answer is as for a save: findings and the new ETag."""
    case, raw = _version(request, case_id, entry)
    try:
        with recorded(request, case.case_file, "restore") as recording:
            tag = write_source(case.case_file, raw, if_match)
            recording.note = f"恢复到第 {entry} 号修改之后的版本"
    except StaleWrite as exc:
        raise stale(case_id, exc) from None
    payload = findings_payload(check(case.case_file, server_of(request).settings))
    return JSONResponse({**payload, "etag": tag, "restored": entry}, headers={"ETag": tag})


def _shown(value: object) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, dict):
        if "sha256" in value:
            return f"{value.get('name')}（SHA-256 {str(value['sha256'])[:12]}…）"
        if "pages" in value:
            kind = "草稿" if value.get("draft") else "正式"
            return f"{kind}，{value.get('pages')} 页"
        return "、".join(f"{k}：{v}" for k, v in value.items()) or "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _what(path: str) -> str:
    if not path:
        return "案卷文件原文"
    return {"upload": "上传的文件", "build": "装订结果"}.get(path, label_of(path))


@router.get("/cases/{case_id}/history", include_in_schema=False)
def history_panel(request: Request, case_id: str) -> HTMLResponse:
    """The 修改记录 panel of the case page, in her words."""
    entries = history(request, case_id)
    rows = [
        {
            "id": e["id"],
            "before": e["before"],
            "when": str(e["when"])[:16].replace("T", " "),
            "who": "外部修改" if e["outside"] else (e["display"] or e["who"] or "（未登录）"),
            "outside": e["outside"],
            "action": _ACTIONS.get(str(e["action"]), str(e["action"])),
            "note": e.get("note"),
            "changes": [
                {"what": _what(str(c["path"])), "old": _shown(c["old"]), "new": _shown(c["new"])}
                for c in e["changes"]  # type: ignore[attr-defined]
            ],
        }
        for e in entries
    ]
    return page(request, "history.html", rows=rows, case_id=case_id)
