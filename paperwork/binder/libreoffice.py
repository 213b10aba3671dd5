"""DOCX → PDF through LibreOffice headless, many files per run.

One ``soffice`` process converts a whole batch (start-up dominates the cost of a
single conversion). Each run has a private user profile, so parallel runs do
not fight over a lock, and a private fontconfig that maps the Windows families
to installed CJK fonts of the same line height (:data:`paperwork.render.fonts.SUBSTITUTES`). A hung run is
killed with its whole process tree and tried once more; every expected PDF must
exist and be non-empty. Nothing here is POSIX-only: locks are ``filelock``'s,
the process tree is ``psutil``'s, the folders are ``platformdirs``'.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from paperwork.errors import ConversionError
from paperwork.render.fonts import INSTALL_HINT, SUBSTITUTES, metric_fonts, require_cjk_font

__all__ = [
    "BATCH_TIMEOUT",
    "SINGLE_TIMEOUT",
    "Converter",
    "conversion_env",
    "convert_batch",
    "default_timeout",
    "distinct_stems",
    "end_tree",
    "find_soffice",
    "produced",
    "soffice_version",
    "user_cache_dir",
]

#: Converts files to PDFs in a folder, in order: :func:`convert_batch` or a stand-in.
Converter = Callable[[list[Path], Path], list[Path]]

_FONTS_CONF = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
{aliases}
</fontconfig>
"""

# Word bookmarks become named destinations: merged batches are cut at them (see pdfs.py)
_PDF_FILTER = 'pdf:writer_pdf_Export:{"ExportBookmarksToPDFDestination":{"type":"boolean","value":"true"}}'

_KNOWN_PLACES = {
    "win32": (
        r"C:\Program Files\LibreOffice\program\soffice.exe",
        r"C:\Program Files (x86)\LibreOffice\program\soffice.exe",
    ),
    "darwin": ("/Applications/LibreOffice.app/Contents/MacOS/soffice",),
}
_POSIX_PLACES = ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice")


def user_cache_dir() -> Path:
    """This user's cache folder for paperwork (``$XDG_CACHE_HOME`` honoured on Linux)."""
    from platformdirs import user_cache_path

    return Path(user_cache_path("paperwork", appauthor=False))


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
    for candidate in _KNOWN_PLACES.get(sys.platform, _POSIX_PLACES):
        if Path(candidate).is_file():
            return Path(candidate)
    raise ConversionError(f"找不到 LibreOffice（soffice），无法把表单转换成 PDF；请安装：{INSTALL_HINT}")


