"""Builds on Celery workers over a real Redis: the same binders as a local batch, and the faults.

Each test starts Debian's ``redis-server`` on a free port and real ``paperwork worker``
subprocesses (two where the test needs two); the sender is the real ``paperwork build-binder
--queue`` command. Under CI=true a missing redis-server or LibreOffice fails the test.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.conftest import DEMO, EXPANSION, copy_demo, edit_case, outline
from tests.queueing import RedisServer, Worker, free_port

pytestmark = pytest.mark.redis


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    redis_server = RedisServer(tmp_path / "redis")
    yield redis_server
    redis_server.kill()


@pytest.fixture
def workers(soffice: Path, server: RedisServer, tmp_path: Path) -> Iterator[list[Worker]]:
    """Two workers of one process each, ready; stopped (and their LibreOffices ended) afterwards."""
    started = [Worker(server.url(), name, tmp_path / "workers") for name in ("w1", "w2")]
    try:
        for worker in started:
            worker.wait_ready()
        yield started
    finally:
        for worker in started:
            worker.stop()


def make_cases(folder: Path, count: int) -> list[Path]:
    """``count`` cases, demo and expansion in turn, each with its own case id."""
    made = []
    for n in range(count):
        source = DEMO if n % 2 == 0 else EXPANSION
        case = copy_demo(folder / f"case-{n}") if source == DEMO else _copy(source, folder / f"case-{n}")
        data_id = f"Q-{n:03d}"
        made.append(edit_case(case, case_id=data_id))
    return made


def sender_args(cases: Path, out: Path, url: str, *extra: str) -> list[str]:
    """The arguments of ``paperwork build-binder CASES -o OUT --queue URL --no-cache [EXTRA…]``."""
    return ["build-binder", str(cases), "-o", str(out), "--queue", url, "--no-cache", *extra]


def sender_command(cases: Path, out: Path, url: str, *extra: str) -> list[str]:
    """:func:`sender_args` as a command line, run as a subprocess the test can watch and interrupt."""
    return [sys.executable, "-m", "paperwork", *sender_args(cases, out, url, *extra)]


def _copy(source: Path, target: Path) -> Path:
    import shutil

    shutil.copytree(source.parent, target)
    return target / "case.yaml"


def paperwork(
    *args: str, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paperwork", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def rows(result: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    data = json.loads(result.stdout)
    assert isinstance(data, list)
    return data


def binder_facts(folder: Path) -> dict[str, Any]:
    """What a person compares between two builds: pages, bookmarks, catalog rows."""
    facts: dict[str, Any] = {}
    for name in ("大本资料", "小本资料"):
        reader = PdfReader(str(folder / f"{name}.pdf"))
        facts[name] = (len(reader.pages), outline(reader))
    book = load_workbook(folder / "卷内目录.xlsx")
    facts["catalog"] = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    return facts


def test_a_queued_batch_gives_the_local_binders_and_both_workers_build(
    workers: list[Worker], server: RedisServer, tmp_path: Path
) -> None:
    cases = make_cases(tmp_path / "cases", 4)
    local = paperwork(
        "build-binder",
        str(tmp_path / "cases"),
        "-o",
        str(tmp_path / "local"),
        "--jobs",
        "2",
        "--format",
        "json",
        "--no-cache",
    )
    assert local.returncode == 0, local.stderr
    assert {r["worker"] for r in rows(local)} == {"local"}
    queued = paperwork(
        *sender_args(tmp_path / "cases", tmp_path / "queued", server.url(), "--format", "json")
    )
    assert queued.returncode == 0, queued.stderr + queued.stdout
    answers = rows(queued)
    assert [r["case_id"] for r in answers] == [f"Q-{n:03d}" for n in range(len(cases))]
    assert all(set(r) >= {"case_id", "status", "pages", "seconds", "out", "worker"} for r in answers)
    assert {r["status"] for r in answers} == {"built"}
    names = {r["worker"].split("@")[0] for r in answers}
    assert names == {"w1", "w2"}, answers  # both workers took cases
    for r in answers:
        assert r["worker"].split("/")[-1].isdigit()  # host and process
        assert Path(r["out"]) == (tmp_path / "queued" / r["case_id"]).resolve()
        assert binder_facts(Path(r["out"])) == binder_facts(tmp_path / "local" / r["case_id"])
        assert r["pages"] == next(x["pages"] for x in rows(local) if x["case_id"] == r["case_id"])
    # the text form: the local batch's table and closing line
    again = paperwork(*sender_args(tmp_path / "cases", tmp_path / "queued", server.url()))
    assert again.returncode == 0, again.stderr
    assert "共 4 个案卷：装订 4，未变 0，失败 0。" in again.stdout or "未变" in again.stdout


def test_an_unreachable_redis_is_a_usage_error_within_ten_seconds(tmp_path: Path) -> None:
    case = copy_demo(tmp_path / "demo")
    port = free_port()  # nothing listens there
    for args in (
        ["build-binder", str(case), "-o", str(tmp_path / "out"), "--queue", f"redis://127.0.0.1:{port}/0"],
        ["worker", "--broker", f"redis://127.0.0.1:{port}/0"],
    ):
        started = time.monotonic()
        result = paperwork(*args, timeout=30)
        assert time.monotonic() - started < 10
        assert result.returncode == 2, result.stderr
        assert f"127.0.0.1:{port}/0" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
    wrong = paperwork("build-binder", str(case), "-o", str(tmp_path / "out"), "--queue", "http://example/0")
    assert wrong.returncode == 2 and "redis://" in wrong.stderr


def test_no_worker_within_wait_is_said_plainly_and_the_cases_are_withdrawn(
    server: RedisServer, tmp_path: Path
) -> None:
    make_cases(tmp_path / "cases", 2)
    started = time.monotonic()
    result = paperwork(
        "build-binder",
        str(tmp_path / "cases"),
        "-o",
        str(tmp_path / "out"),
        "--queue",
        server.url(3),
        "--wait",
        "2",
        "--format",
        "json",
    )
    assert time.monotonic() - started < 20
    assert result.returncode == 1
    answers = rows(result)
    assert [r["status"] for r in answers] == ["failed", "failed"]
    assert all("2 秒内没有工作机接手" in r["message"] for r in answers)
    client = redis.Redis.from_url(server.url(3))
    assert len(client.keys("paperwork:cancelled:*")) == 2  # a worker started later does not build them


def test_redis_lost_mid_batch_names_the_unknown_cases(
    soffice: Path, server: RedisServer, tmp_path: Path
) -> None:
    make_cases(tmp_path / "cases", 4)
    worker = Worker(server.url(), "w1", tmp_path / "workers")
    try:
        worker.wait_ready()
        command = sender_command(tmp_path / "cases", tmp_path / "out", server.url())
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as sender:
            deadline = time.monotonic() + 120
            while "paperwork: Q-000" not in worker.text() and time.monotonic() < deadline:
                time.sleep(0.1)
            server.kill()  # Redis gone: one case answered at most, the rest unknown
            out, err = sender.communicate(timeout=60)
        assert sender.returncode == 1, out + err
        assert "结果未知" in out + err and f"127.0.0.1:{server.port}/0" in err
        assert "Q-003" in err and "Traceback" not in err
    finally:
        worker.stop()


def _started(client: redis.Redis, timeout: float = 120) -> dict[str, Any]:
    """The first task a worker started (Celery's STARTED state carries its pid and hostname)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for key in client.keys("celery-task-meta-*"):
            raw = client.get(key)
            meta = json.loads(raw) if raw else {}
            if meta.get("status") == "STARTED":
                return dict(meta)
        time.sleep(0.05)
    raise AssertionError("no task started")


@pytest.mark.parametrize("whole", [False, True], ids=["pool-process", "whole-worker"])
def test_a_worker_killed_mid_build_leaves_its_case_to_another(
    soffice: Path, server: RedisServer, tmp_path: Path, whole: bool
) -> None:
    make_cases(tmp_path / "cases", 3)
    env = {"PAPERWORK_VISIBILITY_TIMEOUT": "6"}  # a whole worker lost: its case back on the queue in seconds
    started_workers = [Worker(server.url(), n, tmp_path / "workers", env=env) for n in ("w1", "w2")]
    client = redis.Redis.from_url(server.url())
    try:
        for w in started_workers:
            w.wait_ready()
        command = sender_command(tmp_path / "cases", tmp_path / "out", server.url(), "--format", "json")
        with subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **env}
        ) as sender:
            meta = _started(client)
            victim = meta["result"]["pid"] if isinstance(meta.get("result"), dict) else None
            assert victim is not None, meta
            host = meta["result"]["hostname"]
            if whole:
                owner = next(w for w in started_workers if host.startswith(w.name + "@"))
                owner.kill_all()
            else:
                os.kill(victim, signal.SIGKILL)
            out, err = sender.communicate(timeout=240)
        assert sender.returncode == 0, out + err
        answers = json.loads(out)
        assert [r["status"] for r in answers] == ["built"] * 3
        assert all(not r["worker"].endswith(f"/{victim}") for r in answers)
        for r in answers:  # each OUT holds one whole set
            folder = Path(r["out"])
            assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == [
                "docx",
                "卷内目录.xlsx",
                "大本资料.pdf",
                "小本资料.pdf",
            ]
            verified = paperwork("verify", str(folder), "--format", "json")
            assert verified.returncode == 0, verified.stdout
        logs = "".join(w.text() for w in started_workers)
        assert sum(logs.count(f"paperwork: Q-00{n} built") for n in range(3)) == 3  # each built once
    finally:
        for w in started_workers:
            w.stop()


