"""The tool starts where clerks are: fast start-up, any console encoding, NO_COLOR, no POSIX-only imports."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperwork import CaseError, PaperworkError, load_case, parse_date
from paperwork.cli import cli
from tests.conftest import BROKEN, DEMO, ROOT

HEAVY = ("openpyxl", "pypdf", "pikepdf", "docx", "docxtpl", "matplotlib", "numpy", "PIL")


def _imported(*args: str) -> set[str]:
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "paperwork", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    names = set()
    for line in run.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    assert names, run.stderr[-500:]
    return names


@pytest.mark.parametrize("args", [("--help",), ("validate", str(DEMO)), ("dates", str(DEMO))])
def test_light_commands_import_no_heavy_library(args: tuple[str, ...]) -> None:
    heavy = _imported(*args) & set(HEAVY)
    assert not heavy, f"paperwork {' '.join(args)} imports {sorted(heavy)}"


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "paperwork", *args],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        check=False,
    )


@pytest.mark.parametrize(
    ("command", "case", "code"),
    [
        ("validate", DEMO, 0),
        ("checklist", DEMO, 0),
        ("dates", DEMO, 0),
        ("validate", BROKEN / "r4_register_date.yaml", 1),
    ],
)
def test_a_gbk_console_gets_every_line(command: str, case: Path, code: int) -> None:
    run = _run([command, str(case)], PYTHONIOENCODING="gbk")
    text = (run.stdout + run.stderr).decode("gbk")
    assert run.returncode == code, text
    assert "内部错误" not in text and "Traceback" not in text
    assert str(case.name) in text or command != "validate"


def test_no_color_turns_off_every_colour() -> None:
    runner = CliRunner()
    coloured = runner.invoke(cli, ["validate", str(DEMO)], color=True)
    assert "\x1b[" in coloured.output
    for args in (["validate", str(DEMO)], ["validate", str(BROKEN / "r4_register_date.yaml")]):
        plain = runner.invoke(cli, args, color=True, env={"NO_COLOR": "1"})
        assert "\x1b[" not in plain.output, plain.output


def test_cli_loads_and_validates_without_fcntl() -> None:
    code = (
        "import sys\n"
        "sys.modules['fcntl'] = None  # as on Windows: import fcntl raises ImportError\n"
        "from click.testing import CliRunner\n"
        "from paperwork.cli import cli\n"
        "import paperwork.binder.build, paperwork.binder.batch, paperwork.binder.libreoffice\n"
        f"result = CliRunner().invoke(cli, ['validate', {str(DEMO)!r}])\n"
        "print(result.output)\n"
        "sys.exit(result.exit_code)\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "通过检查" in run.stdout


def test_load_case_on_a_missing_file_or_a_folder_is_a_paperwork_error(tmp_path: Path) -> None:
    for target, words in ((tmp_path / "nope.yaml", "不存在"), (tmp_path, "是文件夹")):
        with pytest.raises(PaperworkError) as caught:
            load_case(target)
        assert isinstance(caught.value, CaseError)
        assert str(target) in str(caught.value) and words in str(caught.value)
        assert [f.code for f in caught.value.findings] == ["CASE_UNREADABLE"]


def test_a_bad_date_is_a_paperwork_error() -> None:
    with pytest.raises(PaperworkError):
        parse_date("2023-02-30")


def test_case_error_counts_errors_only() -> None:
    from paperwork.finding import error, warning

    exc = CaseError(
        "c.yaml", (warning("FIELD_UNKNOWN", "w1"), error("FIELD_TYPE", "e1"), warning("FIELD_UNKNOWN", "w2"))
    )
    assert "1 处错误" in str(exc) and "e1" in str(exc)
