"""The work a queue worker does: build one case, or read a batch of scans, each with its warm LibreOffice.

One Celery app, two tasks (``paperwork.build`` on queue ``build``, ``paperwork.ocr`` on
``ocr``); their messages are JSON (:func:`build_message`). Each worker process keeps one
:class:`~paperwork.binder.warm_office.WarmOffice`, started on its first build and ended
when the process ends (after ``--max-tasks`` tasks), and renewed before a build when its memory
has passed the limit (``WarmOffice.renew_above``). Paths in a message are absolute and must
be seen the same on every machine (shared storage); a worker that cannot see one fails that
case and names the path and itself.

A build holds a Redis lock on its OUT folder (renewed while it runs, so a killed worker's lock
ends within seconds), and records its answer under the task's id: a message delivered twice
(a worker lost, then found again) builds the case once, and the second delivery returns the
first answer.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from celery import Celery, signals
from celery.utils.log import get_task_logger

from paperwork.binder.build import BuildOptions, CaseJob, CaseOutcome, build_cases, signed
from paperwork.binder.libreoffice import OfficeSettings
from paperwork.binder.warm_office import WarmOffice
from paperwork.dispatch.broker import QueueSettings, celery_config
from paperwork.intake.scans import ScanFile

__all__ = [
    "WorkerSettings",
    "app",
    "build_message",
    "configure",
    "configure_worker",
    "ocr_message",
    "options_from",
    "run_build",
    "run_ocr",
    "sender",
]

app = Celery("paperwork", set_as_current=False)
log = get_task_logger(__name__)

_LOCK_TTL = 30  # seconds; renewed every third of it while the build runs
_CANCELLED = "paperwork:cancelled:"
_ANSWERED = "paperwork:answered:"


@dataclass(frozen=True)
class WorkerSettings:
    """A worker's own: its LibreOffice, its cache, and past what memory its LibreOffice is renewed."""

    office: OfficeSettings
    cache: Path | None
    office_memory_limit: int = 1536 * 1024 * 1024  # bytes of LibreOffice's resident memory
    ocr_threads: int = 0  # onnxruntime threads per process (0: its default)


_worker = WorkerSettings(OfficeSettings(), None)
_office: WarmOffice | None = None
_engines: dict[bool, Any] = {}
_redis: Any = None


def configure(settings: QueueSettings) -> Celery:
    """The worker's app (its tasks registered) with the queue's settings; called once, at start."""
    app.conf.update(celery_config(settings))
    return app


def sender(settings: QueueSettings) -> Celery:
    """A fresh app for sending tasks by name and reading their states (``close()`` it after use):
    a sender may talk to several queues in one process, and an app keeps its first connections."""
    fresh = Celery("paperwork-sender", set_as_current=False)
    fresh.conf.update(celery_config(settings))
    return fresh


def configure_worker(settings: WorkerSettings) -> None:
    """What this worker's processes build with (set before the pool starts; children inherit it)."""
    global _worker
    _worker = settings


def _client() -> Any:
    global _redis
    if _redis is None:
        import redis

        _redis = redis.Redis.from_url(str(app.conf.broker_url), socket_timeout=5, socket_connect_timeout=5)
    return _redis


def office() -> WarmOffice:
    """This process's LibreOffice, started on first use."""
    global _office
    if _office is None:
        _office = WarmOffice(_worker.office, renew_above=_worker.office_memory_limit)
    return _office


def ocr_engine(cached: bool = True) -> Any:
    """This process's OCR engine (rapidocr), made on first use; its cache beside the build cache
    (``cached`` False: none, for ``intake --no-cache``)."""
    if cached not in _engines:
        from paperwork.intake.engine import engine

        cache = _worker.cache / "ocr" if cached and _worker.cache is not None else None
        _engines[cached] = engine(cache, _worker.ocr_threads)
    return _engines[cached]


@signals.worker_process_shutdown.connect
def _end_office(**_: object) -> None:
    global _office
    if _office is not None:
        _office.close()
        _office = None


