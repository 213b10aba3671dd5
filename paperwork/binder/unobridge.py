"""The other end of :mod:`paperwork.binder.warm_office`: a LibreOffice kept running, driven over UNO.

Run by a Python that has LibreOffice's ``uno`` module (Debian's ``python3-uno`` is for
``/usr/bin/python3``; LibreOffice for Windows brings its own ``program/python``), not
necessarily the one paperwork runs in, so this file uses the standard library and
``uno`` only, and is started as a script::

    python3 unobridge.py SOFFICE PROFILE_URL PIPE_NAME [SOFFICE_FLAG ...]

It starts ``soffice`` listening on a named pipe, connects, says ``{"ready": true}``
on stdout, then answers one JSON line per request on stdin::

    {"files": ["/abs/a.docx", ...], "outdir": "/abs/out"}
    → {"pdfs": ["/abs/out/a.pdf", ...], "failed": {"/abs/b.docx": "why"}}

End of input ends LibreOffice and the bridge. A LibreOffice that dies takes the
bridge with it (exit 3), so the server sees the pipe close and starts a new one.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]
from com.sun.star.connection import NoConnectException  # type: ignore[import-not-found]
from com.sun.star.lang import DisposedException  # type: ignore[import-not-found]
from com.sun.star.uno import RuntimeException  # type: ignore[import-not-found]

# Word bookmarks become named destinations, as in the CLI's --convert-to filter (pdfs.py cuts there)
_EXPORT = {"ExportBookmarksToPDFDestination": True}


def _prop(name: str, value: object) -> object:
    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def _say(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _connect(pipe: str, soffice: subprocess.Popen[bytes], deadline: float) -> object:
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    while True:
        try:
            ctx = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            return ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
        except NoConnectException:
            if soffice.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _convert(desktop: object, source: str, outdir: str) -> str:
    stem = os.path.splitext(os.path.basename(source))[0]
    target = os.path.join(outdir, stem + ".pdf")
    load = (_prop("Hidden", True), _prop("ReadOnly", True), _prop("UpdateDocMode", 0))
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(source), "_blank", 0, load)  # type: ignore[attr-defined]
    if doc is None:
        raise ValueError("LibreOffice 打不开这个文件")
    try:
        data = uno.Any("[]com.sun.star.beans.PropertyValue", tuple(_prop(k, v) for k, v in _EXPORT.items()))
        store = (_prop("FilterName", "writer_pdf_Export"), _prop("FilterData", data))
        uno.invoke(doc, "storeToURL", (uno.systemPathToFileUrl(target), store))
    finally:
        doc.close(True)
    return target


def main(argv: list[str]) -> int:
    soffice_path, profile, pipe, *flags = argv  # flags: libreoffice.SOFFICE_FLAGS, sent by the server
    soffice = subprocess.Popen(
        [
            soffice_path,
            f"-env:UserInstallation={profile}",
            *flags,
            f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        desktop = _connect(pipe, soffice, time.monotonic() + 60)
        _say({"ready": True, "pid": soffice.pid})
        for line in sys.stdin:
            request = json.loads(line)
            os.makedirs(request["outdir"], exist_ok=True)
            pdfs, failed = [], {}
            for source in request["files"]:
                try:
                    pdfs.append(_convert(desktop, source, request["outdir"]))
                except (DisposedException, RuntimeException) as exc:
                    if soffice.poll() is not None:  # LibreOffice is gone: so is this bridge
                        _say({"pdfs": pdfs, "failed": {source: f"LibreOffice 已退出：{exc}"}})
                        return 3
                    failed[source] = str(getattr(exc, "Message", exc)) or type(exc).__name__
                except Exception as exc:  # an IOException from storeToURL, a file it cannot open
                    failed[source] = str(getattr(exc, "Message", "") or exc) or type(exc).__name__
            _say({"pdfs": pdfs, "failed": failed})
        with contextlib.suppress(Exception):
            desktop.terminate()  # type: ignore[attr-defined]
        return 0
    finally:
        try:
            soffice.wait(timeout=10)
        except subprocess.TimeoutExpired:
            soffice.kill()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
