"""Benchmark for building at scale; prints figures and ratios measured in this one run.

Usage: python bench/scale_bench.py [--cases 100] [--jobs 2] [--baseline-sample 30] [--big-pages 16]

1. one case, cold (empty cache)          4. a batch of N cases with --jobs J, cold
2. the same case again, unchanged        5. one soffice call per document (the way a script
3. the same case with one date changed      without this tool converts), on a sample, scaled
                                            to all the batch's documents
6. peak memory (RSS) of building one case whose 大本 has about 500 scanned pages

Nothing here asserts a time: it prints, so a person can compare with bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synth import generate

from paperwork.binder.batch import BuildOptions, build_many
from paperwork.binder.libreoffice import convert_batch, soffice_version


def timed(fn: object) -> tuple[float, object]:
    started = time.perf_counter()
    result = fn()  # type: ignore[operator]
    return time.perf_counter() - started, result


def build(paths: list[Path], out: Path, cache: Path, jobs: int, single: bool = False) -> list:
    return build_many(paths, out, jobs=jobs, options=BuildOptions(cache=cache), single=single)


def peak_rss_of_build(case: Path, out: Path, cache: Path) -> tuple[float, float]:
    """(paperwork's own peak RSS, LibreOffice's) in MB, from a separate process."""
    code = (
        "import resource, sys\n"
        "from pathlib import Path\n"
        "from paperwork.binder.batch import BuildOptions, build_many\n"
        f"build_many([Path({str(case)!r})], Path({str(out)!r}), jobs=1, single=True,"
        f" options=BuildOptions(cache=Path({str(cache)!r})))\n"
        "me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(me, kids)\n"
    )
    out_text = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    me, kids = (int(x) / 1024 for x in out_text.split())
    return me, kids


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--baseline-sample", type=int, default=30)
    parser.add_argument(
        "--big-pages", type=int, default=16, help="pages per scanned paper in the memory case"
    )
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="paperwork-bench-"))
    try:
        figures: dict[str, object] = {
            "machine": f"{platform.node()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
            "libreoffice": soffice_version(),
        }
        one = generate(tmp / "one", 1, seed=11)[0]
        cache = tmp / "cache-one"
        cold, _ = timed(lambda: build([one], tmp / "out-one", cache, 1, single=True))
        same, result = timed(lambda: build([one], tmp / "out-one", cache, 1, single=True))
        data = yaml.safe_load(one.read_text(encoding="utf-8"))
        for doc in data["documents"]:
            if doc["title"] == "受电工程竣工验收单":
                day = doc["date"]
                doc["date"] = day[:-2] + f"{min(28, int(day[-2:]) + 1):02d}" if int(day[-2:]) < 28 else day
        one.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        changed, _ = timed(lambda: build([one], tmp / "out-one", cache, 1, single=True))
        figures.update(
            one_case_cold_s=cold,
            unchanged_rebuild_s=same,
            one_date_changed_s=changed,
            unchanged_status=result[0].status,
        )

        cases = generate(tmp / "batch", args.cases, seed=5)
        batch_s, outcomes = timed(lambda: build(cases, tmp / "out-batch", tmp / "cache-batch", args.jobs))
        failed = [o.case_id for o in outcomes if not o.ok]
        pages = sum(o.pages for o in outcomes)
        figures.update(
            batch_cases=args.cases,
            batch_jobs=args.jobs,
            batch_s=batch_s,
            batch_pages=pages,
            batch_failed=failed,
        )

        docs = [p for p in (tmp / "cache-batch" / "docx").rglob("*.docx")]
        sample = random.Random(3).sample(docs, min(args.baseline_sample, len(docs)))
        per_doc_s, _ = timed(lambda: [convert_batch([d], tmp / "single" / d.stem) for d in sample])
        per_call = per_doc_s / len(sample)
        figures.update(
            documents_converted=len(docs),
            per_document_call_s=per_call,
            per_document_total_s=per_call * len(docs),
            baseline_sample=len(sample),
        )

        big = generate(tmp / "big", 1, seed=13, pages_per_scan=args.big_pages)[0]
        me, office = peak_rss_of_build(big, tmp / "out-big", tmp / "cache-big")
        from pypdf import PdfReader

        big_pages = len(PdfReader(str(tmp / "out-big" / "大本资料.pdf")).pages)
        figures.update(big_binder_pages=big_pages, peak_rss_paperwork_mb=me, peak_rss_libreoffice_mb=office)

        f = figures
        print(f"machine: {f['machine']}; {f['libreoffice']}")
        print(f"1 one case, cold:                 {f['one_case_cold_s']:7.2f} s   (target ≤ 2 s)")
        print(
            f"2 unchanged rebuild:              {f['unchanged_rebuild_s']:7.2f} s   (target ≤ 0.3 s; status {f['unchanged_status']})"
        )
        print(f"3 one date changed:               {f['one_date_changed_s']:7.2f} s")
        print(
            f"4 {args.cases} cases, --jobs {args.jobs}, cold:      {f['batch_s']:7.2f} s   (target ≤ 45 s; {pages} pages; failed: {failed or 'none'})"
        )
        print(
            f"5 one soffice call per document:  {per_call:7.2f} s per document × {len(docs)} documents = {per_call * len(docs):7.1f} s"
            f"   (measured on {len(sample)})"
        )
        print(
            f"6 peak RSS, {big_pages}-page 大本:       paperwork {me:6.0f} MB, LibreOffice {office:6.0f} MB   (target ≤ 300 MB)"
        )
        print("ratios:")
        print(f"  unchanged / cold:               {f['unchanged_rebuild_s'] / f['one_case_cold_s']:7.3f}")
        print(f"  one date changed / cold:        {f['one_date_changed_s'] / f['one_case_cold_s']:7.3f}")
        print(
            f"  per-document / batch:           {per_call * len(docs) / f['batch_s']:7.1f} ×   (target ≥ 10 ×)"
        )
        print("json:", json.dumps(figures, ensure_ascii=False, default=str))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