# -- messages -------------------------------------------------------------------------------------


def build_message(
    job: CaseJob, options: BuildOptions, *, cache: str | None = None, signer: str | None = None
) -> dict[str, Any]:
    """The JSON a build task carries: the case and OUT as absolute paths, and the build's options.

    ``cache``: "none" (``--no-cache``), a folder every worker shares, or None (each worker's own).
    ``signer``: the server's logged-in user, 立卷人/检查人 where the case asks for one (:func:`signed`).
    """
    return {
        "path": str(job.path.resolve()),
        "out": str(job.out.resolve()),
        "signer": signer,
        "options": {
            "draft": options.draft,
            "templates": str(options.templates.resolve()) if options.templates else None,
            "cache": cache,
            "today": options.today.isoformat() if options.today else None,
            "bureau": str(options.bureau.resolve()) if options.bureau else None,
            "duplex": options.duplex,
            "pdfa": options.pdfa,
            "now": options.now.isoformat() if options.now else None,
            "timeout": options.office.timeout,
        },
    }


def options_from(message: dict[str, Any], worker: WorkerSettings) -> BuildOptions:
    """The build's options from a message, on this worker's LibreOffice and cache."""
    o = message.get("options") or {}
    cache = o.get("cache")
    timeout = o.get("timeout")
    pdfa = o.get("pdfa")
    return BuildOptions(
        draft=bool(o.get("draft")),
        templates=Path(o["templates"]) if o.get("templates") else None,
        cache=None if cache == "none" else Path(cache) if cache else worker.cache,
        today=date.fromisoformat(o["today"]) if o.get("today") else None,
        bureau=Path(o["bureau"]) if o.get("bureau") else None,
        duplex=bool(o.get("duplex")),
        office=replace(worker.office, timeout=float(timeout)) if timeout else worker.office,
        pdfa=pdfa if pdfa in ("2b", "3b") else None,
        now=datetime.fromisoformat(o["now"]) if o.get("now") else None,
    )


# -- the build task ----------------------------------------------------------------------------


def _unseen(message: dict[str, Any], worker: str) -> str | None:
    """What this worker cannot see of the paths a message names (shared storage missing), in words."""
    options = message.get("options") or {}
    needed = [
        ("案卷文件", message.get("path"), "file"),
        ("输出目录的上级", str(Path(message["out"]).parent), "dir"),
    ]
    needed += [("模板目录", options.get("templates"), "dir"), ("局方数据文件", options.get("bureau"), "file")]
    for what, path, kind in needed:
        if not path:
            continue
        seen = Path(path).is_file() if kind == "file" else Path(path).is_dir()
        if not seen:
            return (
                f"工作机 {worker} 看不到{what} {path}：每台工作机都要能用同一个绝对路径读写案卷、"
                "附件和输出目录（共享存储），请在这台机器上挂载它，"
                "或只在能看到它的机器上运行 paperwork worker"
            )
    return None


@contextlib.contextmanager
def _out_lock(out: str, wait: float) -> Iterator[None]:
    """One build at a time per OUT folder across every worker; the lock lives while it is renewed."""
    name = "paperwork:out:" + hashlib.sha256(out.encode("utf-8")).hexdigest()[:32]
    lock = _client().lock(name, timeout=_LOCK_TTL, blocking_timeout=wait, thread_local=False)
    if not lock.acquire():
        raise TimeoutError(f"输出目录 {out} 被另一台工作机占用超过 {wait:.0f} 秒")
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(_LOCK_TTL / 3):
            with contextlib.suppress(Exception):
                lock.reacquire()

    keeper = threading.Thread(target=renew, daemon=True)
    keeper.start()
    try:
        yield
    finally:
        stop.set()
        keeper.join(timeout=5)
        with contextlib.suppress(Exception):
            lock.release()


