"""The web application: FastAPI with the API, the clerk's pages, their script and stylesheet.

:func:`create_app` wires a :class:`~paperwork.serve.state.Server` into an ASGI app;
:func:`serve` runs it under uvicorn with a warm LibreOffice, started before the first
request and ended with the server.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path

from paperwork._version import __version__
from paperwork.binder.libreoffice import Converter, OfficeSettings
from paperwork.binder.warm_office import WarmOffice
from paperwork.errors import (
    CaseError,
    ConfigError,
    HistoryUnavailable,
    OutsideWorkspace,
    PaperworkError,
    QueueLost,
    Refused,
)
from paperwork.finding import Finding
from paperwork.serve import changes, logins, views
from paperwork.serve.accounts import Accounts
from paperwork.serve.api import router
from paperwork.serve.builder import Builder
from paperwork.serve.deps import wants_html
from paperwork.serve.history import History
from paperwork.serve.index import CaseIndex
from paperwork.serve.overview import ServerSettings
from paperwork.serve.recognition import Proposer
from paperwork.serve.security import COOKIE, SESSION_SECONDS, Access, host_of
from paperwork.serve.state import Server
from paperwork.serve.store import Store
from paperwork.serve.watch import FolderWatch
from paperwork.serve.workspace import MAX_UPLOAD, Workspace

if TYPE_CHECKING:
    from paperwork.dispatch.client import Waiting

__all__ = ["create_app", "make_server", "serve", "start_office"]

_STATIC = Path(__file__).with_name("static")
log = logging.getLogger("paperwork.serve")


def make_server(
    workspace: Path,
    *,
    token: str | None = None,
    converter: Converter | None = None,
    settings: ServerSettings | None = None,
    cache: Path | None = None,
    ocr_cache: Path | None = None,
    office: OfficeSettings | None = None,
    max_upload: int = MAX_UPLOAD,
    allowed_hosts: tuple[str, ...] = (),
    session_seconds: int = SESSION_SECONDS,
    queue: Waiting | None = None,
) -> Server:
    """The state of a server for ``workspace``; ``converter`` defaults to a :class:`WarmOffice` with
    ``office``'s settings. ``cache`` and ``ocr_cache`` are the conversion and OCR caches (None: off).
    ``allowed_hosts``: host names answered besides IP addresses and localhost; ``session_seconds``: how long
    a login lasts; ``queue``: builds and OCR go to that queue's workers (``serve --queue``)."""
    settings = settings or ServerSettings()
    converter = converter if converter is not None else WarmOffice(office)
    builder = Builder(converter, settings, cache, queue)
    proposer = Proposer(ocr_cache, settings, queue)
    hosts = frozenset(host_of(h) for h in allowed_hosts if h.strip())
    place = Workspace(workspace)
    store = Store(place.root)
    access = Access(token, hosts, session_seconds=session_seconds, accounts=Accounts(store))
    history, index = History(store, place.root), CaseIndex(store, place, settings, FolderWatch(place.root))
    return Server(place, settings, builder, access, proposer, history, index, max_upload)


#: What a request body may hold besides its file: the form's own lines.
_FORM_LINES = 1 << 20


def _too_large(max_upload: int) -> Refused:
    mb = max_upload // (1024 * 1024)
    text = f"发来的内容超过 {mb} MB，没有接收；请压缩或分开上传"
    return Refused(413, (Finding("UPLOAD_TOO_LARGE", "error", text),))


class BodyLimit:
    """Refuse a body larger than an upload may be (413 ``UPLOAD_TOO_LARGE``): by its Content-Length
    (:meth:`allows`, asked first), and while it streams in for one sent without: nothing past the
    limit is read, let alone written."""

    def __init__(self, app: ASGIApp, max_upload: int) -> None:
        self.app, self.max_upload = app, max_upload

    @staticmethod
    def allows(size: int, max_upload: int) -> bool:
        return size <= max_upload + _FORM_LINES

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if not self.allows(seen, self.max_upload):
                    raise _too_large(self.max_upload)
            return message

        await self.app(scope, counted, send)


