"""Data files (bureau data, time-limit regimes, calendars, intake labels): one way to read them.

Shipped files live in ``paperwork/rules/data/``; a user's own file of the same shape overrides
them. Every one is parsed with the case reader's caps (size, nesting, aliases, control
characters) and line numbers, and every problem is a :class:`~paperwork.errors.ConfigError`
that names what the file is, the file, and the line.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TypeVar

from paperwork.case.reader import read
from paperwork.case.yamlfile import Parsed, parse_yaml, read_text
from paperwork.errors import CaseError, ConfigError

__all__ = ["parse_data", "read_data", "shipped_text", "user_text"]

T = TypeVar("T")


def shipped_text(name: str) -> tuple[str, str]:
    """A shipped data file's text and the name messages give it (``paperwork/rules/data/NAME``)."""
    text = resources.files("paperwork.rules").joinpath(f"data/{name}").read_text("utf-8")
    return text, f"paperwork/rules/data/{name}"


def user_text(path: str | Path, what: str) -> str:
    """A user's data file as UTF-8 text; ConfigError naming ``what`` and the path if unreadable."""
    return read_text(Path(path), what)


def parse_data(text: str, source: str, what: str) -> Parsed:
    """The YAML of a data file, with lines; ConfigError naming ``what``, the file and the line."""
    try:
        return parse_yaml(text, source)
    except CaseError as exc:
        raise ConfigError(f"{what} {source} 无法读取：{exc}") from None


def read_data(
    cls: type[T],
    text: str,
    source: str,
    what: str,
    normalise: Callable[[object], object] = lambda data: data,
) -> tuple[T, object]:
    """A data file read into its record type ``cls`` (as the case reader reads a case file):
    (the record, the parsed data after ``normalise``); ConfigError listing every problem."""
    parsed = parse_data(text, source, what)
    data = normalise(parsed.data)
    record, findings = read(cls, Parsed(data, parsed.lines), source)
    errors = [f for f in findings if f.severity == "error"]
    if record is None or errors:
        details = "；".join(f"{f.where()}：{f.message}" for f in errors or findings)
        raise ConfigError(f"{what} {source} 有错：{details}")
    assert isinstance(record, cls)
    return record, data
