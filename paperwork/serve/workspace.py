"""The workspace: a folder of case folders, each with its ``case.yaml`` and its scans.

Names that come from a request (a case id, a file name) are checked before they
touch the disk: no separators, no ``..``, nothing hidden, nothing that resolves
outside the workspace (a symlink out included) — :class:`OutsideWorkspace` otherwise.
Uploads are judged by content, kept under the case's ``scans/`` and never written
over another file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from paperwork.case.collection import CASE_FILE
from paperwork.case.paths import label_of
from paperwork.case.yamlfile import parse_yaml
from paperwork.errors import BadUpload, OutsideWorkspace, PaperworkError
from paperwork.files import (
    HEAD,
    NAME_BYTES,
    UNSAFE_CHARACTERS,
    claim_name,
    is_device_name,
    is_word,
    safe_name,
    sha256_of,
    sniff,
)
from paperwork.finding import Finding

__all__ = [
    "BUILD_FOLDER",
    "MAX_UPLOAD",
    "SCANS_FOLDER",
    "CaseFolder",
    "Workspace",
]

BUILD_FOLDER = "装订"  # where a case's binders are built, inside its folder
SCANS_FOLDER = "scans"
MAX_UPLOAD = 50 * 1024 * 1024  # a 100-page 300-dpi colour scan is about this
_NAME = re.compile(rf"[^\x00-\x1f\x7f{re.escape(UNSAFE_CHARACTERS)}]{{1,120}}")


def plain_name(name: str, what: str) -> str:
    """``name`` if it is one plain path component; OutsideWorkspace saying why otherwise."""
    name = unicodedata.normalize("NFC", name)
    if len(name.encode("utf-8")) > NAME_BYTES:
        raise OutsideWorkspace(
            f"{what}“{name[:20]}…”太长：最多 {NAME_BYTES} 字节（约 {NAME_BYTES // 3} 个汉字）"
        )
    if is_device_name(name):
        raise OutsideWorkspace(f"{what}“{name}”不能用：Windows 把这个名字留给设备（CON、NUL、COM1 …）")
    if (
        not _NAME.fullmatch(name)
        or name in {".", ".."}
        or name.startswith((".", " "))
        or name.endswith((" ", "."))
    ):
        raise OutsideWorkspace(
            f'{what}“{name[:60]}”不能用：只能是一个普通的名字（不含 / \\ : * ? " < > |，不以点开头，不是 ..）'
        )
    return name


@dataclass(frozen=True)
class CaseFolder:
    """One case's folder in the workspace."""

    name: str
    folder: Path

    @property
    def case_file(self) -> Path:
        return self.folder / CASE_FILE

    @property
    def out(self) -> Path:
        return self.folder / BUILD_FOLDER


_CASE_ID_LINE = re.compile(r"^case_id:\s*(\S+)\s*(?:#.*)?$", re.M)


