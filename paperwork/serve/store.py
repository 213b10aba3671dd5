"""The workspace's embedded database: the clerks' accounts and the record of every change.

One SQLite file, ``.paperwork/paperwork.sqlite3`` inside the workspace, through the standard
library's :mod:`sqlite3`: nothing to install or run, one file to back up with the cases, safe
for several server threads and for the ``users`` command at the same time (WAL journal, a busy
timeout). The record of changes is append-only: the database itself refuses to update or delete
a row of it (triggers), so a mistake in our code cannot rewrite history.

Every failure of the file (damaged, locked past the timeout, a folder that cannot be written)
becomes :class:`~paperwork.errors.HistoryUnavailable`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from paperwork.errors import HistoryUnavailable

__all__ = ["DB_FILE", "DB_FOLDER", "Store"]

DB_FOLDER = ".paperwork"
DB_FILE = "paperwork.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    display TEXT NOT NULL,
    admin INTEGER NOT NULL DEFAULT 0,
    password TEXT NOT NULL,          -- an argon2id hash, never the password
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    hash TEXT PRIMARY KEY,           -- SHA-256 of the token, never the token
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    hash TEXT PRIMARY KEY,           -- SHA-256 of the cookie's value
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    expires REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS sources (
    etag TEXT PRIMARY KEY,           -- a case file's bytes, kept once however often they recur
    content BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    folder TEXT NOT NULL,            -- the case's folder in the workspace
    who TEXT,                        -- the user's name; NULL: no login (or outside the server)
    display TEXT,
    at TEXT NOT NULL,
    outside INTEGER NOT NULL,
    action TEXT NOT NULL,
    changes TEXT NOT NULL,           -- JSON: [{path, old, new}]
    note TEXT,                       -- what the change was beyond its fields (恢复到第 3 号 …)
    etag TEXT NOT NULL REFERENCES sources(etag),
    listed INTEGER NOT NULL          -- 0: the file as first seen, the start of its record
);
CREATE INDEX IF NOT EXISTS changes_of_case ON changes (folder, id);
CREATE TRIGGER IF NOT EXISTS changes_never_updated BEFORE UPDATE ON changes
    BEGIN SELECT RAISE(ABORT, 'the record of changes is append-only'); END;
CREATE TRIGGER IF NOT EXISTS changes_never_deleted BEFORE DELETE ON changes
    BEGIN SELECT RAISE(ABORT, 'the record of changes is append-only'); END;
"""

#: How long a write waits for another one (a second clerk's save) before the database counts as locked.
WRITE_WAIT = 3.0
#: How long noticing an outside change on a read may wait: a read never hangs on the record.
READ_WAIT = 0.2


class Store:
    """The database of the workspace ``root``; opened per use, made on first use."""

    def __init__(self, root: Path) -> None:
        self.path = root / DB_FOLDER / DB_FILE

    def exists(self) -> bool:
        return self.path.is_file()

    def _open(self, wait: float) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=wait, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise _unavailable(self.path, exc) from None
        try:
            conn.execute("PRAGMA foreign_keys = ON")
            # one query per use; a file made anew (deleted, replaced) gets its journal mode and tables again
            if conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'changes'").fetchone()[0] == 0:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            conn.close()
            raise _unavailable(self.path, exc) from None
        return conn

    @contextlib.contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads (HistoryUnavailable when the file is damaged)."""
        conn = self._open(WRITE_WAIT)
        try:
            yield conn
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from None
        finally:
            conn.close()

    @contextlib.contextmanager
    def writing(self, wait: float = WRITE_WAIT) -> Iterator[sqlite3.Connection]:
        """A write transaction, begun at once (``BEGIN IMMEDIATE``: the one writer until it ends), committed
        when the block ends, rolled back when it raises. HistoryUnavailable when it cannot begin or commit."""
        conn = self._open(wait)
        try:
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _unavailable(self.path, exc) from None
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            try:
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise _unavailable(self.path, exc) from None
        except sqlite3.Error as exc:
            raise _unavailable(self.path, exc) from None
        finally:
            conn.close()


def _unavailable(path: Path, exc: BaseException) -> HistoryUnavailable:
    code = getattr(exc, "sqlite_errorcode", None)
    locked = code is not None and code & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
    why = "正被别的程序占用（锁定）" if locked else "无法读写（文件损坏，或文件夹不可写）"
    return HistoryUnavailable(
        f"工作区的用户和修改记录数据库 {path.parent.name}/{path.name} {why}；"
        "为了不留下没有记录的修改，现在不能保存。请联系管理员检查这个文件"
    )
