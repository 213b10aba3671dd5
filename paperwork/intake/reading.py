"""What a paper says, from its OCR lines: its title, its own date, its own 文号.

* **Title**: the big lines at the top of the first page against every title and alias
  of the form library, compared as :func:`normalise_title` makes them (full-width
  brackets, traditional characters, spaces); a line may hold more than the title
  (国网…公司 高压供电方案答复单), and a character OCR dropped still matches closely.
* **Date**: every date on the paper, each with the words before it (its label) or the
  line above; the one the form's own labels name wins (``rules/data/intake.yaml``),
  labels of other dates lose (申请日期 on a reply, 受理日期, 出生 …), then a date alone
  on its line near the end (落款) over a date inside a sentence, which quotes another.
* **文号**: 〔2023〕17号-style and labelled numbers (合同编号, 发票号码 No …); a number
  inside a sentence (根据…〔2023〕17号…) is quoted, not the paper's own, and is not proposed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import re
import unicodedata
from dataclasses import dataclass, field

from paperwork.intake.engine import TextLine
from paperwork.intake.labels import Labels, load_labels
from paperwork.rules.bureau import Bureau
from paperwork.rules.forms import Form
from paperwork.rules.titles import normalise_title

__all__ = ["Clue", "Reading", "read_paper", "title_on_page"]

_DIGITS = r"(?<!\d)((?:19|20)\d{2})\s*(?:年|[-./])\s*(\d{1,2})\s*(?:月|[-./])\s*(\d{1,2})(?!\d)\s*日?"
_DATE = re.compile(_DIGITS)
_HAN_DATE = re.compile(
    r"([〇零○O一二三四五六七八九]{4})\s*年\s*([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*日"
)
_HAN = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "O": 0}
_BRACKETED = re.compile(
    r"([\u4e00-\u9fffA-Za-z]{1,12})\s*[\[〔【(（{]\s*((?:19|20)\d{2})\s*[\]〕】)）}]\s*(第?\s*\d+(?:\s*-\s*\d+)?)\s*号"
)
_LABELLED = re.compile(
    r"(文号|合同编号|合同号|协议编号|发票号码|No)\s*[.:：]?\s*([A-Za-z0-9][A-Za-z0-9\-]{3,})"
)
_QUOTING = re.compile(r"根据|依据|按照|参照|详见|见|贵|收到|经|关于|依|《|》")
_CJK = re.compile(r"[\u4e00-\u9fff]")


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


# -- rows: the lines of one page that sit side by side ------------------------------------------


@dataclass(frozen=True)
class _Row:
    text: str
    score: float
    page: int
    y: float
    height: float
    lines: tuple[TextLine, ...] = ()
    starts: tuple[int, ...] = ()  # where each line's text begins in ``text``

    def line_at(self, offset: int) -> int:
        """The index of the line that holds character ``offset`` of the row's text."""
        return max((n for n, start in enumerate(self.starts) if start <= offset), default=0)


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text).replace("：", ":").strip()


def rows_of(lines: list[TextLine], page: int) -> list[_Row]:
    """Lines that overlap vertically joined left to right (a label and its value, a split date)."""
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda t: t.middle):
        row = rows[-1] if rows else None
        if row and abs(line.middle - sum(t.middle for t in row) / len(row)) < 0.5 * max(line.height, 1):
            row.append(line)
        else:
            rows.append([line])
    out = []
    for row in rows:
        row.sort(key=lambda t: t.x0)
        parts = [_clean(t.text) for t in row]
        starts = [sum(len(p) + 1 for p in parts[:n]) for n in range(len(parts))]
        text = " ".join(parts)
        score = min(t.score for t in row)
        top, tall = min(t.y0 for t in row), max(t.height for t in row)
        out.append(_Row(text, score, page, top, tall, tuple(row), tuple(starts)))
    return out


# -- title --------------------------------------------------------------------------------------

