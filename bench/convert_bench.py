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

import paperwork.binder.build as build_module
from paperwork import load_case, resolve
from paperwork.binder.build import build
from paperwork.binder.cache import Cache
from paperwork.binder.libreoffice import convert_batch, soffice_version

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> int:
    case_path = Path(argv[0]) if argv else ROOT / "fixtures" / "demo" / "case.yaml"
    resolved = resolve(load_case(case_path))
    with tempfile.TemporaryDirectory() as tmp:
        keep = Path(tmp) / "docs"
        keep.mkdir()
        runs: list[float] = []
        real_documents = build_module.pdfs_for
        real_batch = convert_batch

        def recording(docs: list[Path], workdir: Path, cache: Cache, batch: object = None) -> list[Path]:
            for d in docs:  # the documents as the build has them, before they are merged
                shutil.copy(d, keep / f"{len(list(keep.iterdir())):03d}{d.suffix}")
            return real_documents(docs, workdir, cache, timed_batch)

        def timed_batch(files: list[Path], outdir: Path) -> list[Path]:
            started = time.perf_counter()
            result = real_batch(files, outdir)
            runs.append(time.perf_counter() - started)
            return result

        build_module.pdfs_for = recording  # type: ignore[assignment]
        try:
            started = time.perf_counter()
            build(resolved, Path(tmp) / "out")
            build_seconds = time.perf_counter() - started
        finally:
            build_module.pdfs_for = real_documents  # type: ignore[assignment]

        docs = sorted(keep.iterdir())
        started = time.perf_counter()
        for i, doc in enumerate(docs):
            convert_batch([doc], Path(tmp) / f"single-{i}")
        single_seconds = time.perf_counter() - started

    print(f"machine: {soffice_version()}")
    print(f"case: {case_path} ({len(docs)} documents through LibreOffice)")
    print(f"paperwork build-binder, whole build:      {build_seconds:7.2f} s")
    print(f"  of which {len(runs)} soffice run(s):             {sum(runs):7.2f} s")
    print(f"one soffice call per document (baseline): {single_seconds:7.2f} s")
    print(f"ratio baseline / paperwork's soffice runs: {single_seconds / sum(runs):7.1f} x")
    print(f"ratio baseline / whole build:             {single_seconds / build_seconds:7.1f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
