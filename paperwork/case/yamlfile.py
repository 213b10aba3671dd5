"""Reading YAML as plain data while remembering the line of every value.

Scalars stay as the text the clerk typed (``20230301`` is not turned into a
number, ``001`` keeps its zeros); only null and true/false are interpreted.
The typed reading happens in :mod:`paperwork.case.reader`, which knows each field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from paperwork.errors import CaseError
from paperwork.finding import Finding, error

__all__ = ["Parsed", "parse_yaml", "read_text", "read_yaml"]

# libyaml's composer is many times faster and gives the same nodes and marks
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"


@dataclass(frozen=True)
class Parsed:
    """Plain data (dicts, lists, str, bool, None) and the line of each path."""

    data: object
    lines: dict[str, int]
    duplicates: tuple[Finding, ...] = ()

    def line(self, path: str) -> int | None:
        """The line of ``path``, or of its nearest parent that has one (else the document's)."""
        found = line_of(self.lines, path)
        return found if found is not None else self.lines.get("")


def line_of(lines: Mapping[str, int], path: str) -> int | None:
    """The line of a field path (``documents[3].date``) in a table of lines, or of its nearest
    parent that has one; None when no part of it has one."""
    while path:
        if path in lines:
            return lines[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return None


#: Caps that keep a hostile or broken file from taking all memory: a case file is a few KB.
MAX_BYTES = 5_000_000
MAX_NODES = 200_000  # values after aliases are expanded (a "billion laughs" file has 10^9)

# Control characters YAML refuses and a clerk cannot see: Word's soft line break (\v),
# form feed, NUL … (tab, line feed and carriage return are fine).
# Everything outside YAML's printable set (https://yaml.org/spec/1.2.2/#51-character-set).
_NOT_PRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
CONTROL_NAMES = {"\x0b": "Word 的软回车（\\v）", "\x0c": "换页符（\\f）", "\x00": "空字符（NUL）"}


class _TooBig(Exception):
    """The expanded document passed MAX_NODES."""


def control_character(text: str) -> tuple[int, str] | None:
    """The first control character in ``text``: (0-based offset, its name), or None."""
    found = _NOT_PRINTABLE.search(text)
    if found is None:
        return None
    c = found.group()
    return found.start(), CONTROL_NAMES.get(c, f"控制字符 U+{ord(c):04X}")


def _fail(
    source: str, code: str, message: str, line: int | None = None, path: str | None = None
) -> CaseError:
    return CaseError(source, (error(code, message, line=line, path=path, source=source),))


def _join(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


class _Walker:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[str, int] = {}
        self.duplicates: list[Finding] = []
        self.nodes = 0

    def walk(self, node: yaml.Node, path: str) -> object:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise _TooBig
        self.lines[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            out: dict[str, object] = {}
            for key_node, value_node in node.value:
                key = str(key_node.value)
                child = _join(path, key)
                if key in out:
                    self.duplicates.append(
                        error(
                            "YAML_DUPLICATE_KEY",
                            f"键“{key}”重复出现（第 {key_node.start_mark.line + 1} 行），"
                            "后一个会覆盖前一个；请删去多余的一个",
                            path=child,
                            line=key_node.start_mark.line + 1,
                            source=self.source,
                        )
                    )
                out[key] = self.walk(value_node, child)
                self.lines[child] = key_node.start_mark.line + 1  # the key's line, where a clerk looks
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, _join(path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        if node.tag == _NULL and not node.style:
            return None
        if node.tag == _BOOL and not node.style:
            return node.value.lower() in {"true", "yes", "on"}
        return node.value


def _control_finding(text: str, source: str) -> CaseError | None:
    found = control_character(text)
    if found is None:
        return None
    offset, name = found
    line = text.count("\n", 0, offset) + 1
    path = None
    cleaned = _NOT_PRINTABLE.sub(" ", text)
    try:
        parsed = parse_yaml(cleaned, source)
        on_line = [p for p, n in parsed.lines.items() if n == line and p]
        path = max(on_line, key=len) if on_line else None
    except CaseError:
        pass
    return _fail(
        source,
        "TEXT_CONTROL_CHAR",
        f"第 {line} 行有看不见的{name}（常见于从 Word 或网页粘贴的文字）；请删去它或换成空格",
        line,
        path,
    )


def parse_yaml(text: str, source: str) -> Parsed:
    """Parse YAML text; raise CaseError with the line on a syntax error.

    Refused up front, with the line: control characters, files over MAX_BYTES, nesting too
    deep for the parser, and aliases that expand past MAX_NODES values.
    """
    if len(text) > MAX_BYTES:
        size = f"{len(text) / 1e6:.1f} MB"
        return_error = _fail(
            source, "YAML_SYNTAX", f"案卷文件太大（{size}），不像是案卷文件；请检查是否选错了文件"
        )
        raise return_error
    bad = _control_finding(text, source)
    if bad is not None:
        raise bad
    try:
        node = yaml.compose(text, Loader=_LOADER)
    except RecursionError:
        raise _fail(source, "YAML_SYNTAX", "案卷文件嵌套层数太多，无法读取；请检查括号和缩进") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or "语法错误"
        raise CaseError(
            source,
            (
                error(
                    "YAML_SYNTAX",
                    f"YAML 语法错误（第 {line} 行）：{problem}。请检查缩进、冒号后的空格和引号是否成对",
                    line=line,
                    source=source,
                ),
            ),
        ) from None
    except yaml.YAMLError as exc:  # the reader's own complaints (encoding, characters)
        raise _fail(source, "YAML_SYNTAX", f"案卷文件无法读取：{exc}；请用 UTF-8 文本另存") from None
    if node is None:
        return Parsed({}, {"": 1})
    walker = _Walker(source)
    try:
        data = walker.walk(node, "")
    except RecursionError:
        raise _fail(source, "YAML_SYNTAX", "案卷文件嵌套层数太多，无法读取；请检查括号和缩进") from None
    except _TooBig:
        message = f"案卷文件展开后超过 {MAX_NODES} 个值（多半是别名 & / * 互相引用）；请删去这些别名"
        raise _fail(source, "YAML_SYNTAX", message) from None
    return Parsed(data, walker.lines, tuple(walker.duplicates))


def read_text(path: Path, what: str) -> str:
    """A user's data file as UTF-8 text; ConfigError naming ``what`` and the path if unreadable."""
    from paperwork.errors import ConfigError

    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "不是 UTF-8 文本"
        raise ConfigError(f"{what} {path} 打不开：{reason}；请检查路径和编码") from None


def read_yaml(path: Path) -> Parsed:
    """Read a YAML file as UTF-8; raise CaseError when it cannot be read."""
    if path.is_dir():
        fix = f"请给出其中的案卷文件，例如 {path / 'case.yaml'}"
        raise CaseError(
            str(path), (error("CASE_UNREADABLE", f"{path} 是文件夹，不是案卷文件；{fix}", source=str(path)),)
        )
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        message = f"案卷文件 {path} 不存在；请核对路径，或用 paperwork init 新建一个"
        raise CaseError(str(path), (error("CASE_UNREADABLE", message, source=str(path)),)) from None
    except OSError as exc:
        message = f"案卷文件 {path} 打不开（{exc.strerror or exc}）；请检查权限"
        raise CaseError(str(path), (error("CASE_UNREADABLE", message, source=str(path)),)) from None
    except UnicodeDecodeError:
        raise CaseError(
            str(path),
            (
                error(
                    "YAML_SYNTAX",
                    f"{path} 不是 UTF-8 编码的文本；请用 UTF-8 另存",
                    source=str(path),
                ),
            ),
        ) from None
    return parse_yaml(text, str(path))
