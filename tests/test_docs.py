"""The README cannot drift from the code: its command list, its finding codes, and help for every command."""

from __future__ import annotations

import re

import click

from paperwork import CODES
from paperwork.cli import cli
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start : end if end != -1 else None]


def test_readme_lists_every_command_and_no_other() -> None:
    block = _section("Commands")
    listed = set(re.findall(r"^paperwork ([a-z-]+)", block, flags=re.M))
    assert listed == set(cli.commands), f"README: {sorted(listed)}; CLI: {sorted(cli.commands)}"


def test_readme_finding_code_table_matches_the_codes() -> None:
    rows = dict(re.findall(r"^\| `([A-Z_]+)` \| (.+?) \|$", README, flags=re.M))
    assert rows == CODES


def test_readme_options_exist() -> None:
    block = _section("Commands")
    for line in block.splitlines():
        found = re.match(r"^paperwork ([a-z-]+)\s+(.*?)(?:#|$)", line)
        if not found:
            continue
        command, rest = cli.commands[found.group(1)], found.group(2)
        if isinstance(command, click.Group):  # paperwork users add …: the subcommand's options
            name, _, rest = rest.partition(" ")
            command = command.commands[name]
        known = {opt for p in command.params for opt in getattr(p, "opts", ())}
        for option in re.findall(r"(--?[a-z][a-z-]*)", rest):
            assert option in known, f"README shows {option} for {found.group(1)}, which has {sorted(known)}"


def test_every_command_has_help() -> None:
    commands = dict(cli.commands)
    for group in [c for c in cli.commands.values() if isinstance(c, click.Group)]:
        commands.update({f"{group.name} {n}": c for n, c in group.commands.items()})
    for name, command in commands.items():
        assert command.help and command.help.strip(), name
        for param in command.params:
            if isinstance(param, click.Option):
                assert param.help, f"{name} {param.opts}"
