"""A LibreOffice kept running between builds: the server's converter.

A cold ``soffice --convert-to`` spends most of its second or two starting up. The
:class:`WarmOffice` starts LibreOffice once, through :mod:`paperwork.binder.unobridge`
run by a Python that has LibreOffice's ``uno`` module, and sends it every later
batch over a pipe. It is a :data:`~paperwork.binder.libreoffice.Converter`, so a
build takes it exactly where it would take :func:`convert_batch`.

Conversions are serialised (one LibreOffice does one thing at a time). A batch
that takes longer than the timeout, or a LibreOffice that dies, ends the whole
process tree; the batch is tried once more on a fresh LibreOffice, and a later
batch starts one again. Where no Python with ``uno`` is found, the office falls
back to the cold :func:`convert_batch` and says so in :attr:`WarmOffice.mode`.

LibreOffice (7.4, measured) keeps part of every document it opens, closed or not: the same
one-page form converted 200 times grows ``soffice.bin`` from 153 to 207 MB, and a batch's
LibreOffice grows by 1–2 MB a case (0.5 MB for each document exported). So a kept LibreOffice
whose memory has passed ``renew_above`` bytes is renewed between two batches (a server runs for
weeks): its memory stays bounded at the cost of one start (about a second) when it does.
"""

from __future__ import annotations

import contextlib
import json
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import uuid
from pathlib import Path

from paperwork.binder.libreoffice import (
    SOFFICE_FLAGS,
    OfficeSettings,
    conversion_env,
    convert_batch,
    distinct_stems,
    find_soffice,
    kept_profile,
    kill_all,
    not_converted,
    process_tree,
    produced,
)
from paperwork.errors import ConversionError
from paperwork.render.fonts import require_cjk_font

__all__ = ["WarmOffice", "uno_python"]

_BRIDGE = Path(__file__).with_name("unobridge.py")
_UNO_PLACES = ("/usr/bin/python3", "/usr/lib/libreoffice/program/python", "/opt/libreoffice/program/python")
_START_TIMEOUT = 90.0


