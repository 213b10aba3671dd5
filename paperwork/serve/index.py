"""The index of a workspace's cases: what the list, search and the ledger need, kept in the workspace's
database and following the files.

The files stay the truth. Before each answer that lists cases, :meth:`CaseIndex.refresh` looks at
every case folder's ``case.yaml`` (one ``stat`` each: size, modification time, inode) and re-reads
and re-checks only the cases that changed, were added or were removed — a hand edit, a ``git
pull`` or the CLI shows at the next request, and a workspace of thousands costs thousands of
``stat`` calls, not thousands of checks. A row also remembers the day and the rules it was checked
under: the next day (a step's working days left change) every case is checked again, once.
Deleting the index (its tables, or the database) only costs a rebuild.

Search is SQLite's FTS5 with the trigram tokenizer: any substring of three characters or more —
Chinese included, where words have no spaces — found through the index; one or two characters (a
surname, 宏达) by a scan of the same text, which at thousands of cases is a few milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from paperwork._version import __version__
from paperwork.case.collection import CASE_FILE
from paperwork.errors import OutsideWorkspace, PaperworkError
from paperwork.render.ledger import LedgerLine, ledger_line
from paperwork.rules.checked import Checked
from paperwork.serve.overview import ServerSettings, check, list_row, urgency
from paperwork.serve.store import Store
from paperwork.serve.watch import FolderWatch
from paperwork.serve.workspace import CaseFolder, Workspace

__all__ = ["SORTS", "CaseIndex", "Query"]

log = logging.getLogger("paperwork.serve")

_TABLES = """
CREATE TABLE IF NOT EXISTS case_index (
    id INTEGER PRIMARY KEY,
    folder TEXT NOT NULL UNIQUE,
    identity TEXT NOT NULL,          -- the file's size, mtime and inode: a change of any is a change
    checked_as TEXT NOT NULL,        -- the day and rules it was checked under
    case_id TEXT NOT NULL,
    state TEXT,
    kind TEXT,
    rank1 INTEGER NOT NULL,          -- the list's urgency order
    rank2 INTEGER NOT NULL,
    activity REAL NOT NULL,          -- the file's modification time: newest activity first
    row TEXT NOT NULL,               -- the list's row (JSON)
    ledger TEXT NOT NULL,            -- the ledger's line (JSON)
    search TEXT NOT NULL             -- what search looks in, lower case
);
CREATE INDEX IF NOT EXISTS case_index_urgency ON case_index (rank1, rank2, case_id);
CREATE INDEX IF NOT EXISTS case_index_activity ON case_index (activity DESC, case_id);
CREATE INDEX IF NOT EXISTS case_index_state ON case_index (state, kind);
CREATE VIRTUAL TABLE IF NOT EXISTS case_search USING fts5(text, tokenize = 'trigram');
"""

#: The orders a list may take: the most urgent first (the clerk's list), or the newest activity first.
SORTS = ("urgency", "activity")
_ORDER = {"urgency": "rank1, rank2, case_id", "activity": "activity DESC, case_id"}
#: How many re-checked cases are written in one transaction while (re)building.
_BATCH = 200
#: Even with a watch, every folder is looked at after this many seconds (a change the watch cannot see:
#: a network share, a clock set back).
_FULL_LOOK = 300.0


@dataclass(frozen=True)
class Query:
    """What a list asks for: search text, a state (超期/进行中/已完成), a kind (新装/增容), a page, an
    order."""

    q: str = ""
    state: str = ""
    kind: str = ""
    limit: int | None = None
    offset: int = 0
    sort: str = "urgency"


def _searchable(case_id: str, folder: str, checked: Checked) -> str:
    """The text search looks in: ids, the customer's name, 户号, addresses and phones, the contractor, every
    paper's title and 文号."""
    words: list[str | None] = [case_id, folder]
    if checked.resolved is not None:
        c = checked.resolved.case
        cu = c.customer
        words += [cu.name, cu.account_no, cu.address, cu.mail_address, cu.phone, cu.mobile]
        if cu.agent is not None:
            words += [cu.agent.name, cu.agent.phone, cu.agent.mobile]
        if c.contractor is not None:
            words += [c.contractor.name, c.contractor.contact, c.contractor.phone]
        for doc in c.documents:
            words += [doc.title, doc.number]
    return "\n".join(str(w) for w in words if w).lower()


def _identity(path: Path) -> str | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ino}"


