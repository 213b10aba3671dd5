"""Which case folders changed since the index last looked: Linux's inotify, read at the time of asking.

The kernel queues an event the moment a file is written, renamed or removed, so reading the queue
(without waiting) when a request comes in sees every change made before it — a hand edit shows at
the next request without a ``stat`` of every case. One watch on the workspace (folders added,
removed, renamed) and one per case folder (its ``case.yaml`` written, replaced, removed; its scans
and builds are not watched). Where inotify is missing (another system), runs out of watches, or its
queue overflows, :meth:`FolderWatch.take` answers None and the index looks at every folder instead.
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from pathlib import Path
from typing import Any

from paperwork.case.collection import CASE_FILE

__all__ = ["FolderWatch"]

log = logging.getLogger("paperwork.serve")


class FolderWatch:
    """The case folders of ``root`` that changed since the last :meth:`take`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._notify: Any = None
        self._folders: dict[int, str] = {}  # watch descriptor → folder name ("" for the workspace)
        self._broken = False
        try:
            from inotify_simple import INotify, flags  # type: ignore[import-untyped]
        except (ImportError, OSError):  # not Linux: the index looks at every folder
            return
        self._flags = flags
        try:
            self._notify = INotify()
            weakref.finalize(self, self._notify.close)  # closed with the watch, whoever forgets to close it
            wd = self._notify.add_watch(
                root, flags.CREATE | flags.DELETE | flags.MOVED_FROM | flags.MOVED_TO | flags.ONLYDIR
            )
        except OSError as exc:
            log.warning("无法监视工作区的变化（%s）：每次请求都会查看所有案卷文件夹", exc)
            self._notify = None
            return
        self._folders[wd] = ""

    @property
    def working(self) -> bool:
        return self._notify is not None and not self._broken

    def follow(self, name: str) -> None:
        """Watch the case folder ``name`` (again: a folder made anew gets a new watch)."""
        if not self.working:
            return
        f = self._flags
        mask = (
            f.CLOSE_WRITE
            | f.MODIFY
            | f.MOVED_TO
            | f.MOVED_FROM
            | f.CREATE
            | f.DELETE
            | f.DELETE_SELF
            | f.ONLYDIR
        )
        try:
            wd = self._notify.add_watch(self.root / name, mask)
        except OSError as exc:  # gone already, or no watches left (fs.inotify.max_user_watches)
            if (self.root / name).is_dir():
                log.warning("无法再监视更多案卷文件夹（%s）：改为每次请求查看所有案卷文件夹", exc)
                self._broken = True
            return
        self._folders[wd] = name

    def take(self) -> set[str] | None:
        """The folders changed since the last call (names; a folder removed is among them), read from the
        kernel's queue without waiting. None: not known — look at every folder."""
        if not self.working:
            return None
        f = self._flags
        changed: set[str] = set()
        try:
            events = self._notify.read(timeout=0)
        except OSError:
            self._broken = True
            return None
        for event in events:
            if event.mask & f.Q_OVERFLOW:
                self._broken = True  # events were lost: from now on, every folder at every request
                return None
            folder = self._folders.get(event.wd)
            if event.mask & f.IGNORED:
                self._folders.pop(event.wd, None)
                continue
            if folder is None:
                continue
            if folder == "":  # in the workspace: a folder made, removed or renamed
                if event.name and not event.name.startswith("."):
                    changed.add(event.name)
                    if event.mask & (f.CREATE | f.MOVED_TO):
                        self.follow(event.name)
            elif event.name == CASE_FILE or event.mask & f.DELETE_SELF:
                changed.add(folder)
        return changed

    def close(self) -> None:
        if self._notify is not None:
            with contextlib.suppress(OSError):
                self._notify.close()
