"""A paper's own date among every date on it.

Every date is found (in figures, with dots or dashes, in Chinese numerals — one digit of a
year lost under a seal is put back where only one year can be meant), each with the words
before it (its label) or the line above it in its column. Its place on the page speaks too,
as a Chinese official paper is laid out: a date above the title is a heading (a 收文 or 登记
stamp, the 版头), the date alone at the right under the issuing unit's name is the 落款 — where
a paper is dated —, a date inside a sentence quotes another paper, and one followed by 印发 or
前 is another date (the 版记's, a deadline). The form's own labels (``rules/data/intake.yaml``)
name its date; the bare 日期 names only a date labelled 日期 itself, not 登记日期.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace

from paperwork.intake.engine import TextLine
from paperwork.intake.rows import CJK, Row, clean, key

__all__ = ["DateHit", "Dated", "date_hits", "dates_in", "names", "pick"]

_DIGITS = r"(?<!\d)((?:19|20)\d{2})\s*(?:年|[-./])\s*(\d{1,2})\s*(?:月|[-./])\s*(\d{1,2})(?!\d)\s*日?"
_DATE = re.compile(_DIGITS)
_HAN_DATE = re.compile(
    r"(?<![〇零○Oo0一二三四五六七八九])([〇零○Oo0一二三四五六七八九]{2,4})\s*年\s*"
    r"([一二三四五六七八九十]{1,3})\s*月\s*([一二三四五六七八九十]{1,3})\s*日"
)
_HAN = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "O": 0, "o": 0, "0": 0}


@dataclass(frozen=True)
class DateHit:
    """One date on the paper: the day, its label (as :func:`~paperwork.intake.rows.key` makes it),
    its row, and what its words and place say of it; ``order``: 0 for the first date, 1 the last."""

    day: dt.date
    label: str
    row: Row
    standalone: bool
    sentence: bool
    order: float
    after: str = ""  # the words right after the date (印发, 前 …)
    words: str = ""  # the label as printed (its punctuation and spaces kept)
    heading: bool = False  # above the paper's title: a 收文 or 登记 stamp, a 版头, not the paper's own
    closing: bool = False  # the 落款: alone at the right, under the issuing unit's name


def _han_year(text: str) -> int | None:
    """A year in Chinese numerals (二〇二三); with one digit lost to a seal or the scan (二二三,
    〇二三, 二三: the 〇 is the first to go) the one year of 1990–2099 it can be, else None."""
    digits = "".join(str(_HAN.get(c, 0)) for c in text)
    if len(digits) == 4:
        return int(digits)
    if len(digits) == 2:
        return 2000 + int(digits)
    years = {int(digits[:n] + d + digits[n:]) for n in range(4) for d in "0123456789"}
    plausible = [y for y in years if 1990 <= y <= 2099]
    return plausible[0] if len(plausible) == 1 else None


def _han_number(text: str) -> int:
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _HAN.get(text[1], 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return 10 * _HAN.get(tens, 0) + (_HAN.get(ones, 0) if ones else 0)
    return _HAN.get(text, 0)


def dates_in(text: str) -> list[tuple[dt.date, int, int]]:
    found = []
    for m in _DATE.finditer(text):
        try:
            found.append((dt.date(int(m[1]), int(m[2]), int(m[3])), m.start(), m.end()))
        except ValueError:
            continue
    for m in _HAN_DATE.finditer(text):
        year = _han_year(m[1])
        try:
            if year is not None:
                found.append((dt.date(year, _han_number(m[2]), _han_number(m[3])), m.start(), m.end()))
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


def _label(rows: list[Row], i: int, start: int) -> str:
    """The words a date at ``start`` of row ``i`` is labelled with: before it on its line, on the line
    to its left, or on the line above it in the same column (two signature blocks side by side)."""
    row = rows[i]
    before = row.text[:start].strip()
    if not row.lines:
        return before[-10:]
    n = row.line_at(start)
    own = row.text[row.starts[n] : start].strip()
    if CJK.search(own):
        return own[-10:]
    if n > 0 and not dates_in(row.text[row.starts[n - 1] : row.starts[n]]):
        return row.text[row.starts[n - 1] : row.starts[n]].strip()[-10:]
    line = row.lines[n]
    for above in reversed(rows[:i]):
        if above.page != row.page or row.y - above.y > 4 * row.height:
            break
        over = [_columns(t, line) for t in above.lines if t.x0 < line.x1 and t.x1 > line.x0]
        if over:
            return clean(" ".join(over))[-14:]
    return before[-10:]


#: How an issuing unit's name ends (the line a 落款 date stands under).
_UNIT_END = re.compile(r"(公司|局|中心|部|所|站|委员会|办公室|院|厂|处|科|队|分公司|营业厅|章)\)?$")


def _closing(rows: list[Row], i: int, start: int, width: float) -> bool:
    """Whether the date at ``start`` of row ``i`` is a 落款: alone on its line, in the right part of
    the page, within three lines under a line that ends with a unit's name (公司, 局, 中心 …) —
    the issuing unit, with the seal over both."""
    row = rows[i]
    line = row.lines[row.line_at(start)] if row.lines else None
    if line is None or width <= 0 or line.x0 < 0.4 * width or len(CJK.findall(row.text)) > 12:
        return False
    for above in reversed(rows[max(0, i - 3) : i]):
        if above.page != row.page:
            break
        if _UNIT_END.search(key(above.text)) and not dates_in(above.text):
            return True
    return False


def date_hits(rows: list[Row], title: TextLine | None = None) -> list[DateHit]:
    """Every date on the paper, with what its words and place say of it. ``title``: the line the
    paper's title was read from (page 1); dates above it are headings, not the paper's own."""
    widths: dict[int, float] = {}
    for row in rows:
        for t in row.lines:
            widths[row.page] = max(widths.get(row.page, 0.0), t.x1)
    hits = []
    for i, row in enumerate(rows):
        for day, start, end in dates_in(row.text):
            before = row.text[:start].strip()
            rest = (before + row.text[end:]).strip()
            label = _label(rows, i, start)
            sentence = len(CJK.findall(rest)) >= 10
            standalone = len(CJK.findall(rest)) <= 6 and not sentence
            after = key(row.text[end : end + 6])
            heading = title is not None and row.page == 0 and row.y + row.height <= title.y0
            closing = standalone and _closing(rows, i, start, widths.get(row.page, 0.0))
            hits.append(
                DateHit(day, key(label), row, standalone, sentence, 0.0, after, label, heading, closing)
            )
    total = max(len(hits) - 1, 1)
    return [replace(h, order=n / total) for n, h in enumerate(hits)]


def names(wanted: str, hit: DateHit) -> bool:
    """Whether ``hit``'s label is the ``wanted`` one. The bare 日期 names only a date labelled
    日期 itself (经办人：… 日期：…), not 登记日期 or 报验日期: those are other events' dates."""
    word = key(wanted)
    if word != "日期":
        return word in hit.label
    at = hit.words.rfind("日期")
    return at >= 0 and (at == 0 or not CJK.match(hit.words[at - 1]))


