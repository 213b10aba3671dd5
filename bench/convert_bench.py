"""Benchmark: the demo build (two batched LibreOffice runs) against one soffice call per document.

Usage: python bench/convert_bench.py [CASE.yaml]

Both sides convert the same DOCX files in the same run on the same machine; the
figures and their ratio are printed. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from paperwork import load_case, resolve
from paperwork.build import build
from paperwork.convert import convert_batch, soffice_version

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    case_path = Path(argv[0]) if argv else ROOT / "fixtures" / "demo" / "case.yaml"
    resolved = resolve(load_case(case_path))
    with tempfile.TemporaryDirectory() as tmp:
        keep = Path(tmp) / "docs"
        keep.mkdir()
        batches: list[float] = []

        def recording(files: list[Path], outdir: Path) -> list[Path]:
            for f in files:
                shutil.copy(f, keep / f"{len(batches)}-{f.name}")
            started = time.perf_counter()
            result = convert_batch(files, outdir)
            batches.append(time.perf_counter() - started)
            return result

        started = time.perf_counter()
        build(resolved, Path(tmp) / "out", converter=recording)
        build_seconds = time.perf_counter() - started

        docs = sorted(keep.iterdir())
        started = time.perf_counter()
        for i, doc in enumerate(docs):
            convert_batch([doc], Path(tmp) / f"single-{i}")
        single_seconds = time.perf_counter() - started

    print(f"machine: {soffice_version()}")
    print(f"case: {case_path} ({len(docs)} documents through LibreOffice)")
    print(f"paperwork build-binder, whole build:      {build_seconds:7.2f} s")
    print(f"  of which {len(batches)} batched soffice runs:      {sum(batches):7.2f} s")
    print(f"one soffice call per document (baseline): {single_seconds:7.2f} s")
    print(f"ratio baseline / batched conversion:      {single_seconds / sum(batches):7.1f} x")
    print(f"ratio baseline / whole build:             {single_seconds / build_seconds:7.1f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
