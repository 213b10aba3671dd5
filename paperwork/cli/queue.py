"""The queue at the edge: ``paperwork worker``, and the ``--queue``/``--wait`` options of the senders."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import click

from paperwork.cli.common import cli
from paperwork.errors import ConfigError

if TYPE_CHECKING:
    from paperwork.binder.build import BuildOptions, CaseJob, CaseOutcome, Event
    from paperwork.dispatch.broker import QueueSettings
    from paperwork.dispatch.client import QueuedReader

__all__ = ["queue_options", "queue_settings", "queued", "queued_reader"]

QUEUES = ("build", "ocr")


def queue_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--queue redis://…`` and ``--wait SECONDS`` on a command that can send its work to workers."""
    func = click.option(
        "--wait",
        type=click.FloatRange(min=1, max=86400),
        default=60.0,
        show_default=True,
        help="用 --queue 时：这么多秒内没有工作机接手任务，就停止等待并说明（退出码 1）。",
    )(func)
    return click.option(
        "--queue",
        metavar="redis://HOST:PORT/DB",
        default=None,
        help="把工作发给队列（Redis）上的 paperwork worker 做；不给则在本机做。",
    )(func)


def queue_settings(broker: str, environ: Mapping[str, str] = os.environ) -> QueueSettings:
    """The queue's settings; ``PAPERWORK_VISIBILITY_TIMEOUT`` shortens how long a lost worker's task
    waits before another worker gets it (for short jobs and for tests; default six hours)."""
    from paperwork.dispatch.broker import QueueSettings

    text = environ.get("PAPERWORK_VISIBILITY_TIMEOUT", "").strip()
    if not text:
        return QueueSettings(broker)
    try:
        seconds = float(text)
    except ValueError:
        seconds = 0.0
    if not 1 <= seconds <= 7 * 86400:
        raise ConfigError(f"PAPERWORK_VISIBILITY_TIMEOUT={text} 不是合理的秒数；请写 1 到 604800 之间的数")
    return QueueSettings(broker, visibility_timeout=seconds)


def queued(
    broker: str, wait: float, *, cache: str | None
) -> Callable[[list[CaseJob], BuildOptions, Event | None], list[CaseOutcome]]:
    """How ``build-binder --queue`` builds: every case as a task, answers as outcomes."""
    from paperwork.dispatch.broker import check_broker
    from paperwork.dispatch.client import Waiting, build_queued

    settings = queue_settings(broker)
    check_broker(settings.broker)  # unreachable: exit 2 before any case is read
    waiting = Waiting(settings, wait)

    def send(jobs: list[CaseJob], options: BuildOptions, on_event: Event | None) -> list[CaseOutcome]:
        return build_queued(jobs, options, waiting, cache=cache, on_event=on_event)

    return send


def queued_reader(broker: str, wait: float, *, cached: bool) -> QueuedReader:
    """How ``intake --queue`` reads: every scan file as a task on the workers."""
    from paperwork.dispatch.broker import check_broker
    from paperwork.dispatch.client import QueuedReader, Waiting

    settings = queue_settings(broker)
    check_broker(settings.broker)  # unreachable: exit 2 before any scan is read
    return QueuedReader(Waiting(settings, wait), cached=cached)


@cli.command("worker")
@click.option("--broker", required=True, metavar="redis://HOST:PORT/DB", help="队列的 Redis 地址。")
@click.option(
    "--queues", default="build,ocr", show_default=True, help="接哪些队列的任务：build（装订）、ocr（识别）。"
)
@click.option(
    "--concurrency", type=click.IntRange(1, 64), default=None, help="工作进程数（默认：CPU 核数）。"
)
@click.option("--hostname", default=None, help="这个工作机的名字（Celery 的 -n，如 w1@%h）。")
@click.option(
    "--max-tasks",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="一个工作进程做这么多任务后换新（连同它的 LibreOffice）。",
)
@click.option(
    "--max-memory",
    type=click.IntRange(min=64),
    default=1536,
    show_default=True,
    help="一个工作进程的 LibreOffice 占用内存超过这么多 MB 时重启它。",
)
@click.option(
    "--loglevel",
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]),
    default="INFO",
    help="日志详细程度（Celery 的 -l）。",
)
def worker_cmd(
    broker: str,
    queues: str,
    concurrency: int | None,
    hostname: str | None,
    max_tasks: int,
    max_memory: int,
    loglevel: str,
) -> None:
    """运行一个队列工作机（Celery worker）：从 Redis 领取装订和识别任务，每个进程常驻一个 LibreOffice。

    案卷文件、附件和输出目录要在每台工作机上用同一个绝对路径可读写（共享存储）。
    """
    from paperwork.cli.environment import cache_folder, office_settings
    from paperwork.dispatch.broker import check_broker
    from paperwork.dispatch.tasks import WorkerSettings, configure, configure_worker

    chosen = [q.strip() for q in queues.split(",") if q.strip()]
    wrong = [q for q in chosen if q not in QUEUES]
    if not chosen or wrong:
        raise click.BadParameter(f"只能是 {'、'.join(QUEUES)}，用逗号分开", param_hint="--queues")
    settings = queue_settings(broker)
    check_broker(settings.broker)
    app = configure(settings)
    processes = concurrency or os.cpu_count() or 1
    configure_worker(
        WorkerSettings(
            office_settings(),
            cache_folder(),
            office_memory_limit=max_memory << 20,
            ocr_threads=max(1, (os.cpu_count() or 1) // processes),
        )
    )
    argv = [
        "worker",
        "--queues",
        ",".join(chosen),
        "--concurrency",
        str(processes),
        "--max-tasks-per-child",
        str(max_tasks),
        "--loglevel",
        loglevel,
        "--pool",
        "prefork",
        "--without-gossip",
        "--without-mingle",
    ]
    if hostname:
        argv += ["--hostname", hostname]
    app.worker_main(argv)
