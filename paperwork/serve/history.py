"""The record of every change to a case: who, when, what — append-only, in the workspace's database.

Each write through the server (a field, a paper, an upload, a repaired source, a build, a
restore) is recorded in the same transaction that guards it (:meth:`History.writing`): the
database's write lock is taken first, so two saves at once are recorded in the order they were
made, and a database that cannot be written refuses the write (``HISTORY_UNAVAILABLE``) rather
than let it pass unrecorded. A change made outside the server (a hand edit, ``git pull``, the
CLI) is noticed when the server next reads the case (:meth:`History.notice`) and recorded as
``outside`` with its differences, dated by the file's modification time.

Every entry keeps the case file's bytes after it (stored once per distinct content), so any
version can be shown or written back byte for byte, comments included.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from paperwork.case.casefile import etag
from paperwork.case.yamlfile import parse_yaml
from paperwork.errors import HistoryUnavailable, PaperworkError
from paperwork.serve.accounts import User
from paperwork.serve.store import READ_WAIT, Store

__all__ = ["Change", "History", "Recording", "differences"]

log = logging.getLogger("paperwork.serve")

#: A text that does not parse is recorded whole, up to this many characters.
_TEXT_SHOWN = 2000


@dataclass(frozen=True)
class Change:
    """One field's change: its path in the case file (``documents[3].date``), the value before and after."""

    path: str
    old: object
    new: object

    def to_dict(self) -> dict[str, object]:
        return {"path": self.path, "old": self.old, "new": self.new}


