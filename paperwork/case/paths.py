"""Field paths of the case file: every leaf a clerk can fill, its Chinese label, its value.

Made from the dataclasses of :mod:`paperwork.case.model` (as the schema and the starter are), so
the case page, the findings' labels and the form checks never name a field the reader does not
know. A path is written with dots (``equipment.2.power_kw``); a finding's bracket form
(``documents[4].date``) is read too. In a leaf's own path a list item is ``*``.
"""

from __future__ import annotations

import contextlib
import functools
import re
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Literal, get_args, get_origin

from paperwork.case.dates import DateFormatError, parse_date
from paperwork.case.model import Case
from paperwork.case.reader import field_types, is_record, required, unwrap_optional

__all__ = ["Leaf", "dotted", "label_of", "leaves", "normalise_dates", "short_label", "value_at"]

Input = Literal["text", "date", "number", "integer", "choice", "yesno"]

_UNIT = re.compile(r"（(kVA|kW|kV|千瓦|千伏安|千伏)[，）]")


@dataclass(frozen=True)
class Leaf:
    """One value a clerk fills: its path (``*`` for a list item), label and kind of input."""

    path: str
    label: str
    input: Input
    choices: tuple[str, ...] = ()
    required: bool = False
    unit: str = ""
    example: str = ""
    group: str = ""  # the record it belongs to below a section (经办人, 用电地址分项, 客服大本资料)

    @property
    def name(self) -> str:
        return self.path.rsplit(".", 1)[-1]


def short_label(doc: str) -> str:
    """A field's name without its explanation: ``户名（甲方单位全称）`` → ``户名``,
    ``第一路电源原有容量（kVA），新装为 0`` → ``第一路电源原有容量``; ``县（市/区）`` stays."""
    depth, cut = 0, len(doc)
    for i, char in enumerate(doc):
        depth += {"（": 1, "）": -1}.get(char, 0)
        if depth == 0 and char in "：，":
            cut = i
            break
    head = re.sub(r"（[^（）]*）$", "", doc[:cut]).strip()
    return head if len(head) >= 2 else doc


def _input(tp: Any) -> tuple[Input, tuple[str, ...]]:
    if get_origin(tp) is Literal:
        return "choice", tuple(str(c) for c in get_args(tp))
    if tp is date:
        return "date", ()
    if tp is bool:
        return "yesno", ()
    if tp is int:
        return "integer", ()
    if tp is float:
        return "number", ()
    return "text", ()


def _walk(cls: type, prefix: str, group: str = "") -> list[Leaf]:
    out: list[Leaf] = []
    hints = field_types(cls)
    for f in fields(cls):
        if not f.init:
            continue
        path = f"{prefix}{f.name}"
        inner, _ = unwrap_optional(hints[f.name])
        doc = str(f.metadata.get("doc", f.name))
        if is_record(inner):
            out.extend(_walk(inner, path + ".", short_label(doc) if prefix else ""))
        elif get_origin(inner) is tuple and is_record(get_args(inner)[0]):
            out.extend(_walk(get_args(inner)[0], path + ".*."))
        else:
            kind, choices = _input(inner)
            unit = _UNIT.search(doc)
            example = f.metadata.get("example")
            out.append(
                Leaf(
                    path,
                    doc,
                    kind,
                    choices,
                    required(f),
                    unit.group(1) if unit else "",
                    "" if example is None or isinstance(example, bool) else str(example),
                    group,
                )
            )
    return out


@functools.cache
def leaves() -> tuple[Leaf, ...]:
    """Every leaf field of the case file, in the order ``paperwork schema`` lists them."""
    return tuple(_walk(Case, ""))


def dotted(path: str) -> str:
    """``documents[4].date`` → ``documents.4.date`` (a dot path passes through)."""
    return re.sub(r"\[(\d+)\]", r".\1", path)


def _field(cls: type, name: str) -> tuple[Any, str] | None:
    for f in fields(cls):
        if f.init and f.name == name:
            return field_types(cls)[name], str(f.metadata.get("doc", name))
    return None


#: How a list's rows are called on the page.
_ROWS = {"documents": "资料", "equipment": "用电设备"}


@functools.cache
def label_of(path: str) -> str:
    """The field as the page names it: ``documents[4].date`` → ``资料第 5 行的资料日期``,
    ``customer.agent.mobile`` → ``经办人的移动电话``; a path the case file does not know comes back as is."""
    parts = dotted(path).split(".")
    cls: Any = Case
    words: list[str] = []
    depth = 0
    i = 0
    while i < len(parts):
        found = _field(cls, parts[i]) if is_record(cls) else None
        if found is None:
            return path
        tp, doc = found
        inner, _ = unwrap_optional(tp)
        if get_origin(inner) is tuple and is_record(get_args(inner)[0]):
            row = _ROWS.get(parts[i], short_label(doc))
            if i + 1 < len(parts) and parts[i + 1].isdigit():
                words.append(f"{row}第 {int(parts[i + 1]) + 1} 行")
                i += 1
            else:
                words.append(row)
            cls = get_args(inner)[0]
        elif is_record(inner):
            if depth > 0 or i + 1 == len(parts):
                words.append(short_label(doc))
            cls = inner
        else:
            words.append(short_label(doc))
            cls = None
        depth += 1
        i += 1
    return "的".join(words) if words else "案卷文件"


def value_at(record: object, path: str) -> object:
    """The value at a dot path of a case (None where any step is missing)."""
    node: Any = record
    for part in dotted(path).split("."):
        if node is None:
            return None
        if isinstance(node, tuple | list):
            if not part.isdigit() or int(part) >= len(node):
                return None
            node = node[int(part)]
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            node = getattr(node, part, None)
    return node


def _date_paths(cls: type) -> dict[str, Any]:
    """Each field name of ``cls`` → 'date', a record class, or ('list', record class)."""
    out: dict[str, Any] = {}
    hints = field_types(cls)
    for f in fields(cls):
        inner, _ = unwrap_optional(hints[f.name])
        if inner is date:
            out[f.name] = "date"
        elif is_record(inner):
            out[f.name] = inner
        elif get_origin(inner) is tuple and is_record(get_args(inner)[0]):
            out[f.name] = ("list", get_args(inner)[0])
    return out


def normalise_dates(data: object, cls: type = Case) -> object:
    """Plain case data with every date typed in an accepted form written as YYYY-MM-DD.

    A value that is not a date is left as typed, for the reader to name with its line.
    """
    if not isinstance(data, dict):
        return data
    kinds = _date_paths(cls)
    out = dict(data)
    for key, value in data.items():
        kind = kinds.get(key)
        if kind == "date" and isinstance(value, str | int) and not isinstance(value, bool):
            with contextlib.suppress(DateFormatError):  # left as typed: the reader names it with its line
                out[key] = parse_date(value).isoformat()
        elif isinstance(kind, tuple) and isinstance(value, list):
            out[key] = [normalise_dates(v, kind[1]) for v in value]
        elif isinstance(kind, type):
            out[key] = normalise_dates(value, kind)
    return out
