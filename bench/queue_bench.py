"""Benchmark for batches: cold local, warm local, and the queue with two local workers, in one run.

Usage: python bench/queue_bench.py [--cases 100] [--jobs 2] [--baseline-sample 20]

On the same synthetic cases (bench/synth.py), each with an empty cache:

1. today's cold batch (``build-binder --jobs J --cold``: one cold LibreOffice run per phase per process)
2. the warm local batch (``--jobs J``: one LibreOffice kept per process for the batch)
3. the queue: a real redis-server and two ``paperwork worker --concurrency 1`` (J processes in all)
4. one case through an already warm worker (five cases one after another, the median)
5. one ``soffice`` call per document (scale_bench's baseline), on a sample, scaled to all documents
6. RSS of one worker process with its LibreOffice after case 10 and after the last case

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
        workers = []
        for n in range(args.jobs):
            log = (tmp / f"w{n}.log").open("wb")
            workers.append(
                subprocess.Popen(
                    [
                        PY,
                        "-m",
                        "paperwork",
                        "worker",
                        "--broker",
                        broker,
                        "--concurrency",
                        "1",
                        "--hostname",
                        f"w{n}@%h",
                        "--loglevel",
                        "WARNING",
                    ],
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env={**env, "PAPERWORK_CACHE": str(tmp / f"cache-w{n}")},
                    start_new_session=True,
                )
            )
        time.sleep(4)  # the workers connect (LibreOffice starts on each one's first case, inside the timing)
        # RSS of one worker's pool process and its LibreOffice: after its first cases (a probe of 10,
        # no cache, so the workers' caches stay empty for the timed batch) and after the whole batch
        probe = tmp / "probe"
        for i, case in enumerate(cases[:10]):
            shutil.copytree(case.parent, probe / f"p{i}")
        run(["build-binder", str(probe), "-o", str(tmp / "probe-out"), "--queue", broker, "--no-cache"], env)
        rss_10 = rss_of_tree(pool_child(workers[0].pid))
        queue_s, queued = run(["build-binder", root, "-o", str(tmp / "queued"), "--queue", broker], env)
        rss_100 = rss_of_tree(pool_child(workers[0].pid))
        # one case at a time through the warm workers, five different cases: the median of the
        # workers' own times (and of the whole commands), so one noisy minute does not decide
        singles = []
        for i, case in enumerate(cases[:5]):
            one = tmp / f"one-{i}"
            shutil.copytree(case.parent, one)
            seconds, rows = run(
                [
                    "build-binder",
                    str(one / "case.yaml"),
                    "-o",
                    str(tmp / f"one-out-{i}"),
                    "--queue",
                    broker,
                    "--no-cache",
                ],
                env,
            )
            singles.append((seconds, float(str(rows[0]["seconds"]))))
        one_s = statistics.median(s for s, _ in singles)
        one_worker_s = statistics.median(w for _, w in singles)

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
                }
            ),
        )
    finally:
        for w in workers or []:
            try:
                os.killpg(w.pid, signal.SIGTERM)
                w.wait(timeout=20)
            except (OSError, subprocess.TimeoutExpired):
                os.killpg(w.pid, signal.SIGKILL)
        if redis is not None:
            redis.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
