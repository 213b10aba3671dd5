"""A golden record of the demo build, read back from its PDFs: a rule change shows as a reviewed diff.

``tests/golden/demo-build.json`` holds, for each binder, its page count, its bookmarks and what
its cover and 备考表 say (起止日期, 件数, 页数, 归档号, 档号, the 备考表's date), and the dates the
rules derive (R1–R5). When a change is meant to alter them, rewrite the record with
``PAPERWORK_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and review the diff like code.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pypdf import PdfReader

from paperwork import derived_dates, load_case, resolve
from tests.conftest import DEMO, outline

GOLDEN = Path(__file__).with_name("golden") / "demo-build.json"


def _one(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in {text[:300]!r}"
    return found.group(1)


def _binder(pdf: Path) -> dict[str, Any]:
    reader = PdfReader(str(pdf))
    cover = reader.pages[0].extract_text()
    note = reader.pages[-1].extract_text()
    return {
        "pages": len(reader.pages),
        "cover": {
            "start": _one(r"自 (\d{8})", cover),
            "end": _one(r"至 (\d{8})", cover),
            "pieces": int(_one(r"件 数 (\d+) 件", cover)),
            "pages": int(_one(r"页 数 (\d+) 页", cover)),
            "archive_no": _one(r"归 档 号 (\S+)", cover),
            "file_no": _one(r"(?m)^档 号 (\S+)", cover),
        },
        "note": {
            "pieces": int(_one(r"共有文件材料 (\d+) 件", note)),
            "pages": int(_one(r"共 (\d+) 页", note)),
            "date": _one(r"立卷时间：(\d+ 年 \d+ 月 \d+ 日)", note),
        },
        "outline": [[depth, title, page] for depth, title, page in outline(reader)],
    }


def record(out: Path) -> dict[str, Any]:
    resolved = resolve(load_case(DEMO))
    return {
        "binders": {name: _binder(out / f"{name}.pdf") for name in ("大本资料", "小本资料")},
        "dates": [[d.rule, d.what, d.date.isoformat() if d.date else None] for d in derived_dates(resolved)],
    }


def test_the_demo_build_matches_its_golden_record(demo_build: Path) -> None:
    now = record(demo_build)
    if os.environ.get("PAPERWORK_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(now, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert now == golden, "the demo build changed: if that is meant, PAPERWORK_UPDATE_GOLDEN=1 and review"


def test_the_readme_tells_what_the_record_holds() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    small = golden["binders"]["小本资料"]["cover"]
    said = re.search(r"自 (\d{8}) 至 (\d{8}) by R2,\s+(\d+) 件, (\d+) 页", readme)
    assert said is not None
    assert said.groups() == (small["start"], small["end"], str(small["pieces"]), str(small["pages"]))
    big, small_pages = (golden["binders"][n]["pages"] for n in ("大本资料", "小本资料"))
    assert f"已装订，共 {big + small_pages} 页" in readme
