"""Benchmark: the same case built by a cold CLI run and by a running `paperwork serve` (warm LibreOffice).

Usage: python bench/serve_bench.py [CASE_FOLDER] [--runs N]

Both sides build the same case with no conversion cache (every form filled and
converted each time), into fresh folders, in the same run on the same machine:
the CLI as a clerk's script would start it (`paperwork build-binder … --no-cache`),
the server through `POST /api/cases/{id}/build`, timed by the client. Prints each
run, the medians and their ratio (the target is ≥ 3×). Not a test: nothing asserts a time.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.serving import running  # noqa: E402


def main(argv: list[str]) -> int:
    runs = 5
    if "--runs" in argv:
        at = argv.index("--runs")
        runs = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    source = Path(argv[0]) if argv else ROOT / "fixtures" / "demo"
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        shutil.copytree(source, ws / source.name)
        case_file = ws / source.name / "case.yaml"

        cold = []
        for n in range(runs):
            out = Path(tmp) / f"cold-{n}"
            started = time.perf_counter()
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "paperwork",
                    "build-binder",
                    str(case_file),
                    "-o",
                    str(out),
                    "--no-cache",
                ],
                capture_output=True,
                text=True,
            )
            cold.append(time.perf_counter() - started)
            if done.returncode != 0:
                print(done.stdout, done.stderr)
                return 1
            print(f"cold CLI build {n + 1}: {cold[-1]:.2f} s")

        warm = []
        started = time.perf_counter()
        with running(ws, "--no-cache") as srv, httpx.Client(base_url=srv.url, timeout=300) as client:
            print(f"server start (with LibreOffice): {time.perf_counter() - started:.2f} s")
            case_id = client.get("/api/cases").json()[0]["case_id"]
            for n in range(runs):
                started = time.perf_counter()
                answer = client.post(f"/api/cases/{case_id}/build")
                warm.append(time.perf_counter() - started)
                if answer.status_code != 200:
                    print(answer.text)
                    return 1
                print(f"warm server build {n + 1}: {warm[-1]:.2f} s ({answer.json()['pages']} pages)")
        cold_median, warm_median = statistics.median(cold), statistics.median(warm)
        print(f"median cold CLI build:    {cold_median:.2f} s")
        print(f"median warm server build: {warm_median:.2f} s")
        print(f"ratio: {cold_median / warm_median:.1f}x (target >= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
