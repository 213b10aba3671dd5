"""Sending a batch to the queue and waiting for its answers: what ``--queue`` does on the sender's side.

One task per case. The sender polls the tasks' states (one Redis MGET per thousand tasks, a
short socket timeout) and turns the answers into the same :class:`~paperwork.binder.build.CaseOutcome`
a local batch gives, so the progress bar, the table and the exit codes are the local
ones. Three ways a wait ends early, each said plainly:

- no worker takes any task for ``wait`` seconds: the cases not taken fail with that message,
  and the workers are told not to start them later;
- Redis goes away: :class:`~paperwork.errors.QueueLost` names the cases whose answer is unknown
  (they may still be built: a build is idempotent, and running the command again reports them);
- the sender is interrupted: the cases not yet taken are withdrawn the same way.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from paperwork.binder.build import BuildOptions, CaseJob, CaseOutcome, Event
from paperwork.dispatch.broker import QueueSettings, address_of, check_broker
from paperwork.errors import QueueLost
from paperwork.intake.papers import ScanText
from paperwork.intake.scans import ScanFile

__all__ = [
    "QueuedReader",
    "Waiting",
    "build_queued",
    "failure_message",
    "lost_message",
    "redis_errors",
    "run_queued",
    "task_states",
    "untaken_message",
]

_POLL = 0.2
_CHUNK = 1000
#: The states a task ends in.
DONE = ("SUCCESS", "FAILURE", "REVOKED")


@dataclass(frozen=True)
class Waiting:
    """How long to wait for a worker (``--wait``), and the queue."""

    queue: QueueSettings
    wait: float = 60.0


def redis_errors() -> tuple[type[BaseException], ...]:
    """What a call to Redis raises when the connection fails (redis-py, kombu, the socket)."""
    import redis
    from kombu.exceptions import OperationalError

    return (redis.RedisError, OperationalError, OSError)


def run_queued(
    task: str,
    messages: list[dict[str, Any]],
    names: list[str],
    waiting: Waiting,
    on_answer: Callable[[int, str, Any], None],
) -> list[int]:
    """Send one ``task`` per message; call ``on_answer(n, state, result)`` as each ends.

    Returns the indexes of the messages no worker took within ``waiting.wait`` seconds. Raises
    :class:`QueueLost` (naming ``names`` of the unanswered) when Redis goes away.
    """
    from paperwork.dispatch.tasks import cancel, sender

    check_broker(waiting.queue.broker)
    app = sender(waiting.queue)
    where = address_of(waiting.queue.broker)
    errors = redis_errors()
    ids: list[str] = []
    pending: dict[str, int] = {}
    try:
        for n, message in enumerate(messages):
            result = app.send_task(task, args=[message])
            ids.append(str(result.id))
            pending[str(result.id)] = n
        seen: dict[str, str] = {}
        changed = time.monotonic()
        while pending:
            for task_id, (state, result) in task_states(app, list(pending)).items():
                if state != seen.get(task_id, "PENDING"):
                    changed = time.monotonic()
                seen[task_id] = state
                if state in DONE:
                    n = pending.pop(task_id)
                    on_answer(n, state, result)
                    app.backend.forget(task_id)
            running = any(seen.get(t) not in (None, "PENDING") for t in pending)
            if pending and not running and time.monotonic() - changed > waiting.wait:
                cancel(waiting.queue.broker, list(pending), waiting.queue.visibility_timeout)
                return sorted(pending.values())
            if pending:
                time.sleep(_POLL)
        return []
    except errors as exc:
        unanswered = sorted(pending.values()) + list(range(len(ids), len(messages)))
        unknown = tuple(names[n] for n in sorted(set(unanswered)))
        raise QueueLost(
            f"与队列的 Redis（{where}）断开：{exc}。下列 {len(unknown)} 项的结果未知"
            f"（工作机可能仍在处理；Redis 恢复后再运行一次同样的命令即可核对）：{'、'.join(unknown)}",
            where,
            unknown,
        ) from None
    except BaseException:  # interrupted: the cases not yet taken are withdrawn
        with contextlib.suppress(Exception):
            cancel(waiting.queue.broker, list(pending), waiting.queue.visibility_timeout)
        raise
    finally:
        app.close()


def task_states(app: Any, task_ids: list[str]) -> dict[str, tuple[str, Any]]:
    """Each task's state and result, read with one MGET per thousand tasks (not one GET each: a
    sender waiting on ten thousand cases would otherwise ask Redis 50,000 times a second)."""
    backend = app.backend
    out: dict[str, tuple[str, Any]] = {}
    for start in range(0, len(task_ids), _CHUNK):
        chunk = task_ids[start : start + _CHUNK]
        raws = backend.mget([backend.get_key_for_task(t) for t in chunk])
        for task_id, raw in zip(chunk, raws, strict=True):
            if not raw:
                out[task_id] = ("PENDING", None)
                continue
            meta = backend.meta_from_decoded(backend.decode_result(raw))
            out[task_id] = (str(meta.get("status")), meta.get("result"))
    return out


def build_queued(
    jobs: list[CaseJob],
    options: BuildOptions,
    waiting: Waiting,
    *,
    cache: str | None = None,
    on_event: Event | None = None,
) -> list[CaseOutcome]:
    """Build ``jobs`` on the queue's workers; one outcome per job, in order.

    Redis lost mid-batch: the cases whose answer had not come are ``unknown``, with the address.
    """
    from paperwork.dispatch.tasks import build_message

    messages = [build_message(job, options, cache=cache) for job in jobs]
    case_ids = [job.case.case_id if job.case is not None else job.path.parent.name for job in jobs]
    outcomes: dict[int, CaseOutcome] = {}

    def answered(n: int, state: str, result: Any) -> None:
        job = jobs[n]
        if state == "SUCCESS" and isinstance(result, dict):
            outcome = CaseOutcome.from_dict(result)
        else:
            outcome = CaseOutcome(
                job.path, case_ids[n], "failed", message=failure_message(state, result), worker=""
            )
        outcomes[n] = outcome
        if on_event is not None:
            on_event("done" if outcome.ok else "failed", outcome.case_id)

    try:
        untaken = run_queued("paperwork.build", messages, case_ids, waiting, answered)
    except QueueLost as lost:
        untaken = []
        for n, job in enumerate(jobs):
            if n not in outcomes:
                message = lost_message(lost.address, "装订")
                outcomes[n] = CaseOutcome(job.path, case_ids[n], "unknown", message=message, worker="")
    for n in untaken:
        job = jobs[n]
        message = untaken_message(waiting)
        outcomes[n] = CaseOutcome(job.path, case_ids[n], "failed", message=message, worker="")
        if on_event is not None:
            on_event("failed", case_ids[n])
    return [outcomes[n] for n in range(len(jobs))]


def failure_message(state: str, result: Any) -> str:
    """What a task that ended without success says: withdrawn, or the worker's error."""
    return "已撤回" if state == "REVOKED" else f"工作机出错：{result}"