def run_build(
    message: dict[str, Any], task_id: str, worker: str, *, lock_wait: float = 600.0
) -> dict[str, Any]:
    """Build the message's case with this process's warm LibreOffice; the outcome as JSON."""
    started = time.monotonic()
    path = Path(str(message.get("path") or ""))
    client = _client()
    if client.exists(_CANCELLED + task_id):  # the sender gave up waiting: it told the clerk so
        return CaseOutcome(
            path, path.parent.name, "failed", message="发送方已不再等待，未装订", worker=worker
        ).to_dict()
    answered = client.get(_ANSWERED + task_id)
    if answered:  # delivered again after it was built: the first answer, not a second build
        return dict(json.loads(answered))
    unseen = _unseen(message, worker)
    if unseen is not None:
        return CaseOutcome(path, path.parent.name, "failed", message=unseen, worker=worker).to_dict()
    options = options_from(message, _worker)
    out = Path(str(message["out"]))
    with _out_lock(str(out), lock_wait):
        answered = client.get(_ANSWERED + task_id)
        if answered:
            return dict(json.loads(answered))
        signer = message.get("signer")
        job = CaseJob(path, out, case=signed(path, str(signer)) if signer else None)
        (outcome,) = build_cases([job], options, office())
        outcome = replace(outcome.portable(), worker=worker, seconds=time.monotonic() - started)
        log.info("paperwork: %s %s → %s (task %s)", outcome.case_id, outcome.status, out, task_id)
        answer = outcome.to_dict()
        client.set(
            _ANSWERED + task_id,
            json.dumps(answer, ensure_ascii=False),
            ex=int(app.conf.result_expires or 3600),
        )
    return answer


@app.task(name="paperwork.build", bind=True)
def build_task(self: Any, message: dict[str, Any]) -> dict[str, Any]:
    worker = f"{self.request.hostname}/{os.getpid()}"
    return run_build(message, str(self.request.id), worker)


# -- the OCR task ------------------------------------------------------------------------------


def ocr_message(scan: ScanFile, *, cached: bool = True) -> dict[str, Any]:
    """The JSON an OCR task carries: one scan file, by absolute path; whether the OCR cache is used."""
    return {"path": str(scan.path.resolve()), "kind": scan.kind, "cache": cached}


def run_ocr(message: dict[str, Any], worker: str) -> dict[str, Any]:
    """Read every page of the message's scan file; what was read as JSON (a :class:`ScanText`)."""
    from paperwork.errors import OcrUnavailable
    from paperwork.intake.papers import ScanText, read_files

    path = Path(str(message.get("path") or ""))
    if not path.is_file():
        why = (
            f"工作机 {worker} 看不到扫描件 {path}：每台工作机都要能用同一个绝对路径读到扫描件（共享存储），"
            "请在这台机器上挂载它，或只在能看到它的机器上运行 paperwork worker"
        )
        return ScanText(path, error=why).to_dict()
    scan = ScanFile(path, "pdf" if message.get("kind") == "pdf" else "image")
    try:
        (read,) = read_files([scan], ocr_engine(message.get("cache") is not False), 1)
    except OcrUnavailable as exc:
        return ScanText(path, error=f"工作机 {worker}：{exc}").to_dict()
    log.info("paperwork: read %s (%d pages)", path, len(read.pages))
    return read.to_dict()


@app.task(name="paperwork.ocr", bind=True)
def ocr_task(self: Any, message: dict[str, Any]) -> dict[str, Any]:
    return run_ocr(message, f"{self.request.hostname}/{os.getpid()}")


def cancel(broker: str, task_ids: list[str], ttl: float) -> None:
    """Tell the workers not to start these tasks (their sender stopped waiting)."""
    import redis

    client = redis.Redis.from_url(broker, socket_timeout=5, socket_connect_timeout=5)
    with client.pipeline() as pipe:
        for task_id in task_ids:
            pipe.set(_CANCELLED + task_id, "1", ex=max(60, int(ttl)))
        pipe.execute()
    client.close()
