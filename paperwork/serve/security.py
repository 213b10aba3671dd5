"""Who may ask the server anything: the token, the login cookie, and no cross-site writes.

* With a token (required for any host but the loopback), every request but the login
  page and the stylesheet/script needs it: ``Authorization: Bearer TOKEN`` (scripts)
  or the cookie the login page sets (browsers). Without it: 401.
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
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["COOKIE", "Access", "is_loopback"]

COOKIE = "paperwork_session"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
_OPEN = ("/login", "/static/")  # the login page and what it needs


def is_loopback(host: str) -> bool:
    """127.0.0.1, ::1, localhost: reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class Access:
    """The server's token (None: open, loopback only) and the checks made on each request."""

    token: str | None

    def session(self) -> str:
        """The cookie value a login sets: derived from the token, not the token itself."""
        assert self.token is not None
        return hmac.new(self.token.encode(), b"paperwork-session", hashlib.sha256).hexdigest()

    def open_path(self, path: str) -> bool:
        return path == _OPEN[0] or path.startswith(_OPEN[1])

    def allowed(self, path: str, authorization: str | None, cookie: str | None) -> bool:
        """Whether the request carries the token (always, when there is none)."""
        if self.token is None or self.open_path(path):
            return True
        if authorization and authorization.lower().startswith("bearer "):
            return hmac.compare_digest(authorization[7:].strip().encode(), self.token.encode())
        return cookie is not None and hmac.compare_digest(cookie.encode(), self.session().encode())

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
