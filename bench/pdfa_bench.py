"""Benchmark: what PDF/A costs — a cold build of a case as plain PDF, with --pdfa 2b and with 3b.

Usage: python bench/pdfa_bench.py [CASE.yaml] [--runs N]

"Cold": no build cache (every form filled and converted by a LibreOffice started for the build),
as a first build of a case is. The three kinds run in turns, N times each, in one run on one
machine; medians and ratios against the plain build of the same run are printed, and the time
verify takes on the 2b binders. Not a test: nothing here asserts a time. Target (issue 20):
--pdfa 2b adds at most 30% to the cold build.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "paperwork", *args], check=True, capture_output=True)
    return time.perf_counter() - started


def main(argv: list[str]) -> int:
    runs = 5
    if "--runs" in argv:
        at = argv.index("--runs")
        runs = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2 :]
    case = Path(argv[0]) if argv else ROOT / "fixtures" / "demo" / "case.yaml"
    kinds = {"plain": [], "2b": [], "3b": []}
    verify: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        _run(
            ["build-binder", str(case), "-o", f"{tmp}/warm-up", "--no-cache"]
        )  # fonts made, files in the page cache
        for n in range(runs):
            for kind, times in kinds.items():
                extra = [] if kind == "plain" else ["--pdfa", kind]
                out = f"{tmp}/{kind}-{n}"
                times.append(_run(["build-binder", str(case), "-o", out, "--no-cache", *extra]))
            verify.append(_run(["verify", f"{tmp}/2b-{n}"]))
    base = statistics.median(kinds["plain"])
    print(f"case: {case}  runs: {runs} each, in turns (cold: --no-cache)")
    for kind, times in kinds.items():
        median = statistics.median(times)
        print(
            f"  {kind:>5}: median {median:.2f} s (min {min(times):.2f}, max {max(times):.2f})"
            f"  ratio {median / base:.2f}× plain"
        )
    print(f"  verify of the two 2b binders (validator included): median {statistics.median(verify):.2f} s")
    print("target: 2b ≤ 1.30× plain")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
