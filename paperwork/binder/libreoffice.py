"""DOCX → PDF through LibreOffice headless, many files per run.

One ``soffice`` process converts a whole batch (start-up dominates the cost of a
single conversion). Each run has a private user profile, so parallel runs do
not fight over a lock, and a private fontconfig that maps 宋体/仿宋 to Noto Serif
CJK and 黑体 to Noto Sans CJK. A hung run is killed with its process group and
tried once more; every expected PDF must exist and be non-empty.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from paperwork.errors import ConversionError

__all__ = [
    "INSTALL_HINT",
    "cjk_fonts",
    "convert_batch",
    "find_soffice",
    "require_cjk_font",
    "soffice_version",
]

INSTALL_HINT = "sudo apt-get install -y --no-install-recommends libreoffice-writer-nogui fonts-noto-cjk"

_FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
{aliases}
</fontconfig>
"""
_ALIASES = {
    "Noto Serif CJK SC": ["宋体", "SimSun", "仿宋", "FangSong", "仿宋_GB2312", "楷体", "KaiTi"],
    "Noto Sans CJK SC": ["黑体", "SimHei", "微软雅黑", "Microsoft YaHei"],
}


# Word bookmarks become named destinations: merged batches are cut at them (see conversion.py)
_PDF_FILTER = 'pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}'


def find_soffice() -> Path:
    """The LibreOffice executable, or ConversionError saying what to install.

    ``PAPERWORK_SOFFICE`` names another executable (a wrapper, or a test double).
    """
    override = os.environ.get("PAPERWORK_SOFFICE")
    if override:
        if Path(override).is_file():
            return Path(override)
        raise ConversionError(f"PAPERWORK_SOFFICE 指向的 {override} 不存在；请改正或删去这个环境变量")
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return Path(found)
    for candidate in ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice"):
        if Path(candidate).is_file():
            return Path(candidate)
    raise ConversionError(f"找不到 LibreOffice（soffice），无法把表单转换成 PDF；请安装：{INSTALL_HINT}")


def soffice_version() -> str:
    """LibreOffice's own version line."""
    out = subprocess.run([str(find_soffice()), "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


def cjk_fonts() -> list[str]:
    """Installed fonts that cover Chinese (fontconfig's answer), empty if none."""
    if not shutil.which("fc-list"):
        return []
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=60)
    return sorted({line.split(",")[0].strip() for line in out.stdout.splitlines() if line.strip()})


@functools.cache
def _has_cjk_font() -> bool:
    return bool(cjk_fonts())


def require_cjk_font() -> None:
    """Raise ConversionError naming the package when no font covers Chinese."""
    if not _has_cjk_font():
        raise ConversionError(f"没有可用的中文字体，表单会印成方框；请安装：{INSTALL_HINT}")


def _fontconfig(folder: Path) -> Path:
    aliases = "\n".join(
        f'  <alias binding="same"><family>{name}</family><prefer><family>{target}</family></prefer></alias>'
        for target, names in _ALIASES.items()
        for name in names
    )
    path = folder / "fonts.conf"
    path.write_text(_FONTS_CONF.format(aliases=aliases), encoding="utf-8")
    return path


_PROFILE_SLOTS = 8


@contextlib.contextmanager
def _profile(fallback: Path) -> Iterator[Path]:
    """A LibreOffice user profile used by this run alone.

    A profile that already exists saves LibreOffice a quarter of a second of
    set-up, so runs take one of a few kept profiles, each held with a lock while
    in use; when all are taken, or none can be kept, a fresh one in ``fallback``.
    """
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "paperwork" / "libreoffice"
    for slot in range(_PROFILE_SLOTS):
        try:
            base.mkdir(parents=True, exist_ok=True)
            handle = (base / f"{slot}.lock").open("a")
        except OSError:
            break
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        try:
            yield base / f"profile-{slot}"
            return
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
            handle.close()
    yield fallback / "profile"


@dataclass(frozen=True)
class _Run:
    returncode: int
    output: str
    timed_out: bool


def _run(cmd: list[str], env: dict[str, str], timeout: float) -> _Run:
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, start_new_session=True, text=True
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
        return _Run(proc.returncode, out or "", False)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return _Run(-9, out or "", True)


def convert_batch(files: list[Path], outdir: Path, *, timeout: float = 180.0) -> list[Path]:
    """Convert every file to PDF in ``outdir`` with one LibreOffice run.

    Input names must have distinct stems (the PDF takes the stem). Returns the
    PDFs in the order of ``files``; raises ConversionError naming any file that
    did not come out, after one retry of the files still missing.
    """
    if not files:
        return []
    stems = [f.stem for f in files]
    if len(set(stems)) != len(stems):
        raise ConversionError("一批转换中有同名文件，无法区分输出的 PDF")
    soffice = find_soffice()
    require_cjk_font()
    outdir.mkdir(parents=True, exist_ok=True)
    expected = [outdir / f"{f.stem}.pdf" for f in files]
    with tempfile.TemporaryDirectory(prefix="paperwork-lo-") as tmp, _profile(Path(tmp)) as profile:
        env = dict(os.environ)
        env["FONTCONFIG_FILE"] = str(_fontconfig(Path(tmp)))
        env.setdefault("HOME", tmp)
        pending = list(files)
        last: _Run | None = None
        for attempt in range(2):
            if attempt:  # a kept profile may be what went wrong: start the retry from a fresh one
                shutil.rmtree(profile, ignore_errors=True)
            cmd = [
                str(soffice),
                f"-env:UserInstallation={profile.as_uri()}",
                "--headless",
                "--invisible",
                "--norestore",
                "--nolockcheck",
                "--nodefault",
                "--convert-to",
                _PDF_FILTER,
                "--outdir",
                str(outdir),
                *(str(f) for f in pending),
            ]
            last = _run(cmd, env, timeout)
            pending = [f for f, pdf in zip(files, expected, strict=True) if f in pending and not _good(pdf)]
            if not pending:
                return expected
        names = "、".join(f.name for f in pending)
        why = "超时被终止" if last and last.timed_out else f"退出码 {last.returncode if last else '?'}"
        detail = (last.output.strip().splitlines() or [""])[-1] if last else ""
        raise ConversionError(f"LibreOffice 没有产生这些文件的 PDF：{names}（{why}，重试一次仍失败）{detail}")


def _good(pdf: Path) -> bool:
    return pdf.is_file() and pdf.stat().st_size > 0