class Workspace:
    """The folder the server serves; every path it hands out is inside it."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._ids: dict[Path, tuple[int, str]] = {}

    def inside(self, path: Path) -> Path:
        """``path`` resolved (symlinks followed); OutsideWorkspace if that leaves the workspace."""
        real = path.resolve()
        if real != self.root and self.root not in real.parents:
            raise OutsideWorkspace(f"{path.name} 指向工作区之外，不能使用")
        return real

    def cases(self) -> list[CaseFolder]:
        """Every folder directly inside the workspace that holds a case file, by name."""
        found = []
        for child in sorted(self.root.iterdir(), key=lambda p: p.name):
            if child.name.startswith(".") or not (child / CASE_FILE).is_file():
                continue
            with contextlib.suppress(OutsideWorkspace):
                self.inside(child / CASE_FILE)
                found.append(CaseFolder(child.name, child))
        return found

    def case(self, case_id: str) -> CaseFolder | None:
        """The case whose file says ``case_id: …``, else the folder of that name (None: neither)."""
        name = plain_name(case_id, "案卷编号")
        named = CaseFolder(name, self.root / name)
        if named.case_file.is_file() and self.case_id(named) == name:  # the usual case: no scan of thousands
            self.inside(named.case_file)
            return named
        for case in self.cases():
            if self.case_id(case) == name:
                return case
        folder = self.root / name
        if not (folder / CASE_FILE).is_file():
            return None
        self.inside(folder / CASE_FILE)
        return CaseFolder(name, folder)

    def case_id(self, case: CaseFolder) -> str:
        """The ``case_id`` its file gives (read again only when the file changed), else the folder's name."""
        path = case.case_file
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            return case.name
        known = self._ids.get(path)
        if known is not None and known[0] == stamp:
            return known[1]
        found = case.name
        with contextlib.suppress(OSError, UnicodeDecodeError):
            text = path.read_text(encoding="utf-8-sig")
            try:
                data = parse_yaml(text, str(path)).data
                value = data.get("case_id") if isinstance(data, dict) else None
            except PaperworkError:  # broken by hand: its case_id line still names it, to be repaired
                line = _CASE_ID_LINE.search(text)
                value = line.group(1).strip("\"'") if line else None
            if isinstance(value, str) and _NAME.fullmatch(value) and value not in {".", ".."}:
                found = value
        self._ids[path] = (stamp, found)
        return found

    def new_case_folder(self, case_id: str) -> CaseFolder:
        name = plain_name(case_id, "案卷编号")
        return CaseFolder(name, self.root / name)

    def out_of(self, case: CaseFolder) -> Path:
        """The case's build folder, made if missing; OutsideWorkspace when it (a link) leads out."""
        self.inside(case.folder)
        if case.out.is_symlink() or case.out.exists():
            self.inside(case.out)
        case.out.mkdir(exist_ok=True)
        return self.inside(case.out)

    def escaping(self, case: CaseFolder, data: object) -> tuple[Finding, ...]:
        """The files a case's data names (each paper's ``file``, its ``bureau`` data) that lie outside
        the workspace once links are followed — an absolute path, ``../``, a link under scans/ that
        leads out: one ``PATH_OUTSIDE_WORKSPACE`` error each. The server neither saves nor builds them."""
        if not isinstance(data, dict):
            return ()
        named: list[tuple[str, object]] = [("bureau", data.get("bureau"))]
        docs = data.get("documents")
        if isinstance(docs, list):
            named += [
                (f"documents[{i}].file", d.get("file")) for i, d in enumerate(docs) if isinstance(d, dict)
            ]
        found = []
        for path, value in named:
            if not isinstance(value, str) or not value.strip():
                continue
            try:
                self.inside(case.folder / value.strip())
            except (OutsideWorkspace, OSError, ValueError):
                message = (
                    f"“{value.strip()[:80]}”在工作区之外（绝对路径、../ 或指向外面的链接）；"
                    "服务器只用工作区里的文件：请把文件上传到案卷，或改成案卷文件夹里的相对路径"
                )
                found.append(
                    Finding("PATH_OUTSIDE_WORKSPACE", "error", message, path=path, label=label_of(path))
                )
        return tuple(found)

    def output(self, case: CaseFolder, name: str) -> Path | None:
        """A built file of the case (大本资料.pdf …) if it exists."""
        path = case.out / plain_name(name, "文件名")
        if not path.is_file():
            return None
        self.inside(path)
        return path

    def store_upload(self, case: CaseFolder, filename: str, stream: BinaryIO, limit: int = MAX_UPLOAD) -> str:
        """Save an upload under the case's scans/; return its path relative to the case folder.

        The same content uploaded again gives the file already there; another file of the
        same name gets a new name (名称-2.pdf), never written over.
        """
        scans = case.folder / SCANS_FOLDER
        scans.mkdir(exist_ok=True)
        self.inside(scans)
        fd, tmp_name = tempfile.mkstemp(prefix=".upload-", dir=scans)
        tmp = Path(tmp_name)
        try:
            size, sha, head = 0, hashlib.sha256(), b""
            with os.fdopen(fd, "wb") as fh:
                while chunk := stream.read(1 << 20):
                    size += len(chunk)
                    if size > limit:
                        mb = limit // (1024 * 1024)
                        message = f"文件 {filename} 超过 {mb} MB，请压缩或分开上传"
                        raise BadUpload(message, "too_large", limit)
                    if len(head) < HEAD:
                        head += chunk[: HEAD - len(head)]
                    sha.update(chunk)
                    fh.write(chunk)
            if size == 0:
                raise BadUpload(f"文件 {filename} 是空的", "empty")
            kind = sniff(head)
            if kind is None or (kind.suffix == ".docx" and not is_word(tmp)):
                why = (
                    "不是 PDF、图片（JPG、PNG、TIF …）、DOCX、DOC 或 RTF（按文件内容判断）；"
                    "请上传扫描件或 Word 文件"
                )
                raise BadUpload(f"文件 {filename} {why}", "wrong_kind")
            digest = sha.hexdigest()
            stem = safe_name(Path(filename.replace("\\", "/").split("/")[-1]).stem, "scan", 80)
            target = claim_name(tmp, scans, stem, kind.suffix, lambda p: sha256_of(p) == digest)
            if target is None:
                raise BadUpload(f"scans 文件夹里名为 {stem} 的文件太多", "no_free_name")
            return f"{SCANS_FOLDER}/{target.name}"
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
