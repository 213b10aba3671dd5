"""Reading plain data into frozen dataclasses, field by field, with findings.

The dataclasses in :mod:`paperwork.case.model` are the single description of the case
file: this module reads them, :mod:`paperwork.case.schema` turns them into JSON
Schema and commented starter files. A field's metadata carries its Chinese
description (``doc``) and an example.
"""

from __future__ import annotations

import difflib
import functools
import math
import types
import typing
from dataclasses import MISSING, Field, dataclass, field, fields, is_dataclass
from datetime import date
from typing import Any, Literal, get_args, get_origin

from paperwork.case.dates import parse_date
from paperwork.case.yamlfile import Parsed, control_character
from paperwork.errors import DateFormatError
from paperwork.finding import Finding, error, warning

__all__ = ["field_types", "is_record", "read_record", "spec", "unwrap_optional"]


def spec(doc: str, example: object = None, *, default: object = MISSING) -> Any:
    """A dataclass field with a Chinese description and an example value."""
    meta = {"doc": doc, "example": example}
    if default is MISSING:
        return field(metadata=meta)
    if isinstance(default, tuple | list | dict):
        frozen = tuple(default) if isinstance(default, list) else default
        return field(default_factory=lambda: frozen, metadata=meta)
    return field(default=default, metadata=meta)


def is_record(tp: object) -> bool:
    return isinstance(tp, type) and is_dataclass(tp)


@functools.cache
def field_types(cls: type) -> dict[str, Any]:
    """The resolved type of each field of a dataclass (worked out once per class)."""
    return typing.get_type_hints(cls)


def unwrap_optional(tp: Any) -> tuple[Any, bool]:
    """(inner type, whether None is allowed)."""
    if get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1 and len(get_args(tp)) == 2:
            return args[0], True
    return tp, False


def required(f: Field[Any]) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


@dataclass
class _Reading:
    parsed: Parsed
    source: str
    findings: list[Finding]

    def fail(self, code: str, message: str, path: str) -> None:
        self.findings.append(error(code, message, path=path, line=self.parsed.line(path), source=self.source))


_BAD = object()

#: Values no real case has: a year outside these, a capacity or count over MAX_NUMBER.
FIRST_YEAR, LAST_YEAR = 1900, 2100
MAX_NUMBER = 1e9
#: The characters a text field may hold: far more than any box of a form prints (a company name
#: is under 60), far less than what makes LibreOffice lay a form out for minutes. A note may be longer.
MAX_TEXT, MAX_NOTE = 200, 1000


def _read_value(tp: Any, value: object, path: str, reading: _Reading) -> object:
    tp, optional = unwrap_optional(tp)
    if value is None:
        if optional:
            return None
        reading.fail("FIELD_MISSING", f"{path} 不能为空，请填写", path)
        return _BAD
    if is_record(tp):
        return read_record(tp, value, path, reading)
    origin = get_origin(tp)
    if origin is tuple:
        item_type = get_args(tp)[0]
        if not isinstance(value, list):
            reading.fail("FIELD_TYPE", f"{path} 应是一个列表（每项以“- ”开头）", path)
            return _BAD
        items = [_read_value(item_type, v, f"{path}[{i}]", reading) for i, v in enumerate(value)]
        return _BAD if any(i is _BAD for i in items) else tuple(items)
    if origin is Literal:
        choices = get_args(tp)
        text = str(value).strip() if not isinstance(value, dict | list) else None
        for choice in choices:
            if text == str(choice):
                return choice
        allowed = " 或 ".join(str(c) for c in choices)
        reading.fail("FIELD_TYPE", f"{path} 的值“{value}”不可用，只能是 {allowed}", path)
        return _BAD
    if isinstance(value, dict | list):
        reading.fail("FIELD_TYPE", f"{path} 应是单个值，不是列表或嵌套的键", path)
        return _BAD
    if tp is date:
        try:
            day = parse_date(value)
        except DateFormatError as exc:
            reading.fail("DATE_INVALID", f"{path}：{exc}", path)
            return _BAD
        if not FIRST_YEAR <= day.year <= LAST_YEAR:
            reading.fail(
                "DATE_INVALID",
                f"{path}：{day.isoformat()} 的年份不合理（应在 {FIRST_YEAR}–{LAST_YEAR} 年之间）；请核对",
                path,
            )
            return _BAD
        return day
    if tp is bool:
        if isinstance(value, bool):
            return value
        text = str(value).strip()
        if text in {"是", "有"}:
            return True
        if text in {"否", "无"}:
            return False
        reading.fail("FIELD_TYPE", f"{path} 应填 true 或 false（是/否），而不是“{value}”", path)
        return _BAD
    if tp is int or tp is float:
        try:
            number = tp(str(value).strip())
        except ValueError:
            kind = "整数" if tp is int else "数字"
            reading.fail("FIELD_TYPE", f"{path} 应是{kind}，而不是“{value}”", path)
            return _BAD
        if not math.isfinite(number):
            reading.fail("FIELD_TYPE", f"{path} 应是一个有限的数字，而不是“{value}”", path)
            return _BAD
        if number < 0:
            reading.fail("FIELD_TYPE", f"{path} 不能是负数（{value}）", path)
            return _BAD
        if number > MAX_NUMBER:
            reading.fail("FIELD_TYPE", f"{path} 的值 {value} 大得不合理；请核对", path)
            return _BAD
        return number
    if tp is str:
        if isinstance(value, bool):
            return "true" if value else "false"
        text = str(value)
        found = control_character(text)
        if found is not None:
            reading.fail("TEXT_CONTROL_CHAR", f"{path} 中有看不见的{found[1]}；请删去它或换成空格", path)
            return _BAD
        limit = MAX_NOTE if path.rsplit(".", 1)[-1] == "note" else MAX_TEXT
        if len(text) > limit:
            reading.fail(
                "TEXT_TOO_LONG",
                f"{path} 有 {len(text)} 个字，太长：表单上印不下，最多 {limit} 个字；请缩短",
                path,
            )
            return _BAD
        return text
    raise TypeError(f"unsupported field type {tp!r} at {path}")


