"""The queue's Redis: its address, a check that it answers, and the Celery settings for our jobs.

Builds and OCR are long (seconds to minutes), idempotent (a case built twice gives the
same binders) and costly to lose, so the settings trade throughput for safety, as Celery advises for
long, idempotent tasks:

- **JSON messages only** (``task_serializer``, ``accept_content``): a message is data, never
  code; a worker does not unpickle what someone put on the queue.
- **Late acknowledgement** (``task_acks_late``) and **requeue when a worker is lost**
  (``task_reject_on_worker_lost``): a case is taken off the queue only when its build ended, so
  a worker killed mid-build leaves its case for another worker.
- **Prefetch 1** (``worker_prefetch_multiplier``): a busy worker does not hold cases another
  worker could build now.
- **Visibility timeout far above the longest job**: Redis gives an unacknowledged message to
  another worker after this long; set on the broker, the result backend and the app alike
  (Celery reads it in all three places), or a long build is delivered twice.
- **Soft and hard time limits above LibreOffice's**: a conversion that hangs is ended by our own
  timeout (and retried once on a fresh LibreOffice) before Celery's soft limit; the hard limit ends a
  task that still does not return.
- **Results kept briefly** (``result_expires``): the sender reads them within seconds; an hour
  covers a client that reconnects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from paperwork.errors import BrokerUnreachable

__all__ = ["QueueSettings", "address_of", "celery_config", "check_broker"]

#: LibreOffice may take BATCH_TIMEOUT (180 s) per run, twice per case (forms, then cover and
#: catalog) and once more on a retry: 540 s. The soft limit stands well above that.
SOFT_LIMIT = 900.0
HARD_LIMIT = 1200.0
#: Far above HARD_LIMIT: a message is given to another worker only when its worker surely is gone.
VISIBILITY_TIMEOUT = 6 * 3600.0
RESULT_TTL = 3600
#: Seconds a Redis command may take before the connection counts as lost.
SOCKET_TIMEOUT = 5.0


@dataclass(frozen=True)
class QueueSettings:
    """Where the queue is and how long its jobs may take (tests shorten ``visibility_timeout``)."""

    broker: str
    visibility_timeout: float = VISIBILITY_TIMEOUT
    soft_limit: float = SOFT_LIMIT
    hard_limit: float = HARD_LIMIT
    result_ttl: int = RESULT_TTL


def address_of(url: str) -> str:
    """``host:port/db`` (or the socket path) of a Redis URL, without a password: safe to print."""
    parts = urlsplit(url)
    if parts.scheme == "unix":
        return parts.path
    host = parts.hostname or "localhost"
    port = parts.port or 6379
    db = parts.path.lstrip("/") or "0"
    return f"{host}:{port}/{db}"


def check_broker(url: str, timeout: float = SOCKET_TIMEOUT) -> None:
    """Raise :class:`BrokerUnreachable` unless ``url`` is a Redis URL whose server answers within
    ``timeout`` seconds."""
    import redis

    scheme = urlsplit(url).scheme
    if scheme not in ("redis", "rediss", "unix"):
        raise BrokerUnreachable(
            f"队列地址 {url} 不是 Redis 地址；请写成 redis://主机:端口/库号，例如 redis://127.0.0.1:6379/0",
            url,
        )
    where = address_of(url)
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        client.ping()
        client.close()
    except (redis.RedisError, OSError, ValueError) as exc:
        raise BrokerUnreachable(
            f"连不上队列的 Redis（{where}）：{exc}。请确认 redis-server 已启动、地址和端口正确、本机能访问它",
            where,
        ) from None


def celery_config(settings: QueueSettings) -> dict[str, Any]:
    """The Celery settings (see the module's notes for why each)."""
    visibility = int(settings.visibility_timeout)
    transport = {
        "visibility_timeout": visibility,
        # a lost worker's case is looked for every few seconds (kombu's sweep of unacknowledged messages)
        "unacked_restore_interval": 2 if visibility < 60 else 10,
        "unacked_restore_throttle": 1,
        "socket_timeout": SOCKET_TIMEOUT,
        "socket_connect_timeout": SOCKET_TIMEOUT,
    }
    return {
        "broker_url": settings.broker,
        "result_backend": settings.broker,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "task_acks_on_failure_or_timeout": True,
        "worker_prefetch_multiplier": 1,
        "broker_transport_options": transport,
        "result_backend_transport_options": {"visibility_timeout": visibility},
        "visibility_timeout": visibility,
        "task_soft_time_limit": settings.soft_limit,
        "task_time_limit": settings.hard_limit,
        "task_track_started": True,
        "result_expires": settings.result_ttl,
        "result_extended": False,
        "redis_socket_timeout": SOCKET_TIMEOUT,
        "redis_socket_connect_timeout": SOCKET_TIMEOUT,
        "redis_retry_on_timeout": False,
        "broker_connection_timeout": SOCKET_TIMEOUT,
        "broker_connection_retry_on_startup": True,
        "task_publish_retry_policy": {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5},
        "task_default_queue": "build",
        "task_routes": {"paperwork.build": {"queue": "build"}, "paperwork.ocr": {"queue": "ocr"}},
        "worker_send_task_events": False,
        "task_send_sent_event": False,
        "enable_utc": True,
    }