class CaseIndex:
    """The cases of ``workspace`` as rows in ``store``, checked as ``settings`` says."""

    def __init__(
        self, store: Store, workspace: Workspace, settings: ServerSettings, watch: FolderWatch | None = None
    ) -> None:
        self.store, self.workspace, self.settings, self.watch = store, workspace, settings, watch
        self._lock = threading.Lock()
        self._as_of = ""  # the day and rules of the last full look; another one: look at every case again
        self._looked = 0.0  # when every folder was last looked at

    def _checked_as(self) -> str:
        """The day, the rules and the program a row was checked under: a row checked otherwise is checked
        again (a new version of paperwork may check differently)."""
        s = self.settings
        rules = f"{__version__}|{s.day}|{s.regime.name if s.regime else ''}|{s.calendar.sources}"
        rules += f"|{sorted(s.calendar.workdays)}"
        return hashlib.sha256(f"{rules}|{sorted(s.calendar.holidays)}".encode()).hexdigest()[:16]

    def _folders(self) -> list[str]:
        """Every folder directly inside the workspace (hidden ones aside)."""
        with os.scandir(self.workspace.root) as entries:
            return [e.name for e in entries if not e.name.startswith(".") and e.is_dir()]

    def _ensure(self) -> bool:
        """Make the index's tables if missing (never made, or deleted); whether they were."""
        with self.store.reading() as db:
            if _has_tables(db):
                return False
            db.executescript(_TABLES)
        return True

    def _known(self, names: list[str] | None = None) -> dict[str, str]:
        """What the index holds of the folders ``names`` (None: of all): ``identity|checked_as`` by folder."""
        query = "SELECT folder, identity || '|' || checked_as FROM case_index"
        with self.store.reading() as db:
            if names is None or len(names) > 500:  # many at once (a git pull): one read of all, then pick
                every = dict(db.execute(query))
                return every if names is None else {n: every[n] for n in names if n in every}
            return dict(db.execute(f"{query} WHERE folder IN ({', '.join('?' for _ in names)})", names))

    def _which(self, as_of: str, rebuilt: bool) -> list[str] | None:
        """The folders to look at: those the watch saw change, or None for every one (no watch, a new day, a
        rebuilt index, a lost event, or five minutes since the last full look)."""
        changed = self.watch.take() if self.watch is not None else None
        if rebuilt or changed is None or as_of != self._as_of or time.monotonic() - self._looked > _FULL_LOOK:
            return None
        return sorted(changed)

    def refresh(self, tell: Callable[[int, int], None] | None = None) -> int:
        """Bring the index up to the files; how many cases were (re)checked. ``tell(done, total)`` hears how
        far a long rebuild has got."""
        with self._lock:
            rebuilt = self._ensure()
            as_of = self._checked_as()
            names = self._which(as_of, rebuilt)
            if names is None:
                names = self._folders()
                if self.watch is not None and not self._as_of:  # the first look: watch every folder
                    for name in names:
                        self.watch.follow(name)
                self._looked, self._as_of = time.monotonic(), as_of
                known = self._known()
            else:
                known = self._known(names)
            now: dict[str, tuple[CaseFolder, str]] = {}
            for name in names:
                folder = self.workspace.root / name
                identity = _identity(folder / CASE_FILE)
                if identity is not None:
                    now[name] = (CaseFolder(name, folder), identity)
            stale = [n for n, (_, ident) in now.items() if known.get(n) != f"{ident}|{as_of}"]
            gone = [n for n in known if n not in now]
            if gone:
                with self.store.writing() as db:
                    for name in gone:
                        self._drop(db, name)
            for start in range(0, len(stale), _BATCH):
                batch = stale[start : start + _BATCH]
                made = [self._made(*now[name], as_of) for name in batch]
                with self.store.writing() as db:
                    for name, values in zip(batch, made, strict=True):
                        self._drop(db, name)
                        if values is not None:
                            self._put(db, values)
                if tell is not None:
                    tell(min(start + _BATCH, len(stale)), len(stale))
            return len(stale)

    def keep_up(self, every: float = 60.0) -> threading.Event:
        """Refresh the index every ``every`` seconds in a background thread, so that a new day's re-check of
        every case (a minute at thousands of cases) happens there, not on the first request of the morning;
        set the returned event to stop it."""
        stop = threading.Event()

        def loop() -> None:
            while not stop.wait(every):
                try:
                    self.refresh()
                except (PaperworkError, OSError) as exc:  # the next request says what is wrong
                    log.warning("案卷索引没有更新：%s", exc)

        threading.Thread(target=loop, name="paperwork-index", daemon=True).start()
        return stop

    def _made(self, case: CaseFolder, identity: str, as_of: str) -> dict[str, object] | None:
        """A case's index row, checked now (None: its folder leads out of the workspace)."""
        try:
            self.workspace.inside(case.case_file)
        except (OutsideWorkspace, OSError):
            return None
        settings = self.settings
        checked = check(case.case_file, settings)
        case_id = self.workspace.case_id(case)
        row = list_row(case_id, case, checked, settings)
        line = ledger_line(case.case_file, checked, settings.regime, settings.calendar, settings.day)
        rank = urgency(row)
        try:
            activity = case.case_file.stat().st_mtime
        except OSError:
            activity = 0.0
        return {
            "folder": case.name,
            "identity": identity,
            "checked_as": as_of,
            "case_id": case_id,
            "state": row["state"],
            "kind": row["kind"],
            "rank1": rank[0],
            "rank2": rank[1],
            "activity": activity,
            "row": json.dumps(row, ensure_ascii=False),
            "ledger": json.dumps(line.to_dict(), ensure_ascii=False),
            "search": _searchable(case_id, case.name, checked),
        }

    @staticmethod
    def _drop(db: sqlite3.Connection, folder: str) -> None:
        found = db.execute("SELECT id FROM case_index WHERE folder = ?", (folder,)).fetchone()
        if found is not None:
            db.execute("DELETE FROM case_search WHERE rowid = ?", found)
            db.execute("DELETE FROM case_index WHERE id = ?", found)

    @staticmethod
    def _put(db: sqlite3.Connection, values: dict[str, object]) -> None:
        names = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = db.execute(f"INSERT INTO case_index ({names}) VALUES ({marks})", tuple(values.values()))
        db.execute(
            "INSERT INTO case_search (rowid, text) VALUES (?, ?)", (cursor.lastrowid, values["search"])
        )

    def _where(self, query: Query) -> tuple[str, list[object]]:
        clauses: list[str] = []
        args: list[object] = []
        text = query.q.strip().lower()
        if len(text) >= 3:
            clauses.append("id IN (SELECT rowid FROM case_search WHERE case_search MATCH ?)")
            args.append('"' + text.replace('"', '""') + '"')
        elif text:
            clauses.append("instr(search, ?) > 0")
            args.append(text)
        if query.state:
            clauses.append("state = ?")
            args.append(query.state)
        if query.kind:
            clauses.append("kind = ?")
            args.append(query.kind)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def rows(self, query: Query) -> tuple[int, list[dict[str, object]]]:
        """The matching cases' list rows (a page of them, in the asked order) and how many match in all."""
        self.refresh()
        where, args = self._where(query)
        order = _ORDER.get(query.sort, _ORDER["urgency"])
        page = (
            f" LIMIT {int(query.limit)} OFFSET {max(0, int(query.offset))}" if query.limit is not None else ""
        )
        with self.store.reading() as db:
            total = db.execute(f"SELECT count(*) FROM case_index{where}", args).fetchone()[0]
            found = db.execute(f"SELECT row FROM case_index{where} ORDER BY {order}{page}", args).fetchall()
        return int(total), [json.loads(r) for (r,) in found]

    def counts(self, query: Query) -> dict[str, int]:
        """How many cases match the search (and kind) in each state, and in all (``all``)."""
        where, args = self._where(Query(q=query.q, kind=query.kind))
        with self.store.reading() as db:
            found = dict(
                db.execute(f"SELECT state, count(*) FROM case_index{where} GROUP BY state", args).fetchall()
            )
        return {"all": sum(found.values()), **{str(k): int(v) for k, v in found.items()}}

    def ledger(self) -> list[LedgerLine]:
        """Every case's ledger line, by case id."""
        self.refresh()
        with self.store.reading() as db:
            found = db.execute("SELECT ledger FROM case_index ORDER BY case_id, folder").fetchall()
        return [LedgerLine.from_dict(json.loads(text)) for (text,) in found]


def _has_tables(db: sqlite3.Connection) -> bool:
    names = ("case_index", "case_search")
    found = db.execute("SELECT count(*) FROM sqlite_master WHERE name IN (?, ?)", names).fetchone()
    return bool(found[0] == len(names))
