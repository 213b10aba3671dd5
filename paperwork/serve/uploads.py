"""Uploads: how the upload routes read a multipart form and store its file in the case's scans/."""

from __future__ import annotations

from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile  # what request.form() gives

from paperwork.errors import BadUpload
from paperwork.files import sha256_of
from paperwork.serve.deps import case_folder, recorded, refused, server_of
from paperwork.serve.history import Change

__all__ = ["UPLOAD_BODY", "stored"]


#: The multipart body of the upload routes, for the OpenAPI page (the route reads the form itself, so that a
#: file sent under another field name is taken too).
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}},
                }
            }
        },
    }
}


#: How each reason an upload is refused is answered: its HTTP status and finding code.
_UPLOAD_REFUSALS = {
    "too_large": (413, "UPLOAD_TOO_LARGE"),
    "empty": (422, "UPLOAD_REFUSED"),
    "wrong_kind": (415, "UPLOAD_REFUSED"),
    "no_free_name": (409, "UPLOAD_REFUSED"),
}


async def stored(request: Request, case_id: str) -> str:
    """Store the uploaded file of the request (see :func:`_uploaded`); the form's files are closed after."""
    form = await request.form()
    try:
        file = _uploaded(form)
        return await run_in_threadpool(_store, request, case_id, file)
    finally:
        await form.close()


def _uploaded(form: FormData) -> UploadFile:
    """The file of a multipart upload: the field ``file``, else the first file sent."""
    found = form.get("file")
    if not isinstance(found, UploadFile):
        found = next((v for v in form.values() if isinstance(v, UploadFile)), None)
    if found is None:
        raise refused(
            422, "REQUEST_INVALID", "没有收到文件：请用 multipart/form-data 上传，字段名 file", "file"
        )
    return found


def _store(request: Request, case_id: str, file: UploadFile) -> str:
    case = case_folder(request, case_id)
    server = server_of(request)
    try:
        with recorded(request, case.case_file, "upload") as recording:
            name = server.workspace.store_upload(case, file.filename or "scan", file.file, server.max_upload)
            digest = sha256_of(case.folder / name)
            recording.extra.append(Change("upload", None, {"name": name, "sha256": digest}))
        return name
    except BadUpload as exc:
        status, code = _UPLOAD_REFUSALS[exc.reason]
        raise refused(status, code, str(exc), "file") from None
