"""Reading YAML as plain data while remembering the line of every value.

Scalars stay as the text the clerk typed (``20230301`` is not turned into a
number, ``001`` keeps its zeros); only null and true/false are interpreted.
The typed reading happens in :mod:`paperwork.case.reader`, which knows each field.
"""

from __future__ import annotations

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
        """The line of ``path``, or of its nearest parent that has one."""
        while path:
            if path in self.lines:
                return self.lines[path]
            cut = max(path.rfind("."), path.rfind("["))
            path = path[:cut] if cut > 0 else ""
        return self.lines.get("")


def _join(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


class _Walker:
    def __init__(self, source: str) -> None:
        self.source = source
        self.lines: dict[str, int] = {}
        self.duplicates: list[Finding] = []

    def walk(self, node: yaml.Node, path: str) -> object:
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
                self.lines.setdefault(child, key_node.start_mark.line + 1)
            return out
        if isinstance(node, yaml.SequenceNode):
            return [self.walk(item, _join(path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        if node.tag == _NULL and not node.style:
            return None
        if node.tag == _BOOL and not node.style:
            return node.value.lower() in {"true", "yes", "on"}
        return node.value


def parse_yaml(text: str, source: str) -> Parsed:
    """Parse YAML text; raise CaseError with the line on a syntax error."""
    try:
        node = yaml.compose(text, Loader=_LOADER)
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
    if node is None:
        return Parsed({}, {"": 1})
    walker = _Walker(source)
    data = walker.walk(node, "")
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
