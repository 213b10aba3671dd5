"""A case file as the server reads and writes it: JSON out, JSON in, the YAML's comments kept.

The file stays the truth. Reading gives its data and an ETag (a digest of its bytes).
Writing takes the whole case as JSON and the ETag the writer read; when the file
changed since (another clerk, a hand edit, git), nothing is written
(:class:`StaleWrite`). Otherwise the new data is merged into the file's round-trip
tree (ruamel.yaml), so comments, key order, flow style and quoting of what did not
change stay as they were, and the text is written atomically beside the file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import re
import threading
from pathlib import Path
from typing import Any

from paperwork.case.yamlfile import parse_yaml
from paperwork.errors import PaperworkError, StaleWrite
from paperwork.files import write_atomic

__all__ = ["StaleWrite", "create_case", "etag", "read_case", "read_source", "write_case", "write_source"]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_WRITE_LOCK = threading.Lock()


def etag(data: bytes) -> str:
    """The ETag of a file's bytes (a strong validator)."""
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'


def _same_tag(given: str, current: str) -> bool:
    """Whether ``If-Match`` names the current ETag (quoted or not, weak or strong, or ``*``)."""
    tags = [t.strip().removeprefix("W/").strip('"') for t in given.split(",")]
    return "*" in tags or current.strip('"') in tags


def read_case(path: Path) -> tuple[object, str]:
    """The case file's data (as the case reader sees it: JSON-ready) and its ETag.

    A file that cannot be parsed raises the reader's CaseError (with the line).
    """
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig", errors="replace")
    parse_yaml(text, str(path))  # the case reader's caps and checks, before ruamel sees it
    return _plain(_yaml().load(text)), etag(raw)


def _plain(node: object) -> object:
    """A loaded YAML tree as JSON data: mappings, lists, numbers, booleans, strings; dates in ISO."""
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, dt.date | dt.datetime):
        return node.isoformat()
    if node is None or isinstance(node, bool | int | float):
        return node if not isinstance(node, float) or node == node else None
    return str(node)


def _yaml() -> Any:
    from ruamel.yaml import YAML

    y = YAML()  # round trip
    y.preserve_quotes = True
    y.width = 4096  # a flow mapping stays on one line rather than wrap between a key and its value
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _scalar(value: object) -> object:
    """JSON's strings that are ISO dates become dates again, so they are written unquoted."""
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(value)
    return value


def _same(old: object, new: object) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    return str(old) == str(new)  # 1600 and "1600", a date and its ISO text: the file's own form stays


def _fresh(value: object, flow: bool) -> object:
    """A new value as a round-trip node; mappings in a list of flow mappings are flow too."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        node = CommentedMap((str(k), _fresh(v, False)) for k, v in value.items())
        if flow:
            node.fa.set_flow_style()
        return node
    if isinstance(value, list):
        return CommentedSeq(_fresh(v, False) for v in value)
    return _scalar(value)


def _merge(old: Any, new: object) -> object:
    """``new`` as a change to ``old``: unchanged parts keep their node (comments, style)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(old, CommentedMap) and isinstance(new, dict):
        for key in [k for k in old if str(k) not in new]:
            del old[key]
        for key, value in new.items():
            old[key] = _merge(old[key], value) if key in old else _fresh(value, False)
        return old
    if isinstance(old, CommentedSeq) and isinstance(new, list):
        return _merge_list(old, new)
    if not isinstance(new, dict | list) and _same(old, _scalar(new)):
        return old
    return _fresh(new, False)


def _partner(old: Any, value: object, i: int, used: set[int]) -> int | None:
    """The old item a new list item continues: the same content, else the same paper, else the same place."""
    free = [k for k in range(len(old)) if k not in used]
    for k in free:
        if _plain(old[k]) == value:
            return k
    if isinstance(value, dict):
        title = value.get("title")
        same = [
            k for k in free if title is not None and isinstance(old[k], dict) and old[k].get("title") == title
        ]
        if same:
            return min(same, key=lambda k: abs(k - i))
        return None
    return i if i in free else None


