"""A content-addressed cache of filled forms and their PDFs.

Keys are SHA-256 digests of what determines the result: for a filled DOCX the
template's bytes and the form's values, for a PDF the DOCX's bytes and the
converter's set-up. An entry is written atomically with the SHA-256 of its own
bytes beside it (written last), and checked against it when read: an entry that
was cut short, damaged or swapped for another file is deleted and made again,
never trusted. So entries are not flushed to disk one by one (a batch writes about
seventy a case): a crash can cost an entry, never give a wrong one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import shutil
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from paperwork.binder.page_ranges import PDF_ERRORS, PdfPart, count_pages
from paperwork.files import sha256_of, write_atomic
from paperwork.render import docx_templates as templates

__all__ = ["Cache", "digest", "document_digest", "fill_cached"]


def digest(*parts: bytes | str | object) -> str:
    """SHA-256 over the parts (text as UTF-8, other objects as canonical JSON)."""
    h = hashlib.sha256()
    for part in parts:
        if isinstance(part, bytes):
            data = part
        elif isinstance(part, str):
            data = part.encode("utf-8")
        else:
            data = json.dumps(part, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def document_digest(path: Path) -> str:
    """SHA-256 of what a DOCX holds: each part's name and bytes, not the zip's timestamps.

    python-docx stamps zip entries with the time of saving, so two saves of the
    same document differ as files; their parts do not. Other files: their bytes.
    """
    try:
        with zipfile.ZipFile(path) as z:
            h = hashlib.sha256()
            for name in sorted(z.namelist()):
                h.update(name.encode("utf-8") + b"\0")
                h.update(hashlib.sha256(z.read(name)).digest())
            return h.hexdigest()
    except zipfile.BadZipFile:
        return sha256_of(path)


class Cache:
    """Files stored under their key; ``None`` as the folder turns caching off."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def _path(self, kind: str, key: str, suffix: str) -> Path:
        assert self.folder is not None
        return self.folder / kind / key[:2] / f"{key}{suffix}"

    def get(self, kind: str, key: str, suffix: str) -> Path | None:
        """The cached file, or None (a missing or broken entry counts as a miss)."""
        if self.folder is None:
            return None
        path = self._path(kind, key, suffix)
        if path.is_file() and _intact(path) and _sound(path, suffix):
            self.hits += 1
            return path
        _drop(path)
        self.misses += 1
        return None

    def get_pdf(self, key: str) -> PdfPart | None:
        """The cached PDF pages for ``key`` (a whole PDF or a range of a merged one), or None."""
        hit = self.get("pdf", key, ".pdf")
        if hit is not None:
            stat = hit.stat()
            return PdfPart(hit, 0, _pages(str(hit), stat.st_size, stat.st_mtime_ns))
        return self.get_slice(key)

    def put_slice(self, key: str, part: PdfPart) -> None:
        """Record that the PDF for ``key`` is a page range of a stored blob."""
        if self.folder is None:
            return
        entry = self._path("pdf", key, ".slice.json")
        entry.parent.mkdir(parents=True, exist_ok=True)
        data = {"blob": str(part.path.relative_to(self.folder)), "start": part.start, "end": part.end}
        write_atomic(entry, json.dumps(data), durable=False)

    def get_slice(self, key: str) -> PdfPart | None:
        """The page range of a stored blob recorded for ``key``, or None (dropped if the blob is broken)."""
        if self.folder is None:
            return None
        entry = self._path("pdf", key, ".slice.json")
        if not entry.is_file():
            return None
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))
            blob, start, end = self.folder / str(data["blob"]), int(data["start"]), int(data["end"])
            stat = blob.stat()
            if _intact(blob) and 0 <= start < end <= _pages(str(blob), stat.st_size, stat.st_mtime_ns):
                self.hits += 1
                return PdfPart(blob, start, end)
        except (OSError, ValueError, KeyError, TypeError):
            pass
        entry.unlink(missing_ok=True)
        self.misses += 1
        return None

    def put(self, kind: str, key: str, suffix: str, source: Path) -> Path:
        """Store a copy of ``source`` under ``key``; returns the cached path (or source when off)."""
        if self.folder is None:
            return source
        path = self._path(kind, key, suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        write_atomic(path, data, durable=False)
        write_atomic(_sum_of(path), hashlib.sha256(data).hexdigest(), durable=False)  # last: marks it whole
        return path


def _sum_of(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _drop(path: Path) -> None:
    """Throw a broken entry away (it is made again)."""
    path.unlink(missing_ok=True)
    _sum_of(path).unlink(missing_ok=True)


def _intact(path: Path) -> bool:
    """Whether an entry's bytes are the ones stored (its SHA-256 matches); checked once per version."""
    try:
        stat = path.stat()
    except OSError:
        return False
    return _matches(str(path), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=4096)
def _matches(path_text: str, _size: int, _mtime: int) -> bool:
    path = Path(path_text)
    try:
        return _sum_of(path).read_text(encoding="ascii").strip() == sha256_of(path)
    except (OSError, UnicodeDecodeError):
        return False


@functools.lru_cache(maxsize=1024)
def _pages(path_text: str, _size: int, _mtime: int) -> int:
    """Pages of a cached PDF, counted once per file version and process (0 if unreadable)."""
    try:
        return count_pages(Path(path_text))
    except PDF_ERRORS:
        return 0


def _sound(path: Path, suffix: str) -> bool:
    """A quick check that a cached file is what it claims to be."""
    try:
        if path.stat().st_size == 0:
            return False
        if suffix == ".pdf":
            stat = path.stat()
            return _pages(str(path), stat.st_size, stat.st_mtime_ns) > 0
        if suffix == ".docx":
            with path.open("rb") as fh:
                return fh.read(2) == b"PK"
    except PDF_ERRORS:
        return False
    return True


@functools.lru_cache(maxsize=256)
def _template_digest(path_text: str, _mtime: int, _size: int) -> str:
    """A template's :func:`document_digest`, once per file version and process (a batch fills each
    template many times)."""
    return document_digest(Path(path_text))


def fill_cached(key: str, context: Mapping[str, Any], out: Path, folder: Path | None, cache: Cache) -> Path:
    """Fill template ``key`` into ``out``; a form with the same template and values is filled once."""
    if not cache.enabled:
        return templates.render_docx(key, context, out, folder)
    path = templates.find_template(key, folder)
    stat = path.stat()
    stamp = digest("docx-v1", _template_digest(str(path), stat.st_mtime_ns, stat.st_size), dict(context))
    hit = cache.get("docx", stamp, ".docx")
    if hit is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(hit, out)
        return out
    templates.render_docx(key, context, out, folder)
    cache.put("docx", stamp, ".docx", out)
    return out