_STRIP = re.compile(r"[\s:：()（）\[\]【】〔〕<>《》\"'“”,，.。;；、_\-—·]")


def _key(text: str) -> str:
    return _STRIP.sub("", normalise_title(text))


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
    top = [t for t in lines if t.y0 < 0.45 * page_height] or lines[:12]
    if not top:
        return None, Clue()
    heights = sorted(t.height for t in lines)
    median = heights[len(heights) // 2] if heights else 1.0
    candidates = list(top)
    for a, b in itertools.pairwise(top):  # a title OCR split into two boxes
        if abs(a.middle - b.middle) < 0.5 * a.height:
            joined = TextLine(
                a.text + b.text, a.x0, min(a.y0, b.y0), b.x1, max(a.y1, b.y1), min(a.score, b.score)
            )
            candidates.append(joined)
    names = [(form, _key(name)) for form in bureau.forms for name in form.names]
    best: tuple[float, int, Form | None, TextLine | None] = (0.0, 0, None, None)
    for line in candidates:
        text = _key(line.text)
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
        return None, Clue(None, 0.0, where.text if where else "")
    return found, Clue(found.title, round(score * where.score, 3), where.text, 0)


# -- dates --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DateHit:
    day: dt.date
    label: str
    row: _Row
    standalone: bool
    sentence: bool
    order: float
    after: str = ""  # the words right after the date (印发, 前 …)


def _han_number(text: str) -> int:
    if len(text) == 4:
        return int("".join(str(_HAN.get(c, 0)) for c in text))
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _HAN.get(text[1], 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return 10 * _HAN.get(tens, 0) + (_HAN.get(ones, 0) if ones else 0)
    return _HAN.get(text, 0)


def _dates_in(text: str) -> list[tuple[dt.date, int, int]]:
    found = []
    for m in _DATE.finditer(text):
        try:
            found.append((dt.date(int(m[1]), int(m[2]), int(m[3])), m.start(), m.end()))
        except ValueError:
            continue
    for m in _HAN_DATE.finditer(text):
        try:
            found.append(
                (dt.date(_han_number(m[1]), _han_number(m[2]), _han_number(m[3])), m.start(), m.end())
            )
        except ValueError:
            continue
    return found


def _columns(above: TextLine, below: TextLine) -> str:
    """The part of ``above`` over ``below``: OCR may read two labels side by side as one line
    (客户签名：…… 供电企业（盖章）：), each over its own date."""
    width = above.x1 - above.x0
    if width <= 0 or not above.text:
        return above.text
    per = len(above.text) / width
    start = max(0, int((below.x0 - above.x0) * per) - 2)
    end = max(start, int((below.x1 - above.x0) * per) + 2)
    return above.text[start:end]


def _label(rows: list[_Row], i: int, start: int) -> str:
    """The words a date at ``start`` of row ``i`` is labelled with: before it on its line, on the line
    to its left, or on the line above it in the same column (two signature blocks side by side)."""
    row = rows[i]
    before = row.text[:start].strip()
    if not row.lines:
        return before[-10:]
    n = row.line_at(start)
    own = row.text[row.starts[n] : start].strip()
    if _CJK.search(own):
        return own[-10:]
    if n > 0 and not _dates_in(row.text[row.starts[n - 1] : row.starts[n]]):
        return row.text[row.starts[n - 1] : row.starts[n]].strip()[-10:]
    line = row.lines[n]
    for above in reversed(rows[:i]):
        if above.page != row.page or row.y - above.y > 4 * row.height:
            break
        over = [_columns(t, line) for t in above.lines if t.x0 < line.x1 and t.x1 > line.x0]
        if over:
            return _clean(" ".join(over))[-14:]
    return before[-10:]


def _date_hits(rows: list[_Row]) -> list[_DateHit]:
    hits = []
    for i, row in enumerate(rows):
        for day, start, end in _dates_in(row.text):
            before = row.text[:start].strip()
            rest = (before + row.text[end:]).strip()
            label = _label(rows, i, start)
            sentence = len(_CJK.findall(rest)) >= 10
            standalone = len(_CJK.findall(rest)) <= 6 and not sentence
            after = _key(row.text[end : end + 6])
            hits.append(_DateHit(day, _key(label), row, standalone, sentence, 0.0, after))
    total = max(len(hits) - 1, 1)
    return [
        _DateHit(h.day, h.label, h.row, h.standalone, h.sentence, n / total, h.after)
        for n, h in enumerate(hits)
    ]


def _pick(
    hits: list[_DateHit], wanted: tuple[str, ...], avoid: tuple[str, ...], not_after: tuple[str, ...] = ()
) -> Clue:
    scored = []
    for hit in hits:
        score = hit.order
        if any(hit.after.startswith(_key(w)) for w in not_after):  # 2023年8月11日印发: the 版记's date
            score -= 6
        named = next((n for n, w in enumerate(wanted) if _key(w) in hit.label), None)
        named_len = len(_key(wanted[named])) if named is not None else 0
        avoided = max((len(_key(a)) for a in avoid if _key(a) in hit.label), default=0)
        if avoided > named_len:  # 受理日期 is not 日期: the longer label says what the date is
            score -= 6
        elif named is not None:
            score += 5 - 0.3 * named
        if hit.standalone:
            score += 2
        if hit.sentence:
            score -= 3
        scored.append((score, hit))
    if not scored:
        return Clue()
    scored.sort(key=lambda s: s[0], reverse=True)
    score, hit = scored[0]
    if score < -1:
        return Clue(None, 0.0, hit.row.text, hit.row.page)
    margin = score - scored[1][0] if len(scored) > 1 else 3.0
    sure = 0.95 if margin >= 2 else 0.85 if margin >= 1 else 0.7
    return Clue(hit.day.isoformat(), round(sure * hit.row.score, 3), hit.row.text, hit.row.page)


# -- 文号 ----------------------------------------------------------------------------------------


def _numbers(rows: list[_Row]) -> Clue:
    for row in rows:
        for m in _BRACKETED.finditer(row.text):
            rest = row.text[: m.start()] + row.text[m.end() :]
            prefix = m[1]
            quoted = _QUOTING.search(row.text[: m.start()]) or len(_CJK.findall(rest)) >= 8
            if quoted or _QUOTING.search(prefix):
                continue
            number = re.sub(r"\s+", "", m[3])
            return Clue(f"{prefix}〔{m[2]}〕{number}号", round(row.score, 3), row.text, row.page)
        for m in _LABELLED.finditer(row.text):
            if _QUOTING.search(row.text[: m.start()]):
                continue
            value = f"No {m[2]}" if m[1] in {"No", "发票号码"} else m[2]
            return Clue(value, round(0.9 * row.score, 3), row.text, row.page)
    return Clue()


def read_paper(
    pages: list[list[TextLine]], heights: list[float], bureau: Bureau, hints: Labels | None = None
) -> Reading:
    """Title, own date, own 文号 (and 申请日期 on a reply) of one paper's pages; ``hints``: the
    labels of each form's dates (default: the shipped ``rules/data/intake.yaml``)."""
    form, title = title_on_page(pages[0], bureau, heights[0]) if pages else (None, Clue())
    rows = [row for n, lines in enumerate(pages) for row in rows_of(lines, n)]
    hits = _date_hits(rows)
    hints = hints or load_labels()
    key = form.key if form is not None else ""
    wanted = hints.date.get(key, ("日期",))
    applied = hints.application_date.get(key, ())
    avoid = tuple(a for a in (*hints.common_not, *hints.avoid.get(key, ())) if a not in wanted)
    date = _pick(hits, wanted, avoid, hints.not_after)
    application = Clue()
    if form is not None and form.reply and applied:
        named = [h for h in hits if any(_key(a) in h.label for a in applied)]
        application = _pick(named, applied, ())
    return Reading(form, title, date, _numbers(rows), application)