def _json_ready(value: object) -> object:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _leaves(data: object, prefix: str, out: dict[str, object]) -> dict[str, object]:
    """Every scalar of ``data`` by its path (``customer.name``, ``documents[3].date``); an empty
    mapping or list is a leaf of its own."""
    if isinstance(data, dict) and data:
        for key, value in data.items():
            _leaves(value, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(data, list) and data:
        for i, value in enumerate(data):
            _leaves(value, f"{prefix}[{i}]", out)
    elif prefix:
        out[prefix] = _json_ready(data) if not isinstance(data, dict | list) else data
    return out


def _parsed(text: str | None) -> tuple[bool, object]:
    if text is None:
        return True, {}
    try:
        return True, parse_yaml(text, "case.yaml").data
    except PaperworkError:
        return False, None


def differences(old_text: str | None, new_text: str) -> tuple[Change, ...]:
    """What changed between two texts of a case file, field by field (``old_text`` None: a new file).
    When either does not parse (a file being repaired), the one change is the whole text (path ``""``)."""
    (old_ok, old), (new_ok, new) = _parsed(old_text), _parsed(new_text)
    if not (old_ok and new_ok):
        if old_text == new_text:
            return ()
        return (Change("", (old_text or "")[:_TEXT_SHOWN] or None, new_text[:_TEXT_SHOWN]),)
    before, after = _leaves(old, "", {}), _leaves(new, "", {})
    paths = list(before) + [p for p in after if p not in before]
    return tuple(
        Change(p, before.get(p), after.get(p)) for p in paths if before.get(p, ...) != after.get(p, ...)
    )


def _text(raw: bytes | None) -> str | None:
    return None if raw is None else raw.decode("utf-8-sig", errors="replace")


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _now() -> str:
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


@dataclass
class Recording:
    """A write being recorded: what the route adds beyond the case file's own differences (an upload's
    name and SHA-256, a build's result)."""

    extra: list[Change] = field(default_factory=list)
    note: str = ""


class History:
    """The record of the workspace ``root``'s cases, kept in ``store``."""

    def __init__(self, store: Store, root: Path) -> None:
        self.store, self.root = store, root

    def _folder(self, case_file: Path) -> str:
        return case_file.parent.relative_to(self.root).as_posix()

    @staticmethod
    def _last_tag(db: sqlite3.Connection, folder: str) -> str | None:
        """The ETag of the case's last recorded version (None: never seen) — not its bytes: asked on every
        read of a case."""
        row = db.execute(
            "SELECT etag FROM changes WHERE folder = ? ORDER BY id DESC LIMIT 1", (folder,)
        ).fetchone()
        return str(row[0]) if row else None

    @staticmethod
    def _content(db: sqlite3.Connection, tag: str) -> bytes:
        return bytes(db.execute("SELECT content FROM sources WHERE etag = ?", (tag,)).fetchone()[0])

    @staticmethod
    def _add(
        db: sqlite3.Connection,
        folder: str,
        raw: bytes,
        changes: tuple[Change, ...],
        *,
        who: User | None,
        action: str,
        outside: bool,
        when: str | None = None,
        listed: bool = True,
        note: str = "",
    ) -> int:
        tag = etag(raw)
        db.execute("INSERT OR IGNORE INTO sources (etag, content) VALUES (?, ?)", (tag, raw))
        cursor = db.execute(
            "INSERT INTO changes (folder, who, display, at, outside, action, changes, etag, listed, note) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                folder,
                who.name if who else None,
                who.display if who else None,
                when or _now(),
                int(outside),
                action,
                json.dumps([c.to_dict() for c in changes], ensure_ascii=False),
                tag,
                int(listed),
                note or None,
            ),
        )
        return int(cursor.lastrowid or 0)

    def _catch_up(self, db: sqlite3.Connection, case_file: Path) -> bytes | None:
        """Record what happened to the file outside the server since its last entry; its bytes now."""
        folder, raw = self._folder(case_file), _read(case_file)
        if raw is None:
            return None
        last = self._last_tag(db, folder)
        if last is None:  # first seen: the start of its record, not a change
            self._add(db, folder, raw, (), who=None, action="seen", outside=True, listed=False)
        elif last != etag(raw):
            changes = differences(_text(self._content(db, last)), raw.decode("utf-8-sig", errors="replace"))
            try:
                stamp = dt.datetime.fromtimestamp(case_file.stat().st_mtime).astimezone()
                when = stamp.isoformat(timespec="seconds")
            except OSError:
                when = None
            self._add(db, folder, raw, changes, who=None, action="outside", outside=True, when=when)
        return raw

    def notice(self, case_file: Path) -> None:
        """Record a change made outside the server, if there is one. Never fails a read: a database that
        cannot be written now is logged, and the change is noticed on a later read."""
        try:
            raw = _read(case_file)
            if raw is None:
                return
            with self.store.reading() as db:
                last = self._last_tag(db, self._folder(case_file))
            if last == etag(raw):
                return  # the usual case: nothing new, nothing written
            with self.store.writing(READ_WAIT) as db:
                self._catch_up(db, case_file)
        except (HistoryUnavailable, OSError) as exc:
            log.warning("修改记录暂时无法写入：%s", exc)

    @contextlib.contextmanager
    def writing(self, case_file: Path, who: User | None, action: str) -> Iterator[Recording]:
        """Guard a write to ``case_file`` (or, for an upload or a build, beside it) and record it.

        HistoryUnavailable before anything is written when the database cannot take the record; an
        outside change since the last entry is recorded first, so that this entry holds only this one.
        """
        with self.store.writing() as db:
            before = self._catch_up(db, case_file)
            recording = Recording()
            yield recording
            after = _read(case_file)
            if after is None or (after == before and not recording.extra and action != "restore"):
                return  # nothing changed (a save of the same values): nothing to record
            changes = differences(_text(before), after.decode("utf-8-sig", errors="replace"))
            self._add(
                db,
                self._folder(case_file),
                after,
                (*changes, *recording.extra),
                who=who,
                action=action,
                outside=False,
                note=recording.note,
            )

    def available(self) -> None:
        """HistoryUnavailable unless a record could be written now (asked before a long build)."""
        with self.store.writing():
            pass

    def entries(self, case_file: Path) -> list[dict[str, object]]:
        """The case's changes, newest first: ``[{id, who, display, when, outside, action, changes, note,
        before}]`` — ``before``: the id whose version this change started from (the file as first seen
        included, which is not a change of its own), to restore what it changed."""
        with self.store.reading() as db:
            rows = db.execute(
                "SELECT id, who, display, at, outside, action, changes, note, listed FROM changes "
                "WHERE folder = ? ORDER BY id",
                (self._folder(case_file),),
            ).fetchall()
        found: list[dict[str, object]] = []
        previous = None
        for i, who, display, at, outside, action, changes, note, listed in rows:
            if listed:
                found.append(
                    {
                        "id": i,
                        "who": who,
                        "display": display,
                        "when": at,
                        "outside": bool(outside),
                        "action": action,
                        "changes": json.loads(changes),
                        "note": note,
                        "before": previous,
                    }
                )
            previous = i
        return found[::-1]

    def version(self, case_file: Path, entry: int) -> bytes | None:
        """The case file's bytes as they were after entry ``entry`` — or, for the start of its record, as
        first seen (None: no such entry of this case)."""
        with self.store.reading() as db:
            row = db.execute(
                "SELECT s.content FROM changes c JOIN sources s ON s.etag = c.etag "
                "WHERE c.id = ? AND c.folder = ?",
                (entry, self._folder(case_file)),
            ).fetchone()
        return bytes(row[0]) if row else None