def _has_uno(python: str) -> bool:
    try:
        done = subprocess.run([python, "-c", "import uno"], capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def uno_python(settings: OfficeSettings | None = None) -> str | None:
    """A Python that can ``import uno``: the settings' (``$PAPERWORK_UNO_PYTHON``), ours, LibreOffice's
    or the system's."""
    settings = settings or OfficeSettings()
    if settings.uno_python:
        return settings.uno_python if _has_uno(settings.uno_python) else None
    soffice_dir = None
    with contextlib.suppress(ConversionError):
        soffice_dir = find_soffice(settings).resolve().parent
    candidates = [sys.executable, *_UNO_PLACES]
    if soffice_dir is not None:
        candidates.insert(1, str(soffice_dir / ("python.exe" if sys.platform == "win32" else "python")))
    for candidate in dict.fromkeys(candidates):
        if Path(candidate).is_file() and _has_uno(candidate):
            return candidate
    return None


class WarmOffice:
    """One LibreOffice, started on first use and kept; call it like ``convert_batch``; ``close()`` ends it."""

    def __init__(self, settings: OfficeSettings | None = None, *, renew_above: int = 768 << 20) -> None:
        self.settings = settings or OfficeSettings()
        self.renew_above = renew_above
        self.timeout = self.settings.timeout_for(single=True)
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._home: Path | None = None  # LibreOffice's temporary files, made on first start
        self._profile: Path | None = None  # a kept profile (a cold run's too), held while this office lives
        self._holding = contextlib.ExitStack()
        self._python = uno_python(self.settings)
        self.restarts = 0  # LibreOffices started after the first (one died, or hung and was ended)
        self.renewals = 0  # LibreOffices ended for a fresh one once past renew_above
        self._started = False

    @property
    def mode(self) -> str:
        """``warm`` (a kept LibreOffice over UNO) or ``cold`` (no Python with uno: one run per batch)."""
        return "warm" if self._python else "cold"

    def __call__(self, files: list[Path], outdir: Path) -> list[Path]:
        if not files:
            return []
        if self._python is None:
            return convert_batch(files, outdir, timeout=self.timeout, settings=self.settings)
        distinct_stems(files)
        outdir.mkdir(parents=True, exist_ok=True)
        with self._lock:
            if self.memory() > self.renew_above:  # renewed, not restarted: nothing went wrong
                self._stop()
                self.renewals += 1
                self._started = False
            pending = [f.resolve() for f in files]
            why = ""
            for attempt in range(2):
                try:
                    failed = self._send(pending, outdir.resolve())
                except ConversionError as exc:  # hung or died: a fresh LibreOffice for the retry
                    # (a server announces no time limit, and a LibreOffice kept warm for hours is
                    # the likelier cause of a hang than the document)
                    self._stop()
                    if self._profile is not None:  # nor a profile it may have left half-written
                        shutil.rmtree(self._profile, ignore_errors=True)
                    why = str(exc)
                    continue
                pending = [f for f in pending if str(f) in failed]
                if not pending:
                    return [outdir / f"{f.stem}.pdf" for f in files]
                why = "；".join(failed.values())
                if attempt == 0:
                    self._stop()
            names = [f.name for f in pending or files]
            raise ConversionError(not_converted(names, why), tuple(pending))

    def start(self) -> None:
        """Start LibreOffice now instead of at the first conversion (the server does this at start-up)."""
        if self._python is None:
            return
        with self._lock:
            self._ensure()

    def pid(self) -> int | None:
        """The bridge's process id while LibreOffice runs (tests end it to see a restart)."""
        return self._process.pid if self._process is not None and self._process.poll() is None else None

    def memory(self) -> int:
        """Bytes of resident memory of the kept LibreOffice (its bridge and every process under it);
        0 while none runs."""
        pid = self.pid()
        total = 0
        for proc in process_tree(pid) if pid is not None else []:
            with contextlib.suppress(Exception):  # a process that ended meanwhile counts nothing
                total += int(proc.memory_info().rss)
        return total

    def close(self) -> None:
        with self._lock:
            self._stop()
        self._holding.close()  # the kept profile, free for the next office or cold run
        self._profile = None
        if self._home is not None:
            shutil.rmtree(self._home, ignore_errors=True)
            self._home = None

    # -- the bridge process ----------------------------------------------------------------

    def _ensure(self) -> subprocess.Popen[str]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        if self._process is not None:  # it died since the last batch
            self._stop()
        if self._started:
            self.restarts += 1
        self._started = True
        require_cjk_font()
        assert self._python is not None
        if self._home is None:
            self._home = Path(tempfile.mkdtemp(prefix="paperwork-office-"))
        if self._profile is None:  # an existing profile saves LibreOffice most of a second at start
            self._profile = self._holding.enter_context(kept_profile(self._home))
        profile = self._profile
        env = conversion_env(self._home, self.settings.environ)
        pipe = f"paperwork-{uuid.uuid4().hex[:12]}"
        cmd = [
            self._python,
            str(_BRIDGE),
            str(find_soffice(self.settings)),
            profile.as_uri(),
            pipe,
            *SOFFICE_FLAGS,
        ]
        process = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_pump, args=(process, lines), daemon=True).start()
        self._process, self._lines = process, lines
        answer = self._answer(_START_TIMEOUT, "启动")
        if not answer.get("ready"):
            self._stop()
            raise ConversionError("LibreOffice 没能启动（UNO 连接失败）")
        return process

    def _answer(self, timeout: float, doing: str) -> dict[str, object]:
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise ConversionError(
                f"LibreOffice {doing}超过 {timeout:.0f} 秒没有响应，已被终止", timed_out=True
            ) from None
        if line is None:
            raise ConversionError(f"LibreOffice 在{doing}时意外退出")
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            raise ConversionError(f"LibreOffice 桥接程序的回答无法解读：{line[:200]}") from None
        return data if isinstance(data, dict) else {}

    def _send(self, files: list[Path], outdir: Path) -> dict[str, str]:
        process = self._ensure()
        request = json.dumps({"files": [str(f) for f in files], "outdir": str(outdir)})
        try:
            assert process.stdin is not None
            process.stdin.write(request + "\n")
            process.stdin.flush()
        except OSError:
            raise ConversionError("LibreOffice 在转换前意外退出") from None
        answer = self._answer(self.timeout, "转换")
        failed = answer.get("failed") or {}
        result = {str(k): str(v) for k, v in failed.items()} if isinstance(failed, dict) else {}
        for f in files:  # what LibreOffice says it wrote must be there and not empty
            pdf = outdir / f"{f.stem}.pdf"
            if str(f) not in result and not produced(pdf):
                result[str(f)] = "没有写出 PDF"
        return result

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        family = process_tree(process.pid)  # the bridge's LibreOffice, found while the bridge is there to ask
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()  # end of input: the bridge ends LibreOffice and itself
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        kill_all(family)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)  # reaped, so no zombie and no "still running" at exit
        with contextlib.suppress(OSError):
            if process.stdout is not None:
                process.stdout.close()


def _pump(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert process.stdout is not None
    with contextlib.suppress(OSError, ValueError):
        for line in process.stdout:
            lines.put(line)
    lines.put(None)