@dataclass(frozen=True)
class Dated:
    """The date :func:`pick` chose: its day (None: the likeliest is not the paper's own), how sure
    (0–1, from its lead over the next), and the row it was read from."""

    day: dt.date | None
    sure: float
    row: Row


def pick(
    hits: list[DateHit], wanted: tuple[str, ...], avoid: tuple[str, ...], not_after: tuple[str, ...] = ()
) -> Dated | None:
    """The paper's own date among ``hits``: named by one of ``wanted`` labels, not by a longer
    ``avoid`` one, not followed by a ``not_after`` word; alone on its line, the 落款, late on the
    paper; not quoted in a sentence, not a heading above the title. None: no date at all."""
    scored = []
    for hit in hits:
        score = hit.order
        if any(hit.after.startswith(key(w)) for w in not_after):  # 2023年8月11日印发: the 版记's date
            score -= 6
        named = next((n for n, w in enumerate(wanted) if names(w, hit)), None)
        named_len = len(key(wanted[named])) if named is not None else 0
        avoided = max((len(key(a)) for a in avoid if key(a) in hit.label), default=0)
        if avoided > named_len:  # 受理日期 is not 日期: the longer label says what the date is
            score -= 6
        elif named is not None:
            score += 5 - 0.3 * named
        if hit.standalone:
            score += 2
        if hit.closing:  # the 落款 is where a paper is dated
            score += 4
        if hit.heading and named is None:
            score -= 4
        if hit.sentence:
            score -= 3
        scored.append((score, hit))
    if not scored:
        return None
    scored.sort(key=lambda s: s[0], reverse=True)
    score, hit = scored[0]
    if score < -1:
        return Dated(None, 0.0, hit.row)
    margin = score - scored[1][0] if len(scored) > 1 else 3.0
    return Dated(hit.day, 0.95 if margin >= 2 else 0.85 if margin >= 1 else 0.7, hit.row)
