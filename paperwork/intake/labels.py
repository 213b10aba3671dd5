"""The words printed beside each form's dates: what tells the intake which date is a paper's own.

Shipped in ``paperwork/rules/data/intake.yaml``; a bureau whose forms print other words gives a file
of the same shape (``intake --labels FILE``): its forms replace the shipped entries key by key,
its ``common_not`` and ``common_not_after`` words are added.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from paperwork.errors import ConfigError
from paperwork.rules.datafile import parse_data, shipped_text, user_text

__all__ = ["Labels", "load_labels"]

_FIELDS = {"date", "not", "application_date"}
_WHAT = "标签文件"


@dataclass(frozen=True)
class Labels:
    """Per form key: the words beside its own date, beside other dates, beside a reply's 申请日期."""

    common_not: tuple[str, ...]
    date: dict[str, tuple[str, ...]]
    avoid: dict[str, tuple[str, ...]]
    application_date: dict[str, tuple[str, ...]]
    #: Words right after a date that say it is not the paper's own (2023年8月11日印发, …日前, …止).
    not_after: tuple[str, ...] = ()


def _words(value: object, where: str, source: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
        raise ConfigError(f"{source}：{where} 应为一列文字，例如 [答复日期, 日期]")
    return tuple(value)


_Read = tuple[tuple[str, ...], dict[str, dict[str, tuple[str, ...]]], tuple[str, ...]]


def _read(text: str, source: str) -> _Read:
    data = parse_data(text, source, _WHAT).data
    if not isinstance(data, dict) or not isinstance(data.get("forms", {}), dict):
        raise ConfigError(f"{source} 应有 forms:（每种表单一项）和可选的 common_not:、common_not_after:")
    forms: dict[str, dict[str, tuple[str, ...]]] = {}
    for key, entry in (data.get("forms") or {}).items():
        if not isinstance(entry, dict) or not set(entry) <= _FIELDS:
            raise ConfigError(f"{source}：forms.{key} 只能有 date、not、application_date")
        forms[str(key)] = {k: _words(v, f"forms.{key}.{k}", source) for k, v in entry.items()}
    common = _words(data.get("common_not", []), "common_not", source)
    after = _words(data.get("common_not_after", []), "common_not_after", source)
    return common, forms, after


@functools.cache
def _shipped() -> _Read:
    return _read(*shipped_text("intake.yaml"))


def load_labels(*overrides: str | Path) -> Labels:
    """The shipped labels with each override file applied in turn (ConfigError naming a bad file)."""
    common, shipped, after = _shipped()
    forms = dict(shipped)
    for path in overrides:
        extra_common, extra, extra_after = _read(user_text(path, _WHAT), str(path))
        common += extra_common
        after += extra_after
        forms.update(extra)
    return Labels(
        common,
        {k: v.get("date", ()) for k, v in forms.items()},
        {k: v.get("not", ()) for k, v in forms.items()},
        {k: v.get("application_date", ()) for k, v in forms.items()},
        after,
    )
