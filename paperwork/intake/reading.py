"""What a paper says, from its OCR lines: its title, its own date, its own 文号.

* **Title**: the big lines at the top of the first page against every title and alias
  of the form library, compared as :func:`normalise_title` makes them (full-width
  brackets, traditional characters, spaces); a line may hold more than the title
  (国网…公司 高压供电方案答复单), and a character OCR dropped still matches closely.
* **Date**: see :mod:`paperwork.intake.dating` — its label, then its place on the page (the
  落款 under the issuing unit wins, a heading above the title and a date quoted in a sentence lose).
* **文号**: a notice prints its own under the 版头, above the title: taken there whatever stands
  beside it (签发人) and however its brackets were read. Elsewhere 〔2023〕17号-style and labelled
  numbers (合同编号, 发票号码 No …); a number inside a sentence (根据…〔2023〕17号…) is quoted, not
  the paper's own, and is not proposed.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass, field

from paperwork.intake.dating import Dated, date_hits, names, pick
from paperwork.intake.engine import TextLine
from paperwork.intake.labels import Labels, load_labels
from paperwork.intake.rows import CJK, Row, key, rows_of
from paperwork.rules.bureau import Bureau
from paperwork.rules.forms import Form

__all__ = ["Clue", "Reading", "read_paper", "title_on_page"]

_BRACKETED = re.compile(
    r"([\u4e00-\u9fffA-Za-z]{1,12})\s*[\[〔【(（{]\s*((?:19|20)\d{2})\s*[\]〕】)）}]\s*(第?\s*\d+(?:\s*-\s*\d+)?)\s*号"
)
_LABELLED = re.compile(
    r"(文号|合同编号|合同号|协议编号|发票号码|No)\s*[.:：]?\s*([A-Za-z0-9][A-Za-z0-9\-]{3,})"
)
_QUOTING = re.compile(r"根据|依据|按照|参照|详见|见|贵|收到|经|关于|依|《|》")


@dataclass(frozen=True)
class Clue:
    """A value read from the paper, how sure we are (0–1) and the text it was read from."""

    value: str | None = None
    confidence: float = 0.0
    evidence: str = ""
    page: int | None = None


@dataclass(frozen=True)
class Reading:
    """What one paper says: form (None: no title matched), title, date, 文号, 申请日期."""

    form: Form | None
    title: Clue
    date: Clue = field(default_factory=Clue)
    number: Clue = field(default_factory=Clue)
    application_date: Clue = field(default_factory=Clue)


# -- title --------------------------------------------------------------------------------------


def _similarity(name: str, text: str) -> float:
    if not name or not text:
        return 0.0
    if name == text:
        return 1.0
    if name in text:
        return 0.9 + 0.1 * len(name) / len(text) if len(text) <= len(name) + 14 else 0.0
    if len(name) <= 3:
        return 0.0  # 证明: only whole
    best = difflib.SequenceMatcher(None, name, text, autojunk=False).ratio()
    for start in range(0, max(1, len(text) - len(name) + 1)):  # the title inside a longer line
        window = text[start : start + len(name) + 1]
        best = max(best, difflib.SequenceMatcher(None, name, window, autojunk=False).ratio() - 0.02)
    return best * 0.95


def title_on_page(lines: list[TextLine], bureau: Bureau, page_height: float) -> tuple[Form | None, Clue]:
    """The form whose title the top of this page shows, with the line it was read from."""
    form, clue, _ = _title_line(lines, bureau, page_height)
    return form, clue


def _title_line(
    lines: list[TextLine], bureau: Bureau, page_height: float
) -> tuple[Form | None, Clue, TextLine | None]:
    """:func:`title_on_page`, and the line the title was read from (None: no title)."""
    top = [t for t in lines if t.y0 < 0.45 * page_height] or lines[:12]
    if not top:
        return None, Clue(), None
    heights = sorted(t.height for t in lines)
    median = heights[len(heights) // 2] if heights else 1.0
    candidates = list(top)
    for a, b in itertools.pairwise(top):  # a title OCR split into two boxes
        if abs(a.middle - b.middle) < 0.5 * a.height:
            joined = TextLine(
                a.text + b.text, a.x0, min(a.y0, b.y0), b.x1, max(a.y1, b.y1), min(a.score, b.score)
            )
            candidates.append(joined)
    names = [(form, key(name)) for form in bureau.forms for name in form.names]
    best: tuple[float, int, Form | None, TextLine | None] = (0.0, 0, None, None)
    for line in candidates:
        text = key(line.text)
        if len(text) < 2:
            continue
        bonus = 0.03 if line.height >= 1.3 * median else 0.0
        for form, name in names:
            score = _similarity(name, text)
            if score <= 0:
                continue
            score = min(1.0, score + bonus)
            if (score, len(name)) > (best[0], best[1]):
                best = (score, len(name), form, line)
    score, _, found, where = best
    if found is None or where is None or score < 0.72:
        return None, Clue(None, 0.0, where.text if where else ""), None
    return found, Clue(found.title, round(score * where.score, 3), where.text, 0), where


# -- 文号 ----------------------------------------------------------------------------------------


#: A 文号 whose brackets the scan lost or OCR read as something else; taken only from the lines
#: above the title, where a notice prints its own 文号 (under the 版头) and nothing else.
_HEADING_NUMBER = re.compile(
    r"([\u4e00-\u9fff]{2,12})\s*[\[〔【(（{〈<「]?\s*((?:19|20)\d{2})\s*[\]〕】)）}〉>」]?\s*(第?\s*\d{1,4})\s*号"
)


def _own_number(prefix: str, year: str, number: str) -> str:
    """A 文号 as it is written: 顺供方案〔2023〕17号."""
    digits = re.sub(r"\s+", "", number)
    return f"{prefix}〔{year}〕{digits}号"


def _numbers(rows: list[Row], title: TextLine | None = None) -> Clue:
    """The paper's own 文号. A notice prints it under its 版头, above the title, on a line of its
    own or beside 签发人: there it is taken whatever words stand before it on the line and
    however its brackets were read. Elsewhere only a number no sentence quotes (根据…〔2023〕17号)."""
    for row in rows:
        if title is None or row.page != 0 or row.y + row.height > title.y0:
            break
        for m in _HEADING_NUMBER.finditer(row.text):
            rest = row.text[: m.start()] + row.text[m.end() :]
            if len(CJK.findall(rest)) < 10:  # 签发人：王建国 beside it, not a sentence
                return Clue(_own_number(m[1], m[2], m[3]), round(row.score, 3), row.text, row.page)
    for row in rows:
        for m in _BRACKETED.finditer(row.text):
            rest = row.text[: m.start()] + row.text[m.end() :]
            prefix = m[1]
            quoted = _QUOTING.search(row.text[: m.start()]) or len(CJK.findall(rest)) >= 8
            if quoted or _QUOTING.search(prefix):
                continue
            return Clue(_own_number(prefix, m[2], m[3]), round(row.score, 3), row.text, row.page)
        for m in _LABELLED.finditer(row.text):
            if _QUOTING.search(row.text[: m.start()]):
                continue
            value = f"No {m[2]}" if m[1] in {"No", "发票号码"} else m[2]
            return Clue(value, round(0.9 * row.score, 3), row.text, row.page)
    return Clue()


def _clue(dated: Dated | None) -> Clue:
    if dated is None:
        return Clue()
    value = dated.day.isoformat() if dated.day is not None else None
    return Clue(value, round(dated.sure * dated.row.score, 3), dated.row.text, dated.row.page)


def read_paper(
    pages: list[list[TextLine]], heights: list[float], bureau: Bureau, hints: Labels | None = None
) -> Reading:
    """Title, own date, own 文号 (and 申请日期 on a reply) of one paper's pages; ``hints``: the
    labels of each form's dates (default: the shipped ``rules/data/intake.yaml``)."""
    form, title, line = _title_line(pages[0], bureau, heights[0]) if pages else (None, Clue(), None)
    rows = [row for n, lines in enumerate(pages) for row in rows_of(lines, n)]
    hits = date_hits(rows, line)
    hints = hints or load_labels()
    key = form.key if form is not None else ""
    wanted = hints.date.get(key, ("日期",))
    applied = hints.application_date.get(key, ())
    avoid = tuple(a for a in (*hints.common_not, *hints.avoid.get(key, ())) if a not in wanted)
    date = _clue(pick(hits, wanted, avoid, hints.not_after))
    application = Clue()
    if form is not None and form.reply and applied:
        application = _clue(pick([h for h in hits if any(names(a, h) for a in applied)], applied, ()))
    return Reading(form, title, date, _numbers(rows, line), application)