def untaken_message(waiting: Waiting) -> str:
    return (
        f"{waiting.wait:.0f} 秒内没有工作机接手（已撤回）：请在能看到共享存储的机器上运行 "
        f"paperwork worker --broker {_shown(waiting.queue.broker)}，或用 --wait 多等一会儿"
    )


def _shown(url: str) -> str:
    """The broker's URL as a command takes it, its password (if any) replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


def lost_message(address: str, doing: str) -> str:
    return f"结果未知：与队列的 Redis（{address}）断开，工作机可能仍在{doing}；Redis 恢复后再运行一次即可核对"


class QueuedReader:
    """Reads scan files on the queue's workers (``intake --queue``): one ``paperwork.ocr`` task a file.

    A :data:`~paperwork.intake.papers.Reader`; after a call, :attr:`failed` names the files no
    worker answered for (not taken within the wait, or Redis lost), whose error says which.
    """

    def __init__(self, waiting: Waiting, *, cached: bool = True) -> None:
        self.waiting = waiting
        self.cached = cached
        self.failed: list[Path] = []

    def __call__(self, scans: list[ScanFile], tick: Callable[[int, int], None] | None) -> list[ScanText]:
        from paperwork.dispatch.tasks import ocr_message

        read: dict[int, ScanText] = {}

        def answered(n: int, state: str, result: Any) -> None:
            if state == "SUCCESS" and isinstance(result, dict):
                read[n] = ScanText.from_dict(result)
            else:
                read[n] = ScanText(scans[n].path, error=failure_message(state, result))
            if tick is not None:
                tick(len(read), len(scans))

        names = [str(scan.path) for scan in scans]
        messages = [ocr_message(scan, cached=self.cached) for scan in scans]
        try:
            untaken = run_queued("paperwork.ocr", messages, names, self.waiting, answered)
        except QueueLost as lost:
            untaken = []
            for n, scan in enumerate(scans):
                if n not in read:
                    read[n] = ScanText(scan.path, error=lost_message(lost.address, "识别"))
                    self.failed.append(scan.path)
        for n in untaken:
            read[n] = ScanText(scans[n].path, error=untaken_message(self.waiting))
            self.failed.append(scans[n].path)
        return [read[n] for n in range(len(scans))]
