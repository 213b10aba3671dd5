"""Proposed papers into a case file, for the clerk to confirm.

Each paper is appended to ``documents`` with ``# 待确认：OCR 置信度 0.93`` at the end of its
line; the clerk deletes the comment once she has checked it against the scan. Nothing in
the case is changed, a paper already there (same title and date, or the same file) is not
added twice, and no file but the case being added to is ever written over. Pages of one
paper scanned as loose images are joined into one PDF beside them, since a paper has one file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from paperwork.case.casefile import add_documents
from paperwork.case.dates import iso_date
from paperwork.case.yamlfile import parse_yaml
from paperwork.errors import PaperworkError, WouldOverwrite
from paperwork.files import free_name, write_atomic
from paperwork.intake.papers import Intake, Proposed
from paperwork.rules.resolution import number_rounds
from paperwork.rules.titles import normalise_title

__all__ = ["NEW_CASE", "Written", "write_proposals"]

NEW_CASE = """\
# 由 paperwork intake 从扫描件生成。请对照扫描件核对每份资料的名称、日期、文号，
# 核对一份就删去它行尾的“待确认”注释；再填上案卷编号、业务类型、报装日期和户名。
case_id: ''  # 待填写：案卷编号
kind: 新装  # 待确认：新装 或 增容
application_date:  # 待填写：报装日期
customer:
  name: ''  # 待填写：户名
"""


@dataclass(frozen=True)
class Written:
    """What went into the case file: papers added, papers already there, PDFs made of loose pages."""

    path: Path
    added: tuple[Proposed, ...]
    already: tuple[Proposed, ...]
    joined: tuple[Path, ...]


def _existing(case: Path | None) -> list[dict[str, object]]:
    if case is None:
        return []
    data = parse_yaml(case.read_bytes().decode("utf-8-sig"), str(case)).data
    papers = data.get("documents") if isinstance(data, dict) else None
    return [p for p in papers if isinstance(p, dict)] if isinstance(papers, list) else []


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def _joined_pdf(paper: Proposed) -> Path:
    """The loose page images of one paper as one PDF beside them (never over another file)."""
    import img2pdf
    from PIL import Image

    first, last = paper.files[0], paper.files[-1]
    blobs = []
    for f in paper.files:
        with Image.open(f) as img:
            if img.format == "JPEG" or (img.format == "PNG" and img.mode in {"L", "RGB"}):
                blobs.append(f.read_bytes())
            else:
                import io

                buffer = io.BytesIO()
                img.convert("RGB").save(buffer, format="PNG")
                blobs.append(buffer.getvalue())
    data = img2pdf.convert(blobs)
    target = free_name(first.parent, f"{first.stem}-{last.stem}", ".pdf", lambda p: p.read_bytes() == data)
    if target is None:
        raise PaperworkError(f"无法在 {first.parent} 中为合并的扫描件命名")
    if not target.exists():
        write_atomic(target, data)
    return target


def write_proposals(intake: Intake, case: Path | None, out: Path) -> Written:
    """Add ``intake``'s papers to ``case`` (None: a new case) and write it to ``out``."""
    if out.exists() and (case is None or not _same_file(case, out)):
        raise WouldOverwrite(f"{out} 已存在，不会覆盖；要把资料加进这个案卷，请用 --case {out}")
    existing = _existing(case)
    folder = (case or out).parent
    known_files = [folder / str(p["file"]) for p in existing if p.get("file")]
    known = {(normalise_title(str(p.get("title", ""))), str(p.get("date", ""))) for p in existing}
    rounds_taken: dict[str, list[tuple[date | None, int | None]]] = {}
    for p in existing:  # every paper of a title counts, its round stated or to be numbered
        stated = p.get("round")
        number = stated if isinstance(stated, int) and not isinstance(stated, bool) else None
        taken = rounds_taken.setdefault(normalise_title(str(p.get("title", ""))), [])
        taken.append((iso_date(str(p.get("date", ""))), number))
    added, already, joined, entries = [], [], [], []
    for paper in intake.documents:
        title_key = normalise_title(paper.title or "")
        if (title_key, paper.reading.date.value or "") in known or any(
            _same_file(paper.files[0], f) for f in known_files
        ):
            already.append(paper)
            continue
        file = paper.files[0]
        if len(paper.files) > 1:
            file = _joined_pdf(paper)
            joined.append(file)
        fields = paper.fields()
        if paper.round is not None and title_key in rounds_taken:  # after the rounds the case has
            taken = rounds_taken[title_key]
            taken.append((iso_date(paper.reading.date.value), None))
            number = number_rounds(taken)[-1]
            fields["round"] = number
            taken[-1] = (taken[-1][0], number)
        fields["file"] = Path(os.path.relpath(file.resolve(), out.resolve().parent)).as_posix()
        entries.append((fields, f"待确认：OCR 置信度 {paper.confidence:.2f}"))
        added.append(paper)
    add_documents(case, out, entries, NEW_CASE)
    return Written(out, tuple(added), tuple(already), tuple(joined))
