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
from pathlib import Path

from paperwork.case.casefile import add_documents
from paperwork.case.yamlfile import parse_yaml
from paperwork.errors import PaperworkError
from paperwork.intake.papers import Intake, Proposed
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


class WouldOverwrite(PaperworkError):
    """The output file exists and is not the case being added to."""


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
    for n in range(1, 1000):
        target = first.with_name(f"{first.stem}-{last.stem}{'' if n == 1 else f'-{n}'}.pdf")
        if target.exists() and target.read_bytes() == data:
            return target
        if not target.exists():
            target.write_bytes(data)
            return target
    raise PaperworkError(f"无法在 {first.parent} 中为合并的扫描件命名")


def write_proposals(intake: Intake, case: Path | None, out: Path) -> Written:
    """Add ``intake``'s papers to ``case`` (None: a new case) and write it to ``out``."""
    if out.exists() and (case is None or not _same_file(case, out)):
        raise WouldOverwrite(f"{out} 已存在，不会覆盖；要把资料加进这个案卷，请用 --case {out}")
    existing = _existing(case)
    folder = (case or out).parent
    known_files = [folder / str(p["file"]) for p in existing if p.get("file")]
    known = {(normalise_title(str(p.get("title", ""))), str(p.get("date", ""))) for p in existing}
    rounds_taken: dict[str, list[str]] = {}
    for p in existing:
        if p.get("round") is not None:
            rounds_taken.setdefault(normalise_title(str(p.get("title", ""))), []).append(
                str(p.get("date", ""))
            )
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
            earlier = [d for d in rounds_taken[title_key] if d <= (paper.reading.date.value or "9999")]
            fields["round"] = len(earlier) + paper.round
        fields["file"] = Path(os.path.relpath(file.resolve(), out.resolve().parent)).as_posix()
        entries.append((fields, f"待确认：OCR 置信度 {paper.confidence:.2f}"))
        added.append(paper)
    add_documents(case, out, entries, NEW_CASE)
    return Written(out, tuple(added), tuple(already), tuple(joined))
