"""The clerks' accounts: names, display names, passwords, API tokens and login sessions.

Kept in the workspace's database (:class:`~paperwork.serve.store.Store`). A password is stored
only as an argon2id hash (argon2-cffi: the Password Hashing Competition's winner, salted, slow
on purpose, its parameters inside each hash); a token or a session only as the SHA-256 of a
random 256-bit value, which is enough for a value nobody chose and lets a request be checked
with one look-up. Removing a user removes their tokens and sessions in the same transaction:
their cookie and scripts stop working at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import sqlite3
import time
import unicodedata
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from paperwork.errors import AccountError
from paperwork.serve.store import Store

__all__ = ["GOOD_PASSWORD", "Accounts", "User", "is_short", "normal_name"]

#: Shorter passwords are taken (the office decides) with a warning: eight characters is the usual minimum.
GOOD_PASSWORD = 8
_MAX_PASSWORD = 1024
_MAX_NAME = 64
_HASHER = PasswordHasher()  # argon2id, the library's current recommended parameters
#: Checked when a name is unknown, so that a wrong name takes as long as a wrong password.
_DUMMY = _HASHER.hash(secrets.token_hex(16))


@dataclass(frozen=True)
class User:
    """A clerk of the office: the name she logs in with, the name the papers show, whether she manages
    users."""

    name: str
    display: str
    admin: bool = False
    tokens: int = 0

    def to_dict(self) -> dict[str, object]:
        return {"name": self.name, "display": self.display, "admin": self.admin}


def normal_name(name: str) -> str:
    """A login name as stored: NFC, no surrounding spaces."""
    return unicodedata.normalize("NFC", name).strip()


def _checked_name(name: str) -> str:
    name = normal_name(name)
    if not name or len(name) > _MAX_NAME or any(c.isspace() or not c.isprintable() for c in name):
        raise AccountError(
            f"用户名“{name[:_MAX_NAME]}”不能用：请用 1–{_MAX_NAME} 个字符，不含空格和控制字符", "bad_name"
        )
    return name


def _checked_password(password: str) -> str:
    if not password:
        raise AccountError("密码不能为空", "weak_password")
    if len(password) > _MAX_PASSWORD:
        raise AccountError(f"密码太长：最多 {_MAX_PASSWORD} 个字符", "weak_password")
    return password


def is_short(password: str) -> bool:
    """Whether a password is shorter than the usual minimum (taken, with a warning)."""
    return len(password) < GOOD_PASSWORD


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Accounts:
    """The users of one workspace."""

    def __init__(self, store: Store) -> None:
        self.store = store
        #: Beside the database: says the workspace has users even when the database cannot be read (damaged),
        #: so that the server then refuses everyone rather than open the cases to anyone.
        self.marker = store.path.parent / "users-exist"

    def _mark(self, db: sqlite3.Connection) -> None:
        if db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None:
            self.marker.write_text(
                "这个工作区有用户：网页和 API 都要登录（paperwork users list）\n", encoding="utf-8"
            )
        else:
            self.marker.unlink(missing_ok=True)

    def required(self) -> bool:
        """Whether logins are required, as far as the marker says (for when the database cannot be read)."""
        return self.marker.is_file()

    def any(self) -> bool:
        """Whether the workspace has users (then every page and route needs a login)."""
        if not self.store.exists():
            return False
        with self.store.reading() as db:
            return db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is not None

    def users(self) -> list[User]:
        if not self.store.exists():
            return []
        with self.store.reading() as db:
            rows = db.execute(
                "SELECT name, display, admin, (SELECT count(*) FROM tokens WHERE user_id = users.id) "
                "FROM users ORDER BY name"
            ).fetchall()
        return [User(n, d, bool(a), t) for n, d, a, t in rows]

    def user(self, name: str) -> User | None:
        return next((u for u in self.users() if u.name == normal_name(name)), None)

    def add(self, name: str, password: str, *, display: str | None = None, admin: bool = False) -> User:
        name, password = _checked_name(name), _checked_password(password)
        shown = (display or "").strip() or name
        hashed = _HASHER.hash(password)
        with self.store.writing() as db:
            try:
                db.execute(
                    "INSERT INTO users (name, display, admin, password, created) VALUES (?, ?, ?, ?, ?)",
                    (name, shown, int(admin), hashed, _now()),
                )
            except sqlite3.IntegrityError:
                raise AccountError(f"用户 {name} 已经存在", "exists") from None
            self._mark(db)
        return User(name, shown, admin)

    def _id(self, db: sqlite3.Connection, name: str) -> int:
        row = db.execute("SELECT id FROM users WHERE name = ?", (normal_name(name),)).fetchone()
        if row is None:
            raise AccountError(f"没有用户 {normal_name(name)}", "unknown")
        return int(row[0])

    def remove(self, name: str) -> None:
        """Remove the user with their tokens and sessions (the last admin stays while others remain)."""
        with self.store.writing() as db:
            uid = self._id(db, name)
            admins = db.execute("SELECT id FROM users WHERE admin = 1").fetchall()
            others = db.execute("SELECT count(*) FROM users WHERE id != ?", (uid,)).fetchone()[0]
            if [(uid,)] == admins and others:
                raise AccountError(
                    f"{normal_name(name)} 是最后一个管理员；请先给别人管理员权限", "last_admin"
                )
            db.execute("DELETE FROM users WHERE id = ?", (uid,))
            self._mark(db)

    def passwd(self, name: str, password: str) -> None:
        """A new password; the user's sessions end (her tokens stay)."""
        hashed = _HASHER.hash(_checked_password(password))
        with self.store.writing() as db:
            uid = self._id(db, name)
            db.execute("UPDATE users SET password = ? WHERE id = ?", (hashed, uid))
            db.execute("DELETE FROM sessions WHERE user_id = ?", (uid,))

    def new_token(self, name: str) -> str:
        """A new API token for the user's scripts (shown once; only its hash is kept)."""
        token = "pwk_" + secrets.token_urlsafe(32)
        with self.store.writing() as db:
            uid = self._id(db, name)
            db.execute(
                "INSERT INTO tokens (hash, user_id, created) VALUES (?, ?, ?)", (_digest(token), uid, _now())
            )
        return token

    def revoke_tokens(self, name: str) -> int:
        """End every token of the user; how many there were."""
        with self.store.writing() as db:
            uid = self._id(db, name)
            return db.execute("DELETE FROM tokens WHERE user_id = ?", (uid,)).rowcount

    def check_password(self, name: str, password: str) -> User | None:
        """The user when ``password`` is hers; None otherwise, in about the same time whether or not the name
        exists."""
        with self.store.reading() as db:
            row = db.execute(
                "SELECT name, display, admin, password FROM users WHERE name = ?", (normal_name(name),)
            ).fetchone()
        try:
            _HASHER.verify(row[3] if row else _DUMMY, password)
        except (VerificationError, InvalidHashError):
            return None
        return User(row[0], row[1], bool(row[2])) if row else None

    def start_session(self, user: User, seconds: int) -> str:
        """A new login session for ``user``: the cookie's value (kept only as a hash)."""
        value = secrets.token_urlsafe(32)
        with self.store.writing() as db:
            uid = self._id(db, user.name)
            db.execute("DELETE FROM sessions WHERE expires < ?", (time.time(),))
            db.execute(
                "INSERT INTO sessions (hash, user_id, expires) VALUES (?, ?, ?)",
                (_digest(value), uid, time.time() + seconds),
            )
        return value

    def end_session(self, value: str) -> None:
        with self.store.writing() as db:
            db.execute("DELETE FROM sessions WHERE hash = ?", (_digest(value),))

    def by_session(self, value: str) -> User | None:
        """The user of a live session cookie (None: unknown, expired, or the user removed)."""
        return self._holder(
            "SELECT u.name, u.display, u.admin FROM sessions s JOIN users u ON u.id = s.user_id "
            "WHERE s.hash = ? AND s.expires > ?",
            (_digest(value), time.time()),
        )

    def by_token(self, token: str) -> User | None:
        """The user of an API token (None: unknown or revoked)."""
        return self._holder(
            "SELECT u.name, u.display, u.admin FROM tokens t JOIN users u ON u.id = t.user_id "
            "WHERE t.hash = ?",
            (_digest(token),),
        )

    def _holder(self, query: str, args: tuple[object, ...]) -> User | None:
        with self.store.reading() as db:
            row = db.execute(query, args).fetchone()
        return User(row[0], row[1], bool(row[2])) if row else None
