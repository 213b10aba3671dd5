"""A real ``paperwork serve`` for the tests: a subprocess on a free loopback port, a workspace of copies."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import ROOT, TODAY, blank_pdfs, copy_demo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def workspace(folder: Path) -> Path:
    """A workspace with the demo case (and its scans) and the in-progress case, as copies."""
    folder.mkdir(parents=True, exist_ok=True)
    copy_demo(folder / "demo")
    shutil.copytree(ROOT / "fixtures" / "in-progress", folder / "in-progress")
    return folder


def in_process(ws: Path, **kwargs: Any) -> Any:
    """The server's app for ``ws`` in this process (FastAPI's TestClient, to use in a ``with``): a
    stand-in converter, the tests' fixed day, 1 MB uploads; ``kwargs`` go to ``make_server``."""
    from fastapi.testclient import TestClient

    from paperwork.serve.app import create_app, make_server
    from paperwork.serve.overview import ServerSettings

    kwargs.setdefault("max_upload", 1 << 20)
    server = make_server(ws, converter=blank_pdfs, settings=ServerSettings(today=TODAY), **kwargs)
    return TestClient(create_app(server), base_url="http://127.0.0.1:8000", raise_server_exceptions=False)


@dataclass
class Running:
    url: str
    process: subprocess.Popen[str]
    log: Path

    def client(self, **kwargs: object) -> httpx.Client:
        kwargs.setdefault("verify", not self.url.startswith("https"))  # the tests' self-signed certificate
        return httpx.Client(base_url=self.url, timeout=120, **kwargs)  # type: ignore[arg-type]


@contextlib.contextmanager
def running(ws: Path, *extra: str, env: dict[str, str] | None = None) -> Iterator[Running]:
    """``paperwork serve ws`` until the block ends; its output goes to a log beside the workspace."""
    port = free_port()
    log = ws.parent / f"serve-{port}.log"
    full_env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "paperwork", "serve", str(ws), "--port", str(port), *extra]
    with log.open("w") as out:
        process = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=full_env, text=True)
    url = f"{'https' if '--tls-cert' in extra else 'http'}://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"paperwork serve ended: {log.read_text(encoding='utf-8')}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(url + "/static/style.css", timeout=2, verify=False).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"paperwork serve did not answer: {log.read_text(encoding='utf-8')}")
            time.sleep(0.2)
        yield Running(url, process, log)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
