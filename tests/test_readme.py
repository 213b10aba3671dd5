"""The README is executed: every ``console`` block is run and its output compared, every ``python``
block is run as written, and the package docstring's doctest passes.

The commands run in a scratch folder holding a copy of ``fixtures/`` (relative paths work as
in a checkout, nothing in the checkout is written). Times are normalised (``（3.4 秒）`` →
``（… 秒）``); a line ``…`` ends what is compared of an output; progress lines ``[k/N] …``
of a parallel batch are compared as a set, since workers finish in any order.
"""

from __future__ import annotations

import doctest
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import paperwork
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
_TIME = re.compile(r"（\d+(?:\.\d+)? 秒）")
_PROGRESS = re.compile(r"^\[\d+/\d+\] ")


@dataclass(frozen=True)
class Example:
    """One ``$ command`` of a console block and the output the README shows for it."""

    line: int
    command: str
    expected: tuple[str, ...]
    prefix: bool  # the README shows only the start of the output (a line "…")


def blocks(language: str) -> list[tuple[int, str]]:
    """(line number, text) of every fenced block of ``language`` in the README."""
    found = []
    for match in re.finditer(rf"^```{language}\n(.*?)^```$", README, flags=re.M | re.S):
        found.append((README.count("\n", 0, match.start()) + 2, match.group(1)))
    return found


def examples() -> list[Example]:
    out: list[Example] = []
    for start, text in blocks("console"):
        lines = text.splitlines()
        heads = [n for n, line in enumerate(lines) if line.startswith("$ ")]
        for k, n in enumerate(heads):
            following = lines[n + 1 : heads[k + 1] if k + 1 < len(heads) else len(lines)]
            shown = following[: following.index("…")] if "…" in following else following
            out.append(Example(start + n, lines[n][2:], tuple(shown), "…" in following))
    return out


def normalised(lines: list[str] | tuple[str, ...]) -> list[str]:
    plain = [_TIME.sub("（… 秒）", line.rstrip()) for line in lines]
    progress = sorted(_PROGRESS.sub("[k/N] ", line) for line in plain if _PROGRESS.match(line))
    rest = [line for line in plain if not _PROGRESS.match(line)]
    return progress + rest


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("readme")
    shutil.copytree(ROOT / "fixtures", folder / "fixtures")
    return folder


def _env(scratch: Path) -> dict[str, str]:
    # a cache of our own: the unchanged-build example must see the build just before it, nothing older
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "PAPERWORK_CACHE": str(scratch / ".cache"),
        "NO_COLOR": "1",
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "200",
    }


def test_the_readme_has_examples_to_run() -> None:
    assert len(examples()) >= 7 and len(blocks("python")) >= 3


def test_console_examples_print_what_the_readme_shows(soffice: Path, scratch: Path) -> None:
    for example in examples():  # in order: a later command may use what an earlier one built
        argv = shlex.split(example.command, comments=True)
        assert argv[0] == "paperwork", example
        done = subprocess.run(
            [sys.executable, "-m", "paperwork", *argv[1:]],
            cwd=scratch,
            env=_env(scratch),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one stream, in the order a terminal shows it
            text=True,
            timeout=600,
        )
        shown = done.stdout.splitlines()
        expected = normalised(example.expected)
        got = normalised(shown)
        if example.prefix:
            got = got[: len(expected)]
            if any(_PROGRESS.match(line) for line in example.expected):  # a batch: its progress lines
                got = [line for line in normalised(shown) if line.startswith("[k/N] ")]
        assert got == expected, f"README.md:{example.line} $ {example.command}\n" + "\n".join(shown)


def test_python_examples_run_as_written(
    soffice: Path, scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(scratch)
    for line, code in blocks("python"):
        namespace: dict[str, object] = {"__name__": "readme"}
        try:
            exec(compile(code, f"README.md:{line}", "exec"), namespace)
        except Exception as exc:
            pytest.fail(f"README.md:{line}: {type(exc).__name__}: {exc}")


def test_package_docstring_doctest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    result = doctest.testmod(paperwork, verbose=False)
    assert result.attempted >= 1 and result.failed == 0
