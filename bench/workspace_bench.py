"""Benchmark: a workspace of 100, 1,000 and 5,000 cases behind a real `paperwork serve` and its index.

Usage: python bench/workspace_bench.py [--sizes 100,1000,5000] [--runs N]

Each workspace is made from the fixtures (the in-progress case, and every tenth case the demo case with
its scans hard-linked, not copied), each case its own id, customer and 文号. For each size it prints:
the first start (indexing every case, until the server answers), then warm medians of the first page of
`GET /api/cases`, a search, the list page and the ledger download, the time until one hand-edited case
shows at the next request, and the server's memory (RSS). The ratios are against the 100-case workspace
measured in the same run. Targets: warm list, search and page at 5,000 ≤ 2× their time at 100; the ledger
of 5,000 ≤ 10 s; the change seen at the next request; ≤ 300 MB. Not a test: nothing asserts a time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.serving import free_port  # noqa: E402

IN_PROGRESS = (ROOT / "fixtures" / "in-progress" / "case.yaml").read_text(encoding="utf-8")
DEMO = ROOT / "fixtures" / "demo"


def make_workspace(ws: Path, n: int) -> None:
    for i in range(n):
        case_id = f"GY-{2000 + i // 1000}-{i % 1000:03d}"
        folder = ws / case_id
        folder.mkdir(parents=True)
        if i % 10 == 0:
            text = (DEMO / "case.yaml").read_text(encoding="utf-8").replace("GY-2023-017", case_id)
            (folder / "scans").mkdir()
            for scan in (DEMO / "scans").iterdir():
                os.link(scan, folder / "scans" / scan.name)  # hard links: 5,000 cases, one set of scans
        else:
            text = IN_PROGRESS.replace("GY-2026-088", case_id)
        text = text.replace("有限公司", f"第{i}号有限公司", 1).replace("〔20", f"〔{i}-20")
        (folder / "case.yaml").write_text(text, encoding="utf-8")


def timed(call: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(n: int, runs: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws"
        made = time.perf_counter()
        make_workspace(ws, n)
        print(f"  {n} 个案卷的工作区：{time.perf_counter() - made:.1f} 秒", flush=True)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PAPERWORK_SOFFICE": "/nonexistent/soffice", "PYTHONUNBUFFERED": "1"}
        cmd = [sys.executable, "-m", "paperwork", "serve", str(ws), "--port", str(port), "--no-cache"]
        cmd += ["--today", "2026-12-01"]
        started = time.perf_counter()
        log = (Path(tmp) / "serve.log").open("w")
        server = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            while True:
                try:
                    if httpx.get(url + "/static/style.css", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)
            first = time.perf_counter() - started
            with httpx.Client(base_url=url, timeout=600) as api:
                list_page = timed(
                    lambda: api.get("/api/cases", params={"limit": 50}).raise_for_status(), runs
                )
                search = timed(
                    lambda: api.get("/api/cases", params={"q": f"第{n // 2}号"}).raise_for_status(), runs
                )
                html = timed(lambda: api.get("/", headers={"Accept": "text/html"}).raise_for_status(), runs)
                ledger = timed(lambda: api.get("/api/ledger.xlsx").raise_for_status(), max(1, runs // 2))
                case_file = ws / "GY-2000-001" / "case.yaml"
                case_file.write_text(case_file.read_text("utf-8").replace("第1号", "改过名的"), "utf-8")
                changed_at = time.perf_counter()
                found = api.get("/api/cases", params={"q": "改过名的"}).json()
                change = time.perf_counter() - changed_at
                assert [r["case_id"] for r in found] == ["GY-2000-001"], found
                memory = psutil.Process(server.pid).memory_info().rss / 1e6
        finally:
            server.terminate()
            server.wait()
            log.close()
    return {
        "first": first,
        "list": list_page,
        "search": search,
        "page": html,
        "ledger": ledger,
        "change": change,
        "memory": memory,
    }


def main(argv: list[str]) -> int:
    sizes, runs = [100, 1000, 5000], 5
    if "--sizes" in argv:
        sizes = [int(s) for s in argv[argv.index("--sizes") + 1].split(",")]
    if "--runs" in argv:
        runs = int(argv[argv.index("--runs") + 1])
    results = {}
    for n in sizes:
        print(f"{n} 个案卷…", flush=True)
        results[n] = measure(n, runs)
    base = results[sizes[0]]
    print()
    print(
        f"{'案卷数':>6} {'首次建索引':>10} {'列表首页':>10} {'搜索':>10} {'列表页':>10} {'台账':>10} {'改后首次':>10} {'内存':>8}"
    )
    for n, r in results.items():
        ratio = {k: r[k] / base[k] if base[k] else 0 for k in ("list", "search", "page")}
        print(
            f"{n:>6} {r['first']:>9.1f}s {r['list'] * 1000:>7.0f}ms×{ratio['list']:.1f}"
            f" {r['search'] * 1000:>5.0f}ms×{ratio['search']:.1f} {r['page'] * 1000:>5.0f}ms×{ratio['page']:.1f}"
            f" {r['ledger']:>9.2f}s {r['change'] * 1000:>8.0f}ms {r['memory']:>6.0f}MB"
        )
    print(
        f"（×：与 {sizes[0]} 个案卷同一次运行所测之比；目标：列表、搜索、列表页 ≤ 2×，台账 ≤ 10 秒，内存 ≤ 300 MB）"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