def test_a_task_delivered_twice_is_built_once(
    workers: list[Worker], server: RedisServer, tmp_path: Path
) -> None:
    from celery.result import AsyncResult

    from paperwork.binder.build import BuildOptions, CaseJob
    from paperwork.dispatch.broker import QueueSettings
    from paperwork.dispatch.tasks import build_message, sender

    (case,) = make_cases(tmp_path / "cases", 1)
    (tmp_path / "out").mkdir()
    message = build_message(CaseJob(case, tmp_path / "out" / "Q-000"), BuildOptions(), cache="none")
    app = sender(QueueSettings(server.url()))
    for _ in range(2):  # the same task (same id) on the queue twice, as a redelivery makes it
        app.send_task("paperwork.build", args=[message], task_id="twice-1")
    answer = AsyncResult("twice-1", app=app).get(timeout=180)
    deadline = time.monotonic() + 60
    while sum(w.text().count("Task paperwork.build[twice-1] succeeded") for w in workers) < 2:
        assert time.monotonic() < deadline, "the second delivery was not consumed"
        time.sleep(0.2)
    assert answer["status"] == "built"
    logs = "".join(w.text() for w in workers)
    assert logs.count("paperwork: Q-000 built") == 1
    assert AsyncResult("twice-1", app=app).get(timeout=10) == answer


