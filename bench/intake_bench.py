"""Benchmark: `paperwork intake` on realistic 150-dpi scans made here — seconds per page and accuracy.

Usage: python bench/intake_bench.py [--seeds N]

The scans (tests/scanmaker.py): bureau notices drawn with a seal over the date, rotated,
noisy, JPEG 60 (N variants each), our own filled forms and the real State Grid reference
forms through LibreOffice, and loose page images. Runs the CLI with no OCR cache at
--jobs 1 and --jobs 2 (side by side, same run), then once more from the cache; prints
seconds per page and the share of titles, dates and 文号 read right, and any 文号 invented.
Not a test: nothing asserts a figure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.scanmaker import Expected, loose_pages, make_forms, make_notices  # noqa: E402


def run(paths: list[Path], *args: str, env: dict[str, str]) -> tuple[dict[str, object], float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "paperwork", "intake", *map(str, paths), "--format", "json", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(done.stdout), time.perf_counter() - started


def score(result: dict[str, object], expected: dict[str, Expected]) -> dict[str, object]:
    got = {Path(str(d["file"])).name: d for d in result["documents"]}  # type: ignore[union-attr]
    unmatched = {Path(str(u["file"])).name for u in result["unmatched"]}  # type: ignore[union-attr]
    right = {"title": 0, "date": 0, "number": 0}
    invented, misses = [], []
    for name, e in expected.items():
        d = got.get(name)
        if e.title is None:
            for k in right:
                right[k] += name in unmatched
            continue
        if d is None:
            misses.append(f"{name}: not proposed")
            continue
        for k, want in (("title", e.title), ("date", e.date), ("number", e.number)):
            right[k] += d[k] == want
        if e.number is None and d["number"]:
            invented.append(f"{name}: {d['number']}")
        if (d["title"], d["date"], d["number"]) != (e.title, e.date, e.number):
            misses.append(
                f"{name}: read {d['title']} {d['date']} {d['number']}; right {e.title} {e.date} {e.number}"
            )
    n = len(expected)
    return {"papers": n, **{k: v / n for k, v in right.items()}, "invented": invented, "misses": misses}


def main(argv: list[str]) -> int:
    seeds = int(argv[argv.index("--seeds") + 1]) if "--seeds" in argv else 3
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        expected: dict[str, Expected] = {}
        folders = []
        for seed in range(seeds):
            folder = root / f"notices-{seed}"
            for e in make_notices(folder, seed=100 + seed):
                expected[f"{seed}-{e.file}"] = e
                (folder / e.file).rename(folder / f"{seed}-{e.file}")
            folders.append(folder)
        for e in make_forms(
            root / "forms", ROOT / "tests" / "reference-forms", ROOT / "fixtures" / "demo" / "case.yaml"
        ):
            expected[e.file] = e
        folders.append(root / "forms")
        loose = loose_pages(root / "loose")
        folders.append(root / "loose")
        expected["scan001.jpg"] = Expected(
            "scan001.jpg", loose[0][0], "2023-07-28", "SY-GYD-2023-0417", None, 2
        )
        expected["scan003.jpg"] = Expected("scan003.jpg", loose[1][0], "2023-06-20", "顺供中检〔2023〕9号")
        env = {**os.environ, "XDG_CACHE_HOME": str(root / "cache")}
        print(f"{len(expected)} papers; rapidocr on {os.cpu_count()} cores")
        figures = {}
        for jobs in (1, 2):
            result, seconds = run(folders, "--no-cache", "--jobs", str(jobs), env=env)
            pages = sum(int(d["pages"]) for d in result["documents"]) + sum(
                int(u.get("pages", 1)) for u in result["unmatched"]
            )  # type: ignore[union-attr]
            figures[jobs] = seconds / pages
            print(
                f"--jobs {jobs}, no cache: {seconds:.1f} s for {pages} pages = {seconds / pages:.2f} s/page"
            )
        run(folders, "--jobs", "2", env=env)  # fill the cache
        result, seconds = run(folders, "--jobs", "2", env=env)
        print(f"from the cache: {seconds:.1f} s ({seconds / pages:.3f} s/page)")
        print(f"--jobs 2 vs --jobs 1: {figures[1] / figures[2]:.2f}x")
        s = score(result, expected)
        print(
            f"titles right: {s['title']:.1%}, dates right: {s['date']:.1%}, 文号 right: {s['number']:.1%} of {s['papers']} papers"
        )
        print(f"文号 invented: {len(s['invented'])} {s['invented']}")
        for miss in s["misses"]:  # type: ignore[union-attr]
            print("  miss:", miss)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
