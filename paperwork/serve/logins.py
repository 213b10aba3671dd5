"""Logging in and out, and the admins' page of users.

``POST /login`` takes the form fields ``name`` and ``password`` (a workspace with users) or
``token`` (one without, started with ``--token``) and sets the session cookie: HttpOnly,
SameSite=Strict, Secure over TLS, ending after ``--session-hours``. Five wrong passwords for
one name within a minute close that name for a minute (429 ``LOGIN_THROTTLED``); a wrong name
and a wrong password get the same answer, in about the same time. A browser gets pages, a
script JSON with the codes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from paperwork.errors import AccountError, Refused
from paperwork.finding import Finding
from paperwork.serve.accounts import normal_name
from paperwork.serve.deps import refused, server_of, user_of, wants_html
from paperwork.serve.security import COOKIE
from paperwork.serve.views import error_page, page

__all__ = ["login_page", "router"]

router = APIRouter(include_in_schema=False)


def _local(target: str) -> str:
    """Where to go after the login: a path of this server, never another site (``//evil``)."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/"


def login_page(
    request: Request, status_code: int = 200, failed: bool = False, then: str = ""
) -> HTMLResponse:
    users = server_of(request).access.with_users()
    target = _local(then or (request.url.path if request.url.path not in {"/login", "/logout"} else "/"))
    return page(request, "login.html", status_code, title="登录", failed=failed, next=target, users=users)


def _answer(request: Request, exc: Refused, *, form: bool = False, then: str = "/") -> Response:
    """A refused login: the login page again (``form``) or an error page for a browser, JSON for a script."""
    if wants_html(request):
        if form:
            return login_page(request, exc.status, failed=True, then=then)
        return error_page(request, exc)
    return JSONResponse(exc.payload(), status_code=exc.status, headers=exc.headers)


def _throttled(wait: float) -> Refused:
    message = f"登录连续失败太多次，请 {int(wait) + 1} 秒后再试"
    return Refused(429, (Finding("LOGIN_THROTTLED", "error", message),), {"Retry-After": str(int(wait) + 1)})


_FAILED = Refused(401, (Finding("LOGIN_FAILED", "error", "用户名或密码不对，请重新输入"),))


@router.get("/login")
def login_form(request: Request) -> HTMLResponse:
    return login_page(request)


@router.post("/login")
def login(
    request: Request,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    server = server_of(request)
    access = server.access
    if access.with_users():
        key = "name:" + normal_name(name)  # never whether the name exists: unknown names are counted too
        wait = access.throttle.wait(key)
        if wait:
            return _answer(request, _throttled(wait))
        user = server.accounts.check_password(name, password)
        if user is None:
            access.throttle.failed(key)
            return _answer(request, _FAILED, form=True, then=next)
        access.throttle.succeeded(key)
        cookie = server.accounts.start_session(user, access.session_seconds)
        shown: dict[str, object] | None = user.to_dict()
    else:
        key = "address:" + (request.client.host if request.client else "?")
        wait = access.throttle.wait(key)
        if wait:
            return _answer(request, _throttled(wait))
        if not access.login_ok(token or password):
            access.throttle.failed(key)
            return _answer(request, _FAILED, form=True, then=next)
        access.throttle.succeeded(key)
        cookie, shown = access.session(), None
    answer: Response = RedirectResponse(_local(next), status_code=303)
    if "application/json" in request.headers.get("accept", ""):  # a script that asks for JSON
        answer = JSONResponse({"ok": True, "user": shown})
    answer.set_cookie(
        COOKIE,
        cookie,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=access.session_seconds,
    )
    return answer


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session (its cookie stops working wherever it was copied to) and go to the login page."""
    server = server_of(request)
    cookie = request.cookies.get(COOKIE)
    if cookie and server.access.with_users():
        server.accounts.end_session(cookie)
    answer: Response = RedirectResponse("/login", status_code=303)
    if "application/json" in request.headers.get("accept", ""):
        answer = JSONResponse({"ok": True})
    answer.delete_cookie(COOKIE, httponly=True, samesite="strict")
    return answer


@router.get("/api/me", include_in_schema=True, tags=["users"], summary="当前登录的用户")
def me(request: Request) -> dict[str, object]:
    """``{user: {name, display, admin}}``; ``user`` is null on a server without users."""
    user = user_of(request)
    return {"user": user.to_dict() if user else None}


def _admin(request: Request) -> None:
    user = user_of(request)
    if user is None or not user.admin:
        raise refused(403, "ADMIN_REQUIRED", "只有管理员能管理用户；请找管理员")


def _users_page(
    request: Request, status: int = 200, findings: tuple[Finding, ...] = (), done: str = ""
) -> Response:
    users = server_of(request).accounts.users()
    return page(request, "users.html", status, title="用户", users=users, findings=findings, done=done)


@router.get("/users")
def users_page(request: Request) -> Response:
    _admin(request)
    return _users_page(request)


_STATUS = {"exists": 409, "unknown": 404, "bad_name": 422, "weak_password": 422, "last_admin": 409}


def _changed(
    request: Request, change: str, name: str, password: str = "", display: str = "", admin: bool = False
) -> Response:
    _admin(request)
    accounts = server_of(request).accounts
    try:
        if change == "add":
            accounts.add(name, password, display=display, admin=admin)
            done = f"已添加用户 {normal_name(name)}"
        elif change == "remove":
            me = user_of(request)
            if me is not None and me.name == normal_name(name):
                raise AccountError("不能删除自己：请让另一位管理员来删", "last_admin")
            accounts.remove(name)
            done = f"已删除用户 {normal_name(name)}：其登录和口令立即失效"
        else:
            accounts.passwd(name, password)
            done = f"已为 {normal_name(name)} 设置新密码：其已登录的浏览器需要重新登录"
    except AccountError as exc:
        finding = Finding("ACCOUNT_INVALID", "error", str(exc), path="name")
        return _users_page(request, _STATUS[exc.reason], (finding,))
    return _users_page(request, done=done)


@router.post("/users")
def add_user(
    request: Request,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    display: Annotated[str, Form()] = "",
    admin: Annotated[bool, Form()] = False,
) -> Response:
    return _changed(request, "add", name, password, display, admin)


@router.post("/users/{name}/remove")
def remove_user(request: Request, name: str) -> Response:
    return _changed(request, "remove", name)


@router.post("/users/{name}/passwd")
def reset_password(request: Request, name: str, password: Annotated[str, Form()] = "") -> Response:
    return _changed(request, "passwd", name, password)