def test_a_worker_whose_libreoffice_died_restarts_it(
    workers: list[Worker], server: RedisServer, tmp_path: Path
) -> None:
    import psutil

    make_cases(tmp_path / "cases", 2)
    first = paperwork(
        *sender_args(
            tmp_path / "cases" / "case-0" / "case.yaml", tmp_path / "one", server.url(), "--format", "json"
        )
    )
    assert first.returncode == 0, first.stderr
    offices = [
        p
        for w in workers
        for p in psutil.Process(w.process.pid).children(recursive=True)
        if "soffice" in " ".join(p.cmdline())
    ]
    assert offices, "a worker keeps its LibreOffice between tasks"
    for p in offices:
        p.kill()
    second = paperwork(*sender_args(tmp_path / "cases", tmp_path / "all", server.url(), "--format", "json"))
    assert second.returncode == 0, second.stderr + second.stdout
    assert [r["status"] for r in rows(second)] == ["built", "built"]


def test_a_worker_that_cannot_see_the_case_names_the_path_and_itself(
    workers: list[Worker], server: RedisServer, tmp_path: Path
) -> None:
    from celery.result import AsyncResult

    from paperwork.binder.build import BuildOptions, CaseJob
    from paperwork.dispatch.broker import QueueSettings
    from paperwork.dispatch.tasks import build_message, sender

    missing = tmp_path / "elsewhere" / "case.yaml"  # as on a machine without the shared folder
    message = build_message(CaseJob(missing, tmp_path / "out" / "X"), BuildOptions())
    app = sender(QueueSettings(server.url()))
    answer = AsyncResult(app.send_task("paperwork.build", args=[message]).id, app=app).get(timeout=60)
    assert answer["status"] == "failed"
    assert str(missing) in answer["message"] and "@" in answer["message"] and "共享存储" in answer["message"]


