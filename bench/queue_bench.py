"""Benchmark for batches: cold local, warm local, and the queue with two local workers, in one run.

Usage: python bench/queue_bench.py [--cases 100] [--jobs 2] [--baseline-sample 20]

On the same synthetic cases (bench/synth.py), each with an empty cache:

1. today's cold batch (``build-binder --jobs J --cold``: one cold LibreOffice run per phase per process)
2. the warm local batch (``--jobs J``: one LibreOffice kept per process for the batch)
3. the queue: a real redis-server and two ``paperwork worker --concurrency 1`` (J processes in all)
4. one case through an already warm worker (five cases it has not built, one after another, the median)
5. one ``soffice`` call per document (scale_bench's baseline), on a sample, scaled to all documents
6. RSS of one worker process with its LibreOffice after case 10 and after the last case
7. rows 3 and 6 again with each worker's LibreOffice renewed past a cap (``--max-memory``) set 10% above
   the level after case 10: what flat memory costs in time

Nothing here asserts a time: it prints figures and ratios against the cold batch of this run.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import generate

from paperwork.binder.libreoffice import convert_batch

PY = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(args: list[str], env: dict[str, str]) -> tuple[float, list[dict[str, object]]]:
    started = time.perf_counter()
    done = subprocess.run(
        [PY, "-m", "paperwork", *args, "--format", "json"], capture_output=True, text=True, env=env
    )
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)


def start_workers(
    broker: str, count: int, base: Path, env: dict[str, str], *extra: str
) -> list[subprocess.Popen[bytes]]:
    """``count`` workers of one process each, with caches of their own under ``base``."""
    base.mkdir(parents=True, exist_ok=True)
    workers = []
    for n in range(count):
        command = [PY, "-m", "paperwork", "worker", "--broker", broker, "--concurrency", "1"]
        command += ["--hostname", f"w{n}@%h", "--loglevel", "WARNING", *extra]
        with (base / f"w{n}.log").open("wb") as log:
            workers.append(
                subprocess.Popen(
                    command,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**env, "PAPERWORK_CACHE": str(base / f"cache-w{n}")},
                    start_new_session=True,
                )
            )
    return workers


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for w in workers:
        if w.poll() is not None:
            continue
        try:
            os.killpg(w.pid, signal.SIGTERM)
            w.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(w.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class Measured(NamedTuple):
    seconds: float
    rows: list[dict[str, object]]
    rss_10: float  # one worker's pool process and its LibreOffice after the 10-case probe (MB)
    rss_end: float  # the same after the batch
    python_10: float  # that process alone after the probe


def queue_run(
    broker: str, jobs: int, cases: list[Path], root: str, base: Path, env: dict[str, str], *extra: str
) -> tuple[Measured, list[subprocess.Popen[bytes]]]:
    """Workers started afresh (``extra``: more worker options): a probe of 10 cases with no cache,
    so their caches stay empty for the batch, then the timed batch; and the workers, still warm."""
    import psutil

    workers = start_workers(broker, jobs, base, env, *extra)
    try:
        time.sleep(4)  # the workers connect (LibreOffice starts on each one's first case)
        probe = base / "probe"
        for i, case in enumerate(cases[:10]):
            shutil.copytree(case.parent, probe / f"p{i}")
        run(["build-binder", str(probe), "-o", str(base / "probe-out"), "--queue", broker, "--no-cache"], env)
        child = pool_child(workers[0].pid)
        rss_10, python_10 = rss_of_tree(child), psutil.Process(child).memory_info().rss / 2**20
        seconds, rows = run(["build-binder", root, "-o", str(base / "queued"), "--queue", broker], env)
        rss_end = rss_of_tree(pool_child(workers[0].pid))
    except BaseException:
        stop_workers(workers)
        raise
    return Measured(seconds, rows, rss_10, rss_end, python_10), workers


def rss_of_tree(pid: int) -> float:
    import psutil

    total = 0
    try:
        root = psutil.Process(pid)
        for proc in [root, *root.children(recursive=True)]:
            total += proc.memory_info().rss
    except psutil.NoSuchProcess:
        return 0.0
    return total / 2**20


def pool_child(pid: int) -> int:
    import psutil

    kids = [
        p
        for p in psutil.Process(pid).children()
        if "python" in p.name().lower() or "paperwork" in " ".join(p.cmdline())
    ]
    return kids[0].pid if kids else pid


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--baseline-sample", type=int, default=20)
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="paperwork-queue-bench-"))
    env = {**os.environ}
    redis = workers = None
    try:
        cases = generate(tmp / "cases", args.cases, seed=5)
        root = str(tmp / "cases")
        cold_s, cold = run(
            [
                "build-binder",
                root,
                "-o",
                str(tmp / "cold"),
                "--jobs",
                str(args.jobs),
                "--cold",
                "--cache",
                str(tmp / "cache-cold"),
            ],
            env,
        )
        warm_s, warm = run(
            [
                "build-binder",
                root,
                "-o",
                str(tmp / "warm"),
                "--jobs",
                str(args.jobs),
                "--cache",
                str(tmp / "cache-warm"),
            ],
            env,
        )

        port = free_port()
        redis = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        broker = f"redis://127.0.0.1:{port}/0"
        time.sleep(0.5)
        default, workers = queue_run(broker, args.jobs, cases, root, tmp / "w", env)
        queue_s, queued, rss_10, rss_100 = default.seconds, default.rows, default.rss_10, default.rss_end
        # one case at a time through the warm workers, as a worker runs (its own cache): five cases
        # no worker has built (another seed), so every form is filled and converted; the median of
        # the workers' own times (and of the whole commands), so one noisy minute does not decide
        singles = []
        for i, case in enumerate(generate(tmp / "fresh", 5, seed=11)):
            out = tmp / f"one-out-{i}"
            seconds, rows = run(["build-binder", str(case), "-o", str(out), "--queue", broker], env)
            singles.append((seconds, float(str(rows[0]["seconds"]))))
        one_s = statistics.median(s for s, _ in singles)
        one_worker_s = statistics.median(w for _, w in singles)
        stop_workers(workers)
        # 7: the same with each worker's LibreOffice renewed once it is 10% of the whole above its
        # level after the probe (--max-memory, in MB, counts LibreOffice alone), less a few MB for
        # the Python process's own growth: what holding memory flat costs in time
        cap = int(rss_10 - default.python_10 + 0.1 * rss_10 - 5)
        bounded, workers = queue_run(
            broker, args.jobs, cases, root, tmp / "wb", env, "--max-memory", str(cap)
        )
        stop_workers(workers)

        docs = sorted((tmp / "cache-warm" / "docx").rglob("*.docx"))
        sample = random.Random(3).sample(docs, min(args.baseline_sample, len(docs)))
        started = time.perf_counter()
        for d in sample:
            convert_batch([d], tmp / "single" / d.stem)
        per_doc = (time.perf_counter() - started) / max(1, len(sample))

        def failed(rows: list[dict[str, object]]) -> int:
            return sum(1 for r in rows if r["status"] not in ("built", "unchanged"))

        workers_seen = sorted({str(r["worker"]).split("/")[0] for r in queued})
        print(f"{args.cases} synthetic cases, {args.jobs} processes, {os.cpu_count()} cores")
        print(f"1 cold local batch (--cold):      {cold_s:7.2f} s   failed {failed(cold)}")
        print(f"2 warm local batch:               {warm_s:7.2f} s   failed {failed(warm)}   (target ≤ 15 s)")
        print(
            f"3 queue, {args.jobs} workers:              {queue_s:7.2f} s   failed {failed(queued)}   by {', '.join(workers_seen)}"
        )
        print(
            f"4 one case, warm worker:          {one_s:7.2f} s   (median of 5, command total; worker's own {one_worker_s:.2f} s; target ≤ 0.5 s)"
        )
        print(
            f"5 one soffice call per document:  {per_doc:7.2f} s × {len(docs)} documents = {per_doc * len(docs):7.1f} s"
        )
        print(
            f"6 worker RSS (process + LibreOffice): after the 10-case probe {rss_10:6.0f} MB, after {args.cases} more: {rss_100:6.0f} MB"
            f"   growth {100 * (rss_100 / rss_10 - 1) if rss_10 else 0:+.1f}% (target ≤ 10%)"
        )
        print(
            f"7 queue, LibreOffice renewed past {cap} MB: {bounded.seconds:7.2f} s ({bounded.seconds / queue_s:.2f} × row 3),"
            f" RSS {bounded.rss_10:.0f} → {bounded.rss_end:.0f} MB, growth {100 * (bounded.rss_end / bounded.rss_10 - 1):+.1f}%"
            f"   failed {failed(bounded.rows)}"
        )
        print("ratios:")
        print(f"  cold / warm local:              {cold_s / warm_s:7.2f} ×   (target ≥ 3 ×)")
        print(f"  queue / warm local:             {queue_s / warm_s:7.2f}     (target ≤ 1.15)")
        print(f"  per-document / warm local:      {per_doc * len(docs) / warm_s:7.1f} ×")
        print(
            "json:",
            json.dumps(
                {
                    "cases": args.cases,
                    "jobs": args.jobs,
                    "cold_s": cold_s,
                    "warm_s": warm_s,
                    "queue_s": queue_s,
                    "one_case_s": one_s,
                    "one_case_worker_s": one_worker_s,
                    "per_document_s": per_doc,
                    "documents": len(docs),
                    "rss_10_mb": rss_10,
                    "rss_end_mb": rss_100,
                    "bounded_cap_mb": cap,
                    "bounded_s": bounded.seconds,
                    "bounded_rss_10_mb": bounded.rss_10,
                    "bounded_rss_end_mb": bounded.rss_end,
                }
            ),
        )
    finally:
        stop_workers(workers or [])
        if redis is not None:
            redis.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
