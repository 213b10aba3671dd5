"""What every command shares: the group, error handling, options, output helpers."""

from __future__ import annotations

import codecs
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from paperwork._version import __version__
from paperwork.errors import CaseError, ConfigError, PaperworkError
from paperwork.finding import SEVERITY_NAMES, Finding, refusal
from paperwork.rules.bureau import Bureau, load_bureau
from paperwork.rules.resolution import Resolved, resolve_file

F = TypeVar("F", bound=Callable[..., Any])

# What a console that cannot show a character (a Chinese Windows console in GBK) gets instead.
_STAND_INS = {"✓": "√", "✗": "×", "→": "->", "－": "-", "·": ".", "☑": "[x]", "□": "[ ]", "…": "..."}


def _stand_in(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    text = exc.object[exc.start : exc.end]
    return "".join(_STAND_INS.get(c, "?") for c in text), exc.end


codecs.register_error("paperwork-console", _stand_in)


def fit_console() -> None:
    """Let output survive any console encoding: characters it lacks get a stand-in, never a crash."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(ValueError, OSError):
                reconfigure(errors="paperwork-console")


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def stop_cleanly_on_signals() -> None:
    """SIGTERM and SIGHUP end the command the way Ctrl-C does: every ``finally`` runs, so staging
    folders and LibreOffice's temporary files are removed and no LibreOffice outlives us."""
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            with contextlib.suppress(ValueError, OSError):  # not the main thread, or not allowed here
                signal.signal(sig, _stop)


def quiet_libraries() -> None:
    """pypdf reports damage it works around (\"EOF marker not found\") and RapidOCR its progress through
    logging: not for clerks. Set here, at the edge, never by the library."""
    for name in ("pypdf", "RapidOCR"):
        logging.getLogger(name).setLevel(logging.ERROR)


def style(text: str, **how: Any) -> str:
    """``click.style`` unless NO_COLOR is set (https://no-color.org): then the plain text."""
    if os.environ.get("NO_COLOR"):
        return text
    return click.style(text, **how)


EXIT_CASE = 1
EXIT_USAGE = 2


def _print_findings(findings: Iterable[Finding], *, err: bool = False) -> None:
    for f in findings:
        rule = f" {f.rule}" if f.rule else ""
        head = style(
            f"[{SEVERITY_NAMES[f.severity]} {f.code}{rule}]",
            fg={"error": "red", "warning": "yellow"}.get(f.severity, "cyan"),
        )
        click.echo(f"{f.where()} {head} {f.message}", err=err)


def day_of(given: Any = None) -> date:
    """The day to check against: ``--today`` when given, else the real date (asked here, at the edge)."""
    if isinstance(given, datetime):
        return given.date()
    if isinstance(given, date):
        return given
    return date.today()


def _guard(func: F) -> F:
    """Turn the library's errors into messages and exit codes (every command of :class:`Guarded`)."""
    if getattr(func, "__paperwork_guarded__", False):
        return func

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except click.ClickException:
            raise
        except CaseError as exc:
            if kwargs.get("fmt") == "json":
                click.echo(_json({"ok": False, "findings": [f.to_dict() for f in exc.findings]}))
            else:
                _print_findings(exc.findings, err=True)
                click.echo(f"✗ {exc.source}：{refusal(exc.findings)}，请按上面的提示改正。", err=True)
            sys.exit(EXIT_CASE)
        except ConfigError as exc:
            click.echo(f"错误：{exc}", err=True)
            sys.exit(EXIT_USAGE)
        except PaperworkError as exc:
            click.echo(f"错误：{exc}", err=True)
            sys.exit(EXIT_CASE)
        except BrokenPipeError:  # the reader of our output went away (| head)
            sys.stderr.close()
            sys.exit(0)
        except OSError as exc:
            click.echo(f"错误：{exc.filename or ''} {exc.strerror or exc}；请检查路径和权限", err=True)
            sys.exit(EXIT_CASE)
        except Exception as exc:  # the last line of defence: no traceback for clerks
            if os.environ.get("PAPERWORK_DEBUG"):
                raise
            click.echo(
                f"内部错误：{type(exc).__name__}: {exc}。请把案卷文件和这行信息发给维护者"
                "（设 PAPERWORK_DEBUG=1 可看到详细信息）",
                err=True,
            )
            sys.exit(EXIT_CASE)

    wrapper.__paperwork_guarded__ = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]


class Guarded(click.Group):
    """A command group whose every command runs inside :func:`_guard`: it cannot be left off."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        if cmd.callback is not None:
            cmd.callback = _guard(cmd.callback)
        super().add_command(cmd, name)


def _json(data: object) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)


def _bureau(path: str | None, case_bureau: Path | None = None) -> Bureau:
    overrides = [Path(path)] if path else []
    if case_bureau is not None:
        overrides.insert(0, case_bureau)
    return load_bureau(*overrides)


def _resolve(case_path: str, bureau_path: str | None) -> Resolved:
    if bureau_path:
        _bureau(bureau_path)  # a broken --bureau file is a usage error (exit 2)
    return resolve_file(case_path, bureau_path)


case_argument = click.argument("case", type=click.Path(exists=True, dir_okay=False, readable=True))
bureau_option = click.option(
    "--bureau",
    "bureau_path",
    type=click.Path(exists=True, dir_okay=False),
    help="本局的数据文件（表单库、步骤、流程顺序、案卷内容），覆盖默认。",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="输出格式：text 给人看，json 给脚本用。",
)


calendar_option = click.option(
    "--calendar",
    "calendar_path",
    type=click.Path(exists=True, dir_okay=False),
    help="补充或更正节假日、调休的日历文件（workdays / holidays）。",
)
regime_option = click.option(
    "--regime",
    default=None,
    help="时限制度：供电营业规则、供电监管办法、国家电网承诺，或自己的时限文件（.yaml）。"
    "默认按报装日期：2024-06-01 及以后用供电营业规则（2024），以前用供电监管办法。",
)
today_option = click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="按这一天计算（默认今天）。")


def _regime(value: str | None) -> Any:
    from paperwork.rules.timeline import load_regimes, regimes_in

    if value and Path(value).suffix.lower() in {".yaml", ".yml"}:
        if not Path(value).is_file():
            raise click.BadParameter(f"时限文件 {value} 不存在", param_hint="--regime")
        own = regimes_in(value)
        if not own:
            raise click.BadParameter(f"时限文件 {value} 中没有任何时限制度", param_hint="--regime")
        return own[0]  # a file given as the regime: its first one
    if not value:
        return None  # each case by the regime in force on its 报装日期
    regimes = load_regimes()
    name = value
    if name not in regimes:
        raise click.BadParameter(
            f"没有名为“{name}”的时限制度；可用：{'、'.join(regimes)}，或给出时限文件路径",
            param_hint="--regime",
        )
    return regimes[name]


def _calendar(path: str | None) -> Any:
    from paperwork.rules.workdays import load_calendar

    return load_calendar(*([path] if path else []))


@click.group(cls=Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, prog_name="paperwork")
def cli() -> None:
    """高压业扩报装资料：案卷检查、日期推算、表单填写、案卷装订。"""