def read_record(cls: type, value: object, path: str, reading: _Reading) -> object:
    """Read a mapping into dataclass ``cls``; findings go into ``reading``."""
    label = path or "案卷文件"
    if not isinstance(value, dict):
        reading.fail("FIELD_TYPE", f"{label} 应是“键: 值”的映射", path)
        return _BAD
    hints = field_types(cls)
    known = {f.name: f for f in fields(cls) if f.init}
    for key in value:
        if key not in known:
            child = f"{path}.{key}" if path else key
            names = "、".join(known)
            near = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
            hint = f"你是不是要写“{near[0]}”？" if near else ""
            reading.findings.append(
                warning(
                    "FIELD_UNKNOWN",
                    f"不认识的字段“{key}”，已忽略；{hint}可用的字段有：{names}",
                    path=child,
                    line=reading.parsed.line(child),
                    source=reading.source,
                )
            )
    kwargs: dict[str, object] = {}
    ok = True
    for name, f in known.items():
        child = f"{path}.{name}" if path else name
        blank = isinstance(value.get(name), str) and not str(value[name]).strip()
        if name not in value or value[name] is None or (blank and required(f)):
            if required(f):
                doc = f.metadata.get("doc", name)
                reading.fail("FIELD_MISSING", f"缺少必填字段 {child}（{doc}），请补上", child)
                ok = False
            continue
        result = _read_value(hints[name], value[name], child, reading)
        if result is _BAD:
            ok = False
        else:
            kwargs[name] = result
    if not ok:
        return _BAD
    return cls(**kwargs)


def read(cls: type, parsed: Parsed, source: str) -> tuple[object | None, list[Finding]]:
    """Read the whole parsed file into ``cls``: (record or None, findings)."""
    reading = _Reading(parsed, source, list(parsed.duplicates))
    record = read_record(cls, parsed.data, "", reading)
    return (None if record is _BAD else record), reading.findings


def to_plain(record: object, *, dates_as_text: bool = False) -> object:
    """A dataclass back to plain data, dropping unset fields.

    Dates stay ``date`` objects (YAML writes them bare) unless ``dates_as_text``.
    """
    if is_dataclass(record) and not isinstance(record, type):
        out: dict[str, object] = {}
        for f in fields(record):
            if not f.init:
                continue
            value = getattr(record, f.name)
            default = f.default if f.default is not MISSING else None
            if f.default_factory is not MISSING:
                default = f.default_factory()
            if value is None or (not required(f) and value == default):
                continue
            out[f.name] = to_plain(value, dates_as_text=dates_as_text)
        return out
    if isinstance(record, tuple):
        return [to_plain(v, dates_as_text=dates_as_text) for v in record]
    if isinstance(record, date) and dates_as_text:
        return record.isoformat()
    return record