# -- intake --queue: scans read on the workers ------------------------------------------------


def _papers(result: subprocess.CompletedProcess[str]) -> list[tuple[Any, ...]]:
    data = json.loads(result.stdout)
    keys = ("file", "pages", "title", "date", "number", "round", "application_date")
    return sorted(tuple(d[k] for k in keys) for d in data["documents"])


def test_a_queued_intake_reads_what_a_local_one_reads(
    workers: list[Worker], server: RedisServer, tmp_path: Path
) -> None:
    from tests.scanmaker import loose_pages, make_notices

    scans = tmp_path / "scans"
    expected = make_notices(scans / "notices")
    loose_pages(scans / "loose")
    (scans / "broken.pdf").write_bytes(b"%PDF-1.4 not really")
    local = paperwork("intake", str(scans), "--format", "json", "--no-cache")
    assert local.returncode == 0, local.stderr
    queued = paperwork("intake", str(scans), "--format", "json", "--no-cache", "--queue", server.url())
    assert queued.returncode == 0, queued.stderr
    assert _papers(queued) == _papers(local)
    assert len(_papers(queued)) >= len(expected)
    unmatched = json.loads(queued.stdout)["unmatched"]
    assert any(u["file"].endswith("broken.pdf") and "无法读取" in u["reason"] for u in unmatched)
    readers = [w.name for w in workers if "paperwork: read" in w.text()]
    assert readers == ["w1", "w2"], [w.text()[-1500:] for w in workers]  # both workers read scans
    # a written case as without a queue
    case = copy_demo(tmp_path / "case")
    written = paperwork(
        "intake",
        str(scans / "notices"),
        "--case",
        str(case),
        "-o",
        str(tmp_path / "proposed.yaml"),
        "--queue",
        server.url(),
    )
    assert "已写入" in written.stdout, written.stdout + written.stderr


def test_a_queued_intake_without_workers_says_so(server: RedisServer, tmp_path: Path) -> None:
    from tests.scanmaker import make_notices

    make_notices(tmp_path / "scans")
    result = paperwork("intake", str(tmp_path / "scans"), "--queue", server.url(2), "--wait", "2")
    assert result.returncode == 1
    assert "2 秒内没有工作机接手" in result.stdout
    assert "没有工作机识别" in result.stderr
    unreachable = paperwork(
        "intake", str(tmp_path / "scans"), "--queue", f"redis://127.0.0.1:{free_port()}/0"
    )
    assert unreachable.returncode == 2
    assert "127.0.0.1" in unreachable.stderr and "Traceback" not in unreachable.stderr


# -- serve --queue: the page's builds on the workers ----------------------------------------------


