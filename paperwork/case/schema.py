"""The case file described for machines (JSON Schema) and for clerks (a commented start).

Both come from the dataclasses of :mod:`paperwork.case.model`, so they cannot drift
from what the reader accepts.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any, Literal, get_args, get_origin

from paperwork.case.dates import ACCEPTED_FORMS, DATE_PATTERN
from paperwork.case.model import Case
from paperwork.case.reader import field_types, is_record, required, unwrap_optional

__all__ = ["json_schema", "starter_yaml"]


def _type_schema(tp: Any) -> dict[str, Any]:
    inner, optional = unwrap_optional(tp)
    if is_record(inner):
        schema = _record_schema(inner)
    elif get_origin(inner) is tuple:
        schema = {"type": "array", "items": _type_schema(get_args(inner)[0])}
    elif get_origin(inner) is Literal:
        schema = {"enum": list(get_args(inner))}
    elif inner is date:
        schema = {
            "type": ["string", "integer"],
            "pattern": DATE_PATTERN,
            "description": f"日期：{ACCEPTED_FORMS}",
        }
    elif inner is bool:
        schema = {"type": "boolean"}
    elif inner is int:
        schema = {"type": "integer", "minimum": 0}
    elif inner is float:
        schema = {"type": "number", "minimum": 0}
    else:
        schema = {"type": "string"}
    if optional:
        schema = {"anyOf": [schema, {"type": "null"}]}
    return schema


def _record_schema(cls: type) -> dict[str, Any]:
    hints = field_types(cls)
    props: dict[str, Any] = {}
    needed = []
    for f in fields(cls):
        if not f.init:
            continue
        prop = _type_schema(hints[f.name])
        if "doc" in f.metadata:
            prop = {"description": f.metadata["doc"], **prop}
        props[f.name] = prop
        if required(f):
            needed.append(f.name)
    return {
        "type": "object",
        "description": (cls.__doc__ or "").strip().splitlines()[0],
        "properties": props,
        "required": needed,
        "additionalProperties": False,
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a case file."""
    schema = _record_schema(Case)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "paperwork 案卷文件",
        **schema,
    }


def _example(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _lines(cls: type, indent: int, out: list[str], *, in_list: bool = False) -> None:
    hints = field_types(cls)
    pad = " " * indent
    first = True
    for f in fields(cls):
        if not f.init:
            continue
        doc = f.metadata.get("doc", f.name)
        must = "必填" if required(f) else "选填"
        inner, _ = unwrap_optional(hints[f.name])
        lead = pad
        if in_list:
            lead = " " * (indent - 2) + "- " if first else pad
        first = False
        if is_record(inner):
            out.append(f"{pad}# {doc}（{must}）")
            out.append(f"{lead}{f.name}:")
            _lines(inner, indent + 2, out)
        elif get_origin(inner) is tuple and is_record(get_args(inner)[0]):
            out.append(f"{pad}# {doc}（{must}，每项以“- ”开头）")
            out.append(f"{lead}{f.name}:")
            _lines(get_args(inner)[0], indent + 4, out, in_list=True)
        else:
            example = _example(f.metadata.get("example"))
            out.append(f"{lead}{f.name}: {example}".rstrip() + f"  # {doc}（{must}）")


def starter_yaml() -> str:
    """A case file to start from: every key, each with a Chinese comment."""
    out = [
        "# paperwork 案卷文件：一户一个。日期可写 " + ACCEPTED_FORMS + "。",
        "# 选填的键可以删去或留空；documents 中每份资料一项，顺序不限。",
    ]
    _lines(Case, 0, out)
    return "\n".join(out) + "\n"