def soffice_version() -> str:
    """LibreOffice's own version line."""
    out = subprocess.run([str(find_soffice()), "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


def fontconfig_file(folder: Path) -> Path:
    """A fontconfig file that maps the Windows families to substitutes of the same line height.

    The 1.0-em builds of Noto are made once into the user's cache folder and added as a font folder.
    """
    try:
        made = metric_fonts(user_cache_dir() / "fonts")
    except Exception:  # a read-only cache, an odd font file: the fallbacks still print every form
        made = None
    extra = f"  <dir>{escape(str(made))}</dir>\n" if made is not None else ""
    aliases = "\n".join(
        f'  <alias binding="same"><family>{escape(name)}</family><prefer>'
        + "".join(f"<family>{escape(target)}</family>" for target in targets)
        + "</prefer></alias>"
        for name, targets in SUBSTITUTES.items()
    )
    path = folder / "fonts.conf"
    path.write_text(_FONTS_CONF.format(aliases=extra + aliases), encoding="utf-8")
    return path


def conversion_env(tmp: Path) -> dict[str, str]:
    """The environment LibreOffice runs in: our fontconfig, its temporary files in ``tmp``."""
    env = dict(os.environ)
    env["FONTCONFIG_FILE"] = str(fontconfig_file(tmp))
    for name in ("TMPDIR", "TMP", "TEMP"):  # LibreOffice's own temporary files go with ours
        env[name] = str(tmp)
    env.setdefault("HOME", str(tmp))
    return env


_PROFILE_SLOTS = 8


@contextlib.contextmanager
def _profile(fallback: Path) -> Iterator[Path]:
    """A LibreOffice user profile used by this run alone.

    A profile that already exists saves LibreOffice a quarter of a second of
    set-up, so runs take one of a few kept profiles, each held with a lock while
    in use; when all are taken, or none can be kept, a fresh one in ``fallback``.
    """
    from filelock import FileLock, Timeout

    base = user_cache_dir() / "libreoffice"
    for slot in range(_PROFILE_SLOTS):
        try:
            base.mkdir(parents=True, exist_ok=True)
            lock = FileLock(str(base / f"{slot}.lock"))
            lock.acquire(timeout=0)
        except Timeout:
            continue
        except (OSError, NotImplementedError):  # no locking on this system: a fresh profile
            break
        try:
            yield base / f"profile-{slot}"
            return
        finally:
            lock.release()
    yield fallback / "profile"


@dataclass(frozen=True)
class _Run:
    returncode: int
    output: str
    timed_out: bool


def end_tree(pid: int) -> None:
    """Kill a process and every process it started (LibreOffice forks soffice.bin)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        family = [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return
    for proc in family:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            proc.kill()
    psutil.wait_procs(family, timeout=10)


def _run(cmd: list[str], env: dict[str, str], timeout: float) -> _Run:
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
        return _Run(proc.returncode, out or "", False)
    except subprocess.TimeoutExpired:
        end_tree(proc.pid)
        out, _ = proc.communicate()
        return _Run(-9, out or "", True)
    finally:  # interrupted (Ctrl-C, SIGTERM): no LibreOffice outlives us
        if proc.poll() is None:
            end_tree(proc.pid)


#: Seconds one LibreOffice run may take before it is killed (and retried once): a single case
#: converts in a few seconds, a worker's share of a batch in a minute or two.
SINGLE_TIMEOUT, BATCH_TIMEOUT = 60.0, 180.0


def default_timeout(*, single: bool = False) -> float:
    """``$PAPERWORK_TIMEOUT`` if set, else SINGLE_TIMEOUT for one case or BATCH_TIMEOUT."""
    text = os.environ.get("PAPERWORK_TIMEOUT", "").strip()
    if text:
        try:
            value = float(text)
        except ValueError:
            value = 0.0
        if not 0 < value < 86400:
            raise ConversionError(f"PAPERWORK_TIMEOUT={text} 不是合理的秒数；请写 1 到 86400 之间的数")
        return value
    return SINGLE_TIMEOUT if single else BATCH_TIMEOUT


def convert_batch(files: list[Path], outdir: Path, *, timeout: float | None = None) -> list[Path]:
    """Convert every file to PDF in ``outdir`` with one LibreOffice run.

    Input names must have distinct stems (the PDF takes the stem). Returns the
    PDFs in the order of ``files``; raises ConversionError naming any file that
    did not come out, after one retry of the files still missing. ``timeout``
    (seconds per attempt) defaults to :func:`default_timeout`.
    """
    timeout = timeout or default_timeout()
    if not files:
        return []
    distinct_stems(files)
    soffice = find_soffice()
    require_cjk_font()
    outdir.mkdir(parents=True, exist_ok=True)
    expected = [outdir / f"{f.stem}.pdf" for f in files]
    with tempfile.TemporaryDirectory(prefix="paperwork-lo-") as tmp, _profile(Path(tmp)) as profile:
        env = conversion_env(Path(tmp))
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
            pending = [
                f for f, pdf in zip(files, expected, strict=True) if f in pending and not produced(pdf)
            ]
            if not pending:
                return expected
        names = "、".join(f.name for f in pending)
        why = "超时被终止" if last and last.timed_out else f"退出码 {last.returncode if last else '?'}"
        detail = (last.output.strip().splitlines() or [""])[-1] if last else ""
        raise ConversionError(
            f"LibreOffice 没有产生这些文件的 PDF：{names}（{why}，重试一次仍失败）{detail}", tuple(pending)
        )


def distinct_stems(files: list[Path]) -> None:
    """Each PDF is named by its file's stem: two files of one stem in a batch cannot be told apart."""
    stems = [f.stem for f in files]
    if len(set(stems)) != len(stems):
        raise ConversionError("一批转换中有同名文件，无法区分输出的 PDF")


def produced(pdf: Path) -> bool:
    """Whether LibreOffice wrote this PDF (there and not empty)."""
    return pdf.is_file() and pdf.stat().st_size > 0
