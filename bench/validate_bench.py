"""How long reading and checking a case takes as it grows: the demo case, then 1,000 and 10,000 papers.

Prints seconds per size and the ratio to the demo case measured in the same run (the baseline).
Target (hardening issue): a 10,000-paper case is validated in a second or two.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from paperwork import load_case, validate  # noqa: E402

DEMO = ROOT / "fixtures" / "demo" / "case.yaml"


def timed(path: Path, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        validate(load_case(path))
        best = min(best, time.perf_counter() - started)
    return best


def main() -> int:
    base = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    for doc in base["documents"]:
        doc.pop("file", None)
    with tempfile.TemporaryDirectory() as tmp:
        sizes = {}
        for extra in (0, 1_000, 10_000):
            data = dict(base)
            data["documents"] = base["documents"] + [
                {"title": "采集单", "date": "2023-07-01", "number": f"N{i}"} for i in range(extra)
            ]
            path = Path(tmp) / f"case-{extra}.yaml"
            path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            sizes[len(data["documents"])] = timed(path)
    baseline = next(iter(sizes.values()))
    for papers, seconds in sizes.items():
        print(f"validate, {papers:>6} papers: {seconds:7.3f} s   ({seconds / baseline:6.1f} × the demo case)")
    print(f"target: 10,000 papers in ≤ 2 s — {'met' if list(sizes.values())[-1] <= 2 else 'missed'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