def _merge_list(old: Any, new: list[object]) -> object:
    """Items are matched to the old ones they continue, so a row deleted or moved keeps every other
    row's quoting and comments (ruamel keeps a list's comments by index: they move with the rows)."""
    from ruamel.yaml.comments import CommentedMap

    flow = any(isinstance(item, CommentedMap) and item.fa.flow_style() for item in old)
    used: set[int] = set()
    items, comments = [], {}
    for i, value in enumerate(new):
        k = _partner(old, value, i, used)
        if k is None:
            items.append(_fresh(value, flow))
            continue
        used.add(k)
        items.append(_merge(old[k], value))
        if k in old.ca.items:
            comments[i] = old.ca.items[k]
    old.clear()
    old.extend(items)
    old.ca.items.clear()
    old.ca.items.update(comments)
    return old


def write_case(path: Path, data: dict[str, object], if_match: str | None) -> str:
    """Write ``data`` as the case file at ``path``; return the new ETag.

    ``if_match`` is the ETag the writer read (None: no check). StaleWrite when the file
    changed since; the reader's CaseError when the file on disk is not YAML any more
    (it is not overwritten: a person is editing it by hand).
    """
    from filelock import FileLock

    with _WRITE_LOCK, FileLock(str(path.parent / f".{path.name}.lock")):
        raw = path.read_bytes()
        current = etag(raw)
        if if_match is not None and not _same_tag(if_match, current):
            raise StaleWrite(path, current)
        text = raw.decode("utf-8-sig")
        parse_yaml(text, str(path))  # the caps and checks of the case reader, before ruamel sees it
        y = _yaml()
        tree = y.load(text)
        merged = _merge(tree, data) if tree is not None else _fresh(data, False)
        out = io.StringIO()
        y.dump(merged, out)
        parse_yaml(out.getvalue(), str(path))  # what is written must read back (no control characters …)
        write_atomic(path, out.getvalue())
        return etag(out.getvalue().encode("utf-8"))


def read_source(path: Path) -> tuple[str, str]:
    """The case file's text as it is (even when it does not parse: to be repaired) and its ETag."""
    raw = path.read_bytes()
    return raw.decode("utf-8-sig", errors="replace"), etag(raw)


def write_source(path: Path, text: str | bytes, if_match: str | None) -> str:
    """Write the case file's whole text (or its bytes, kept as they are), only when it parses as YAML;
    return the new ETag.

    StaleWrite when the file changed since ``if_match`` was read; the reader's CaseError (with the
    line) when ``text`` does not parse, and then nothing is written.
    """
    from filelock import FileLock

    raw = text if isinstance(text, bytes) else text.encode("utf-8")
    parse_yaml(raw.decode("utf-8-sig", errors="replace"), str(path))
    with _WRITE_LOCK, FileLock(str(path.parent / f".{path.name}.lock")):
        current = etag(path.read_bytes())
        if if_match is not None and not _same_tag(if_match, current):
            raise StaleWrite(path, current)
        write_atomic(path, raw)
        return etag(raw)


def create_case(path: Path, data: dict[str, object], comment: str) -> str:
    """Write a new case file (never over an existing one); return its ETag."""
    y = _yaml()
    out = io.StringIO()
    out.write(f"# {comment}\n")
    y.dump(_fresh(data, False), out)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="") as fh:  # "x": an existing file is an error
        fh.write(out.getvalue())
    return etag(out.getvalue().encode("utf-8"))


def add_documents(
    source: Path | None, target: Path, documents: list[tuple[dict[str, object], str]], header: str = ""
) -> None:
    """Append papers to the ``documents`` of the case file ``source`` (None: a new case from ``header``,
    a YAML text) and write the result to ``target``, each paper with ``# comment`` at the end of its line.

    Nothing already in the case changes: its comments, order and quoting stay. ``target`` is
    written atomically; it is never a file other than ``source`` that exists already.
    """
    from ruamel.yaml.comments import CommentedSeq

    if source is None and target.exists():
        raise FileExistsError(target)
    text = source.read_bytes().decode("utf-8-sig") if source is not None else header
    if source is not None:
        parse_yaml(text, str(source))
    y = _yaml()
    tree = y.load(text)
    if tree is None or not hasattr(tree, "get"):
        raise PaperworkError(f"{source or target} 不是案卷文件（应为 key: value 的映射）")
    papers = tree.get("documents")
    if not isinstance(papers, CommentedSeq):
        papers = CommentedSeq()
        tree["documents"] = papers
    flow = True
    for data, comment in documents:
        papers.append(_fresh(data, flow))
        if comment:
            papers.yaml_add_eol_comment(f"# {comment}", len(papers) - 1)
    out = io.StringIO()
    y.dump(tree, out)
    write_atomic(target, out.getvalue())
