"""Matching what a clerk typed (or OCR read) to a form title: brackets, spaces, traditional characters.

``送（停）电工作任务单`` (full-width brackets), ``送(停)電工作任務單`` (traditional) and
``送 (停) 电工作任务单`` all name the same paper. Traditional characters become simplified
through OpenCC, the reference converter for Chinese scripts.
"""

from __future__ import annotations

import difflib
import functools
import unicodedata
from collections.abc import Iterable

__all__ = ["normalise_title", "suggest_title"]


@functools.cache
def _t2s() -> object:
    import opencc

    return opencc.OpenCC("t2s")


@functools.lru_cache(maxsize=4096)
def normalise_title(text: str) -> str:
    """The comparable form of a title: NFKC (full-width brackets and digits become ASCII),
    no spaces, traditional characters as simplified."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(c for c in text if not c.isspace())
    text = text.replace("【", "[").replace("】", "]").replace("〔", "[").replace("〕", "]")
    return str(_t2s().convert(text))  # type: ignore[attr-defined]


def suggest_title(text: str, titles: Iterable[str]) -> str | None:
    """The form title nearest to ``text``, or None when none is close."""
    candidates = {normalise_title(t): t for t in titles}
    near = difflib.get_close_matches(normalise_title(text), list(candidates), n=1, cutoff=0.6)
    return candidates[near[0]] if near else None
