"""Finding case files: paths given on the command line, folders searched for case.yaml."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from paperwork.errors import PaperworkError

__all__ = ["CASE_FILE", "find_cases"]

CASE_FILE = "case.yaml"


def find_cases(paths: Iterable[str | Path]) -> list[Path]:
    """Each file as given, and every ``case.yaml`` below each folder, sorted, without repeats."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            below = sorted(
                p for p in path.rglob(CASE_FILE) if not any(part.startswith(".") for part in p.parts)
            )
            if not below:
                raise PaperworkError(f"目录 {path} 下没有 {CASE_FILE}")
            found.extend(below)
        elif path.is_file():
            found.append(path)
        else:
            raise PaperworkError(f"{path} 不存在")
    unique: dict[Path, Path] = {}
    for p in found:
        unique.setdefault(p.resolve(), p)
    return list(unique.values())