def create_app(server: Server) -> FastAPI:
    """The ASGI app for ``server``: the API under /api, the pages, /docs, /static."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        keeper = server.index.keep_up()  # a new day's re-check in the background, not on a clerk's request
        yield
        keeper.set()
        if server.index.watch is not None:
            server.index.watch.close()
        close = getattr(server.converter, "close", None)
        if close is not None:
            close()

    app = FastAPI(
        title="paperwork",
        version=__version__,
        description="高压业扩报装资料：案卷、检查、日期、装订。与命令行的 JSON 输出相同的约定。",
        lifespan=lifespan,
        docs_url=None,  # served below from the installed Swagger UI: no CDN
        redoc_url=None,
    )
    app.openapi_version = "3.0.3"  # what the bundled Swagger UI 4 reads
    app.state.server = server
    app.include_router(router)
    app.include_router(views.router)
    app.include_router(logins.router)
    app.include_router(changes.router)
    app.add_middleware(BodyLimit, max_upload=server.max_upload)
    app.mount("/static/swagger", StaticFiles(directory=swagger_ui_path), name="swagger")
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="paperwork API",
            swagger_js_url="/static/swagger/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger/swagger-ui.css",
            swagger_favicon_url="/static/favicon.png",
        )

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")  # a scan is never run as a page
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")  # framed by our own page only
        response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'self'")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        h = request.headers
        if not server.access.host_allowed(h.get("host")):
            message = (
                f"主机名“{host_of(h.get('host'))[:60]}”不是这台服务器的；"
                "请用启动时 --allowed-host 给的名字或 IP 地址访问"
            )
            return _refusal(request, Refused(400, (Finding("HOST_NOT_ALLOWED", "error", message),)))
        if not BodyLimit.allows(int(h.get("content-length") or 0), server.max_upload):
            return _refusal(request, _too_large(server.max_upload))
        if Access.cross_site(request.method, h.get("host"), h.get("origin"), h.get("sec-fetch-site")):
            message = "拒绝了来自其他网站的修改请求（跨站请求）"
            return _refusal(request, Refused(403, (Finding("REQUEST_INVALID", "error", message),)))
        try:
            visitor = server.access.visitor(
                request.url.path, h.get("authorization"), request.cookies.get(COOKIE)
            )
        except HistoryUnavailable as exc:  # a damaged database of a workspace with users: nobody can be known
            return _refusal(request, Refused(503, (Finding("HISTORY_UNAVAILABLE", "error", str(exc)),)))
        if not visitor.allowed:
            if wants_html(request):
                return logins.login_page(request, status_code=401)
            message = (
                "登录已失效或口令不对：请重新登录，或换一个有效的口令（Authorization: Bearer <口令>）"
                if visitor.code == "LOGIN_FAILED"
                else "需要登录：浏览器请先登录；脚本请在请求头里加 Authorization: Bearer <口令>"
            )
            refusal = Refused(401, (Finding(visitor.code, "error", message),), {"WWW-Authenticate": "Bearer"})
            return _refusal(request, refusal)
        request.state.user = visitor.user
        return await call_next(request)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            finding = Finding("ROUTE_NOT_FOUND", "error", f"没有这个网址：{request.url.path[:200]}")
        elif exc.status_code == 405:
            finding = Finding(
                "METHOD_NOT_ALLOWED", "error", f"{request.url.path[:200]} 不接受 {request.method} 请求"
            )
        else:
            finding = Finding("REQUEST_INVALID", "error", f"请求不对：{exc.detail}")
        return _refusal(request, Refused(exc.status_code, (finding,), dict(exc.headers or {})))

    @app.exception_handler(Refused)
    async def on_refused(request: Request, exc: Refused) -> Response:
        return _refusal(request, exc)

    @app.exception_handler(OutsideWorkspace)
    async def on_outside(request: Request, exc: OutsideWorkspace) -> Response:
        return _refusal(request, Refused(400, (Finding("REQUEST_INVALID", "error", str(exc)),)))

    @app.exception_handler(HistoryUnavailable)
    async def on_history(request: Request, exc: HistoryUnavailable) -> Response:
        return _refusal(request, Refused(503, (Finding("HISTORY_UNAVAILABLE", "error", str(exc)),)))

    @app.exception_handler(QueueLost)
    async def on_queue(request: Request, exc: QueueLost) -> Response:
        return _refusal(request, Refused(503, (Finding("QUEUE_UNREACHABLE", "error", str(exc)),)))

    @app.exception_handler(CaseError)
    async def on_case(request: Request, exc: CaseError) -> Response:
        return _refusal(request, Refused(422, exc.findings))

    @app.exception_handler(PaperworkError)
    async def on_paperwork(request: Request, exc: PaperworkError) -> Response:
        code = "CONFIG_INVALID" if isinstance(exc, ConfigError) else "OPERATION_FAILED"
        return _refusal(request, Refused(500, (Finding(code, "error", str(exc)),)))

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> Response:
        findings = tuple(
            Finding(
                "REQUEST_INVALID",
                "error",
                f"请求内容不对：{e.get('msg', '')}",
                path=".".join(map(str, e.get("loc", ()))),
            )
            for e in exc.errors()
        )
        return _refusal(request, Refused(422, findings))

    @app.exception_handler(Exception)
    async def on_anything(request: Request, exc: Exception) -> Response:
        log.exception("内部错误")
        message = f"内部错误：{type(exc).__name__}。请把操作步骤和服务器日志发给维护者"
        return _refusal(request, Refused(500, (Finding("INTERNAL_ERROR", "error", message),)))

    return app


def _refusal(request: Request, exc: Refused) -> Response:
    if wants_html(request):  # a browser's page or form (the pages' scripts ask the /api for JSON)
        return views.error_page(request, exc)
    return JSONResponse(exc.payload(), status_code=exc.status, headers=exc.headers)


def start_office(server: Server) -> None:
    """Start the warm LibreOffice now, so the first build need not wait (PaperworkError if it cannot)."""
    start = getattr(server.converter, "start", None)
    if start is not None:
        start()


def serve(
    server: Server,
    host: str,
    port: int,
    *,
    ready: Callable[[str], None] | None = None,
    tls: tuple[str, str] | None = None,
) -> None:
    """Serve until interrupted; ``ready`` hears the address (``start_office`` first, if wanted). ``tls``: a
    certificate and key file (PEM) to serve HTTPS with."""
    import uvicorn

    cert, key = tls if tls else (None, None)
    config = uvicorn.Config(
        create_app(server),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        ssl_certfile=cert,
        ssl_keyfile=key,
    )
    web = uvicorn.Server(config)
    if ready is not None:
        shown = f"[{host}]" if ":" in host else host
        ready(f"{'https' if tls else 'http'}://{shown}:{port}/")
    web.run()