def test_serve_with_a_queue_answers_202_and_gives_the_same_task_to_a_second_click(
    workers: list[Worker], server: RedisServer, tmp_path: Path
) -> None:
    from paperwork.dispatch.broker import QueueSettings
    from paperwork.dispatch.client import Waiting
    from tests.serving import in_process, workspace

    ws = workspace(tmp_path / "ws")
    with in_process(ws, queue=Waiting(QueueSettings(server.url()), 60)) as api:
        first = api.post("/api/cases/GY-2023-017/build", params={"draft": "true"})
        assert first.status_code == 202, first.text
        task = first.json()["task"]
        second = api.post("/api/cases/GY-2023-017/build", params={"draft": "true"})
        assert second.status_code == 202 and second.json()["task"] == task  # the same build, not a second
        states = set()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            progress = api.get("/api/cases/GY-2023-017/progress").json()
            states.add(progress["state"])
            if "answer" in progress:
                break
            assert progress["running"] is True and progress["task"] == task
            time.sleep(0.2)
        answer = progress["answer"]
        assert answer["ok"] is True, answer
        assert set(answer["files"]) == {"大本资料.pdf", "小本资料.pdf", "卷内目录.xlsx"}
        big = api.get("/api/cases/GY-2023-017/files/大本资料.pdf")
        assert big.status_code == 200
        reader = PdfReader(io.BytesIO(big.content))
        assert "草稿" in reader.pages[0].extract_text()
        assert answer["pages"] == len(reader.pages) + len(
            PdfReader(io.BytesIO(api.get("/api/cases/GY-2023-017/files/小本资料.pdf").content)).pages
        )
        assert states & {"PENDING", "STARTED", "SUCCESS"}
        history = api.get("/api/cases/GY-2023-017/history").json()
        assert any(c["path"] == "build" for e in history for c in e["changes"]), history[:2]
        # a click after it ended is a new build
        again = api.post("/api/cases/GY-2023-017/build", params={"draft": "true"})
        assert again.status_code == 202 and again.json()["task"] != task
    built_by = [w.name for w in workers if "paperwork: GY-2023-017" in w.text()]
    assert built_by, [w.text()[-800:] for w in workers]


def test_serve_with_a_queue_and_no_worker_says_so(server: RedisServer, tmp_path: Path) -> None:
    from paperwork.dispatch.broker import QueueSettings
    from paperwork.dispatch.client import Waiting
    from tests.serving import in_process, workspace

    ws = workspace(tmp_path / "ws")
    with in_process(ws, queue=Waiting(QueueSettings(server.url(6)), 2)) as api:
        sent = api.post("/api/cases/GY-2023-017/build", params={"draft": "true"})
        assert sent.status_code == 202
        deadline = time.monotonic() + 30
        progress: dict[str, Any] = {}
        while time.monotonic() < deadline and "answer" not in progress:
            progress = api.get("/api/cases/GY-2023-017/progress").json()
            time.sleep(0.3)
        assert progress["answer"]["ok"] is False
        assert "2 秒内没有工作机接手" in progress["answer"]["message"]
        server.kill()  # Redis gone: a build is refused with its code, not a stack trace
        refused = api.post("/api/cases/GY-2023-017/build", params={"draft": "true"})
        assert refused.status_code == 503, refused.text
        assert refused.json()["findings"][0]["code"] == "QUEUE_UNREACHABLE"


def test_the_case_page_builds_through_the_queue(
    workers: list[Worker], server: RedisServer, browser: Any, tmp_path: Path
) -> None:
    from tests.serving import running, workspace

    ws = workspace(tmp_path / "ws")
    with running(ws, "--today", "2026-12-01", "--queue", server.url()) as site:
        assert "交给队列" in site.log.read_text(encoding="utf-8")  # no LibreOffice of its own
        page = browser.new_page(viewport={"width": 1024, "height": 768})
        page.goto(site.url + "/cases/GY-2023-017")
        page.get_by_role("button", name="装订案卷").click()
        page.wait_for_selector(
            "#build-result a[href$='%E5%A4%A7%E6%9C%AC%E8%B5%84%E6%96%99.pdf']", timeout=180_000
        )
        assert "装订完成" in page.locator("#progress .message").inner_text()
        page.close()
    assert any("paperwork: GY-2023-017 built" in w.text() for w in workers)
