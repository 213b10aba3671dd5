"""A real redis-server on a free port and real ``paperwork worker`` processes, for the queue tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def redis_server_binary() -> str:
    """Debian's redis-server; under CI=true its absence is a failure, not a skip."""
    found = shutil.which("redis-server")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but redis-server is missing (apt install redis-server)")
        pytest.skip("redis-server is missing (apt install redis-server)")
    return found


class RedisServer:
    """``redis-server`` on 127.0.0.1 and a free port, no persistence; ``url`` for db 0."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        folder.mkdir(parents=True, exist_ok=True)
        cmd = [redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        cmd += ["--appendonly", "no", "--dir", str(folder)]
        self.process = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.wait(timeout=10)


class Worker:
    """A ``paperwork worker`` subprocess in its own process group; its log in ``log``."""

    def __init__(
        self,
        broker: str,
        name: str,
        folder: Path,
        *,
        env: dict[str, str] | None = None,
        args: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.log = folder / f"{name}.log"
        folder.mkdir(parents=True, exist_ok=True)
        environ = {**os.environ, "PAPERWORK_CACHE": str(folder / f"cache-{name}"), **(env or {})}
        cmd = [sys.executable, "-m", "paperwork", "worker", "--broker", broker, "--concurrency", "1"]
        cmd += ["--hostname", f"{name}@%h", *args]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                cmd, stdout=log, stderr=subprocess.STDOUT, env=environ, start_new_session=True
            )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.text():
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"worker {self.name} ended: {self.text()[-2000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"worker {self.name} not ready: {self.text()[-2000:]}")

    def kill_all(self) -> None:
        """SIGKILL the worker and every process of its group (its pool and its LibreOffice)."""
        with contextlib.suppress(OSError):
            os.killpg(self.process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill_all()
        with contextlib.suppress(OSError):  # anything left of the group (a LibreOffice) goes too
            os.killpg(self.process.pid, signal.SIGKILL)
