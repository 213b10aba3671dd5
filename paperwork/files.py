"""Files as every layer handles them: what a file is by its content, safe names, digests, atomic writes.

One implementation each, used by the binder (attachments), the intake (scans), the
server (uploads) and every writer of a file a user may be reading:

- :func:`sniff` decides a file's kind from its first bytes, never from its name;
- :func:`safe_name` and :func:`free_name` make names that work on any system and never
  land on another file;
- :func:`sha256_of` is the one file digest;
- :func:`atomic_path` and :func:`write_atomic` write into a temporary file beside the
  target and rename it over the target only when the write is complete (fsynced), so a
  reader sees the old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = [
    "HEAD",
    "NAME_BYTES",
    "UNSAFE_CHARACTERS",
    "FileKind",
    "Sniffed",
    "atomic_path",
    "claim_name",
    "free_name",
    "is_device_name",
    "is_word",
    "safe_name",
    "sha256_of",
    "sniff",
    "sniff_file",
    "within_bytes",
    "write_atomic",
]

FileKind = Literal["pdf", "image", "office"]
#: Characters that are not allowed in a file name on Windows (and ``/`` nowhere).
UNSAFE_CHARACTERS = '/\\:*?"<>|'
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Word 97–2003 (.doc) and other OLE files
_IMAGES = (
    (b"\x89PNG\r\n\x1a\n", ".png"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"GIF8", ".gif"),
    (b"II*\x00", ".tif"),
    (b"MM\x00*", ".tif"),
    (b"BM", ".bmp"),
)
#: How many bytes :func:`sniff` wants to see.
HEAD = 2048


@dataclass(frozen=True)
class Sniffed:
    """What a file is by its content: its kind and the suffix a program should see it under."""

    kind: FileKind
    suffix: str


def sniff(head: bytes) -> Sniffed | None:
    """The kind of a file from its first bytes (:data:`HEAD` of them); None when it is none we know.

    A ZIP is taken for a DOCX here; :func:`is_word` confirms it once the whole file is there.
    """
    if b"%PDF-" in head[:1024]:
        return Sniffed("pdf", ".pdf")
    for magic, suffix in _IMAGES:
        if head.startswith(magic):
            return Sniffed("image", suffix)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed("image", ".webp")
    if head.startswith(b"PK\x03\x04"):
        return Sniffed("office", ".docx")
    if head.startswith(_OLE):
        return Sniffed("office", ".doc")
    if head.lstrip().startswith(b"{\\rtf"):
        return Sniffed("office", ".rtf")
    return None


def sniff_file(path: Path) -> Sniffed | None:
    """:func:`sniff` of a file on disk (OSError when it cannot be read)."""
    with path.open("rb") as fh:
        return sniff(fh.read(HEAD))


def is_word(path: Path) -> bool:
    """Whether a ZIP file is a Word document (it holds ``word/document.xml``)."""
    try:
        with zipfile.ZipFile(path) as z:
            return "word/document.xml" in z.namelist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
        return False


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in blocks (hex)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


#: Names Windows keeps for devices, with any extension (``NUL.pdf`` is the device NUL there).
_DEVICE = re.compile(r"(?i)^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$")

#: The bytes a name may take (UTF-8): file systems allow 255, and a suffix or ``-2`` may follow.
NAME_BYTES = 200


def is_device_name(name: str) -> bool:
    """Whether Windows would take ``name`` for a device (CON, NUL.pdf, com1 …)."""
    return bool(_DEVICE.match(name.strip().rstrip(". ")))


def within_bytes(text: str, limit: int = NAME_BYTES) -> str:
    """``text`` cut to at most ``limit`` bytes of UTF-8, never inside a character."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def safe_name(text: str, fallback: str = "file", limit: int = 120) -> str:
    """``text`` as a file name on any system: unsafe and control characters become ``_``,
    no leading dot or space, no trailing dot or space, at most ``limit`` characters and
    :data:`NAME_BYTES` bytes, never a Windows device name; ``fallback`` when nothing is left."""
    name = "".join("_" if c in UNSAFE_CHARACTERS or ord(c) < 32 or ord(c) == 127 else c for c in text)
    name = within_bytes(name[:limit]).strip(". ")
    if is_device_name(name):
        name = f"_{name}"
    return name or fallback


def _candidates(folder: Path, stem: str, suffix: str, limit: int = 1000) -> Iterator[Path]:
    """``stem+suffix``, ``stem-2+suffix``, … : the names tried for a new file, in order."""
    for n in range(1, limit):
        yield folder / (f"{stem}{suffix}" if n == 1 else f"{stem}-{n}{suffix}")


def free_name(
    folder: Path, stem: str, suffix: str, same: Callable[[Path], bool] | None = None, limit: int = 1000
) -> Path | None:
    """``folder/stem+suffix``, or ``stem-2``, ``stem-3`` … : the first name not taken, or taken by
    a file that ``same`` says is the very one being written (then it is reused). None when
    ``limit`` names are all taken."""
    for target in _candidates(folder, stem, suffix, limit):
        if not target.exists() and not target.is_symlink():
            return target
        if same is not None and target.is_file() and not target.is_symlink() and same(target):
            return target
    return None


def claim_name(
    tmp: Path, folder: Path, stem: str, suffix: str, same: Callable[[Path], bool] | None = None
) -> Path | None:
    """Move the finished file ``tmp`` to the first free name :func:`free_name` would give — claimed
    atomically (a hard link fails when another writer took the name first: the next is tried), so
    two writers at once never get, or overwrite, the same name. A name ``same`` says holds this very
    file is reused (``tmp`` is removed). None when every name is taken."""
    for target in _candidates(folder, stem, suffix):
        if target.exists() or target.is_symlink():
            if same is not None and target.is_file() and not target.is_symlink() and same(target):
                tmp.unlink()
                return target
            continue
        try:
            os.link(tmp, target)
        except FileExistsError:
            continue  # taken between the look and the claim
        except OSError:  # a file system without hard links: an exclusive create, then the move
            try:
                os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            except FileExistsError:
                continue
            os.replace(tmp, target)
            return target
        tmp.unlink()
        return target
    return None


@contextlib.contextmanager
def atomic_path(path: Path, *, mode: int | None = None, durable: bool = True) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; moved over ``path`` when the block ends
    without an error (flushed to disk first), removed otherwise.

    The new file keeps the permissions of the file it replaces (``mode``, else 0644 for a new one).
    ``durable=False`` skips the flush: for files that are checked when read (a cache entry against
    its digest), where a crash may cost the entry but never gives a wrong one.
    """
    fd, name = tempfile.mkstemp(prefix=f".{path.name[:60]}.", suffix=".part", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if durable:
            with tmp.open("rb+") as fh:
                os.fsync(fh.fileno())
        keep = mode if mode is not None else (path.stat().st_mode & 0o777 if path.exists() else 0o644)
        with contextlib.suppress(OSError):
            os.chmod(tmp, keep)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def write_atomic(path: Path, data: bytes | str, *, durable: bool = True) -> Path:
    """Write ``data`` (text as UTF-8, newlines untouched) to ``path`` atomically; return ``path``."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path, durable=durable) as tmp:
        tmp.write_bytes(raw)
    return path
