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
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from paperwork.errors import ConversionError, FontError
from paperwork.render.fonts import INSTALL_HINT, SUBSTITUTES, metric_fonts, require_cjk_font

__all__ = [
    "BATCH_TIMEOUT",
    "SINGLE_TIMEOUT",
    "SOFFICE_FLAGS",
    "Converter",
    "OfficeSettings",
    "conversion_env",
    "convert_batch",
    "distinct_stems",
    "end_tree",
    "find_soffice",
    "kept_profile",
    "kill_all",
    "not_converted",
    "process_tree",
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


def user_font_dir() -> Path:
    """Where the 1-em metric fonts are made, once per user: beside the user's own fonts
    (``$XDG_DATA_HOME/paperwork/fonts`` on Linux), not in the cache, which a clerk (or a test)
    may empty or point elsewhere; making them again takes minutes."""
    from platformdirs import user_data_path

    return Path(user_data_path("paperwork", appauthor=False)) / "fonts"


@dataclass(frozen=True)
class OfficeSettings:
    """Where LibreOffice is and how long a run may take: read by the CLI and the server (from
    ``PAPERWORK_SOFFICE``, ``PAPERWORK_TIMEOUT``, ``PAPERWORK_UNO_PYTHON``) and passed down.

    ``soffice`` None: found on the PATH or in the usual places; ``timeout`` None: SINGLE_TIMEOUT
    for one case, BATCH_TIMEOUT for a batch; ``uno_python`` None: a Python with uno is looked for.
    ``environ`` is the environment LibreOffice runs in (None: this process's).
    """

    soffice: Path | None = None
    timeout: float | None = None
    uno_python: str | None = None
    environ: Mapping[str, str] | None = field(default=None, compare=False)

    def timeout_for(self, *, single: bool) -> float:
        """Seconds one run may take before it is ended."""
        return self.timeout or (SINGLE_TIMEOUT if single else BATCH_TIMEOUT)


def find_soffice(settings: OfficeSettings | None = None) -> Path:
    """The LibreOffice executable, or ConversionError saying what to install.

    ``settings.soffice`` names another executable (a wrapper, or a test double).
    """
    override = settings.soffice if settings is not None else None
    if override is not None:
        if override.is_file():
            return override
        raise ConversionError(f"PAPERWORK_SOFFICE 指向的 {override} 不存在；请改正或删去这个环境变量")
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return Path(found)
    for candidate in _KNOWN_PLACES.get(sys.platform, _POSIX_PLACES):
        if Path(candidate).is_file():
            return Path(candidate)
    raise ConversionError(f"找不到 LibreOffice（soffice），无法把表单转换成 PDF；请安装：{INSTALL_HINT}")


def soffice_version(settings: OfficeSettings | None = None) -> str:
    """LibreOffice's own version line."""
    soffice = str(find_soffice(settings))
    out = subprocess.run([soffice, "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip()


def fontconfig_file(folder: Path) -> Path:
    """A fontconfig file that maps the Windows families to substitutes of the same line height.

    The 1.0-em builds of Noto are made once into the user's cache folder and added as a font folder.
    """
    try:
        made = metric_fonts(user_font_dir())
    except (OSError, FontError) as exc:  # a read-only cache, an odd font file: the fallbacks still print
        logging.getLogger("paperwork").warning("1 em 行高字体不可用，改用后备字体：%s", exc)
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


def conversion_env(tmp: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment LibreOffice runs in: ``base`` (None: the one this process was given, handed
    on as it is, not read) with our fontconfig and its temporary files in ``tmp``."""
    env = dict(base if base is not None else _inherited())
    env["FONTCONFIG_FILE"] = str(fontconfig_file(tmp))
    for name in ("TMPDIR", "TMP", "TEMP"):  # LibreOffice's own temporary files go with ours
        env[name] = str(tmp)
    env.setdefault("HOME", str(tmp))
    return env


def _inherited() -> Mapping[str, str]:
    # The one use of the process environment below the CLI and the server: handed to LibreOffice
    # unread, as any child process gets it (PATH, HOME, locale).
    return os.environ


#: The flags every headless LibreOffice runs with (the cold runs here and the warm bridge).
SOFFICE_FLAGS = ("--headless", "--invisible", "--norestore", "--nolockcheck", "--nodefault")


def not_converted(names: list[str], why: str, *, retried: bool = True) -> str:
    """The message of a batch whose PDFs did not all come out: after the one retry, or (a hang) at
    the time limit, which is not retried."""
    after = "重试一次仍失败" if retried else "到了时限，没有再等"
    return f"LibreOffice 没有产生这些文件的 PDF：{'、'.join(names)}（{why}，{after}）"


_PROFILE_SLOTS = 8


@contextlib.contextmanager
def kept_profile(fallback: Path) -> Iterator[Path]:
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


def process_tree(pid: int) -> list[Any]:
    """A process and every process it started (psutil processes; empty when it is gone)."""
    import psutil

    try:
        parent = psutil.Process(pid)
        return [*parent.children(recursive=True), parent]
    except psutil.NoSuchProcess:
        return []


def kill_all(family: list[Any]) -> None:
    """Kill these processes (found beforehand with :func:`process_tree`) and wait for them."""
    import psutil

    for proc in family:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            proc.kill()
    psutil.wait_procs(family, timeout=10)


def end_tree(pid: int) -> None:
    """Kill a process and every process it started (LibreOffice forks soffice.bin)."""
    kill_all(process_tree(pid))


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


#: Seconds one LibreOffice run may take before it is killed (not retried: the whole wait): a single case
#: converts in a few seconds, a worker's share of a batch in a minute or two.
SINGLE_TIMEOUT, BATCH_TIMEOUT = 60.0, 180.0


def convert_batch(
    files: list[Path],
    outdir: Path,
    *,
    timeout: float | None = None,
    settings: OfficeSettings | None = None,
) -> list[Path]:
    """Convert every file to PDF in ``outdir`` with one LibreOffice run.

    Input names must have distinct stems (the PDF takes the stem). Returns the
    PDFs in the order of ``files``; raises ConversionError naming any file that
    did not come out, after one retry of the files still missing. ``timeout``
    (seconds per attempt) defaults to the settings' batch timeout.
    """
    settings = settings or OfficeSettings()
    timeout = timeout or settings.timeout_for(single=False)
    if not files:
        return []
    distinct_stems(files)
    soffice = find_soffice(settings)
    require_cjk_font()
    outdir.mkdir(parents=True, exist_ok=True)
    expected = [outdir / f"{f.stem}.pdf" for f in files]
    with tempfile.TemporaryDirectory(prefix="paperwork-lo-") as tmp, kept_profile(Path(tmp)) as profile:
        env = conversion_env(Path(tmp), settings.environ)
        pending = list(files)
        last: _Run | None = None
        for attempt in range(2):
            if attempt:  # a kept profile may be what went wrong: start the retry from a fresh one
                shutil.rmtree(profile, ignore_errors=True)
            cmd = [
                str(soffice),
                f"-env:UserInstallation={profile.as_uri()}",
                *SOFFICE_FLAGS,
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
            if last.timed_out:  # hung: retried, the wait would double what the clerk was told
                break
        timed_out = bool(last and last.timed_out)
        why = "超时被终止" if timed_out else f"退出码 {last.returncode if last else '?'}"
        detail = (last.output.strip().splitlines() or [""])[-1] if last else ""
        message = not_converted([f.name for f in pending], why, retried=not timed_out) + detail
        raise ConversionError(message, tuple(pending), timed_out=timed_out)


def distinct_stems(files: list[Path]) -> None:
    """Each PDF is named by its file's stem: two files of one stem in a batch cannot be told apart."""
    stems = [f.stem for f in files]
    if len(set(stems)) != len(stems):
        raise ConversionError("一批转换中有同名文件，无法区分输出的 PDF")


def produced(pdf: Path) -> bool:
    """Whether LibreOffice wrote this PDF (there and not empty)."""
    return pdf.is_file() and pdf.stat().st_size > 0
