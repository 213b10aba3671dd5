"""Who may ask the server anything: the users' logins or the token, and no cross-site writes.

* When the workspace has users (``paperwork users add``), every request but the login page
  and the stylesheet/script needs a login: the session cookie the login page sets
  (browsers) or ``Authorization: Bearer TOKEN`` with a user's token (scripts); each is looked
  up in the workspace's database on every request, so a removed user or a revoked token
  stops at once. Without: 401 ``LOGIN_REQUIRED`` (``LOGIN_FAILED`` for a wrong token).
* Without users, a server token (required for any host but the loopback) works the same
  way for everyone: the token as Bearer, or the cookie the login page sets.
* Only the host names the server was started for are answered (``--allowed-host``; any IP
  address and ``localhost`` always): a page on another site whose name is made to resolve
  to this machine (DNS rebinding) gets 400, not the cases.
* Every request that changes something (POST, PUT, PATCH, DELETE) must come from our
  own pages or from a script: a browser's ``Origin`` (or ``Sec-Fetch-Site``) that
  names another site is refused with 403 — so a page elsewhere cannot make the
  clerk's browser create cases or upload files, token or not. The login cookie is
  ``SameSite=Strict`` and ``HttpOnly`` besides.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from paperwork.errors import HistoryUnavailable
from paperwork.serve.accounts import Accounts, User

__all__ = [
    "COOKIE",
    "LOCAL_HOSTS",
    "SESSION_SECONDS",
    "Access",
    "Throttle",
    "Visitor",
    "host_of",
    "is_loopback",
]

COOKIE = "paperwork_session"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_OPEN = ("/login", "/logout")  # the login page, and leaving
_OPEN_UNDER = "/static/"  # what the login page needs
SESSION_SECONDS = 12 * 3600  # a login lasts a working day


class Throttle:
    """Wrong logins by one key (a client's address, a name): ``tries`` within ``window`` seconds close
    the door to that key for ``window`` seconds. Thread-safe; the clock is the server's monotonic one."""

    def __init__(self, tries: int = 5, window: float = 60.0) -> None:
        self.tries, self.window = tries, window
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._closed: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, key: str, now: float | None = None) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            until = self._closed.get(key, 0.0)
            if until <= now:
                self._closed.pop(key, None)
                return 0.0
            return until - now

    def failed(self, key: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            recent = self._failures[key]
            recent.append(now)
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= self.tries:
                self._closed[key] = now + self.window
                recent.clear()

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


#: The names every server answers to besides IP addresses.
LOCAL_HOSTS = frozenset({"localhost"})


def host_of(header: str | None) -> str:
    """The host name of a ``Host`` header, without its port, lower case (``[::1]:8000`` → ``::1``)."""
    value = (header or "").strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def is_loopback(host: str) -> bool:
    """127.0.0.1, ::1, localhost: reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Visitor:
    """Who sent a request: let in or not (``code`` says why not), and the user when there are users."""

    allowed: bool
    user: User | None = None
    code: str = ""


@dataclass(frozen=True)
class Access:
    """The server's token (None: open, loopback only), the workspace's users, and the checks made on
    each request."""

    token: str | None
    #: Host names answered besides IP addresses and localhost (``--allowed-host``).
    hosts: frozenset[str] = frozenset()
    session_seconds: int = SESSION_SECONDS
    throttle: Throttle = field(default_factory=Throttle, compare=False)
    accounts: Accounts | None = field(default=None, compare=False)

    def with_users(self) -> bool:
        """Whether logins are per user. HistoryUnavailable when the database cannot say and the workspace
        has users (its marker says so): then nobody can be let in."""
        if self.accounts is None:
            return False
        try:
            found = self.accounts.any()
        except HistoryUnavailable:
            if self.accounts.required():
                raise
            return False
        if not found and self.accounts.required():  # the database deleted or replaced: never an open door
            raise HistoryUnavailable(
                "工作区标明有用户，但数据库里没有用户：数据库可能被删除或换掉了。请从备份恢复 "
                ".paperwork/paperwork.sqlite3，或用 paperwork users add 重新添加用户"
            )
        return found

    def visitor(self, path: str, authorization: str | None, cookie: str | None) -> Visitor:
        """Who the request comes from, and whether it may go on."""
        bearer = (
            authorization[7:].strip()
            if authorization and authorization.lower().startswith("bearer ")
            else None
        )
        if self.with_users():
            assert self.accounts is not None
            user = None
            if bearer:
                user = self.accounts.by_token(bearer)
            elif cookie:
                user = self.accounts.by_session(cookie)
            if user is not None or self.open_path(path):
                return Visitor(True, user)
            return Visitor(False, None, "LOGIN_FAILED" if bearer else "LOGIN_REQUIRED")
        if self.allowed(path, authorization, cookie):
            return Visitor(True)
        return Visitor(False, None, "LOGIN_FAILED" if bearer else "LOGIN_REQUIRED")

    def _sign(self, expires: int) -> str:
        assert self.token is not None
        return hmac.new(
            self.token.encode(), f"paperwork-session:{expires}".encode(), hashlib.sha256
        ).hexdigest()

    def session(self, now: float | None = None) -> str:
        """The cookie value a login sets: when it ends and a signature derived from the token (never the
        token itself); it stops working at that time, or when the token changes."""
        expires = int((time.time() if now is None else now) + self.session_seconds)
        return f"{expires}.{self._sign(expires)}"

    def session_ok(self, cookie: str, now: float | None = None) -> bool:
        expires, _, signature = cookie.partition(".")
        if not expires.isdigit() or int(expires) <= (time.time() if now is None else now):
            return False
        return hmac.compare_digest(signature.encode(), self._sign(int(expires)).encode())

    def host_allowed(self, header: str | None) -> bool:
        """Whether the request's ``Host`` is an IP address, localhost or a name the server was started
        for — never a name someone else's DNS points here."""
        host = host_of(header)
        if host in LOCAL_HOSTS or host in self.hosts:
            return True
        try:
            ipaddress.ip_address(host)
        except ValueError:
            return False
        return True

    def open_path(self, path: str) -> bool:
        return path in _OPEN or path.startswith(_OPEN_UNDER)

    def allowed(self, path: str, authorization: str | None, cookie: str | None) -> bool:
        """Whether the request carries the token (always, when there is none)."""
        if self.token is None or self.open_path(path):
            return True
        if authorization and authorization.lower().startswith("bearer "):
            return hmac.compare_digest(authorization[7:].strip().encode(), self.token.encode())
        return cookie is not None and self.session_ok(cookie)

    @staticmethod
    def cross_site(method: str, host: str | None, origin: str | None, fetch_site: str | None) -> bool:
        """A write that a page on another site made the browser send."""
        if method.upper() in _SAFE_METHODS:
            return False
        if fetch_site is not None and fetch_site.lower() == "cross-site":
            return True
        if origin is None:
            return False  # a script (curl, requests): no browser, no ambient credentials to abuse
        if origin == "null":
            return True
        return urlsplit(origin).netloc.lower() != (host or "").lower()

    def login_ok(self, given: str) -> bool:
        return self.token is not None and hmac.compare_digest(given.encode(), self.token.encode())
