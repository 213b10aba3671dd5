"""The ``users`` commands: the clerks' accounts of a workspace (add, list, remove, passwd, token)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from paperwork.cli.common import Guarded, cli, style

if TYPE_CHECKING:
    from paperwork.serve.accounts import Accounts

__all__ = ["users"]

_WORKSPACE = click.option(
    "--workspace",
    default=".",
    show_default=True,
    type=click.Path(exists=True, file_okay=False),
    help="工作区（paperwork serve 的文件夹）；用户存在其中的 .paperwork/ 里。",
)
_STDIN = click.option("--password-stdin", is_flag=True, help="从标准输入读密码（一行；给脚本用），不提示。")


def _accounts(workspace: str) -> Accounts:
    from paperwork.serve.accounts import Accounts
    from paperwork.serve.store import Store

    return Accounts(Store(Path(workspace).resolve()))


def _password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    first: str = click.prompt("密码", hide_input=True)
    again: str = click.prompt("再输一遍", hide_input=True)
    if first != again:
        raise click.UsageError("两次输入的密码不一样")
    return first


def _warn_if_short(password: str) -> None:
    from paperwork.serve.accounts import GOOD_PASSWORD, is_short

    if is_short(password):
        message = (
            f"注意：密码少于 {GOOD_PASSWORD} 个字符，容易被猜中；建议换一个更长的（paperwork users passwd）"
        )
        click.echo(style(message, fg="yellow"), err=True)


@cli.group("users", cls=Guarded)
def users() -> None:
    """用户：每位客服一个登录名和密码（工作区有用户后，网页和 API 都要登录）。"""


@users.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="管理员：可以在网页上管理用户。")
@click.option("--display", help="显示名：印在备考表的立卷人、检查人上（默认同用户名）。")
@_STDIN
@_WORKSPACE
def add(name: str, admin: bool, display: str | None, password_stdin: bool, workspace: str) -> None:
    """添加用户 NAME。"""
    accounts = _accounts(workspace)
    password = _password(password_stdin)
    user = accounts.add(name, password, display=display, admin=admin)
    _warn_if_short(password)
    role = "管理员" if user.admin else "客服"
    click.echo(style(f"已添加{role} {user.name}（显示名 {user.display}）", fg="green"))
    if len(accounts.users()) == 1:
        click.echo("这是工作区的第一个用户：从现在起网页和 API 都要登录（--token 不再适用）。")


@users.command("list")
@_WORKSPACE
def list_users(workspace: str) -> None:
    """列出用户。"""
    accounts = _accounts(workspace)
    found = accounts.users()
    if not found:
        click.echo("工作区还没有用户（网页不要求登录，或用 --token）。")
        return
    for user in found:
        role = "管理员" if user.admin else "客服"
        click.echo(f"{user.name}\t{user.display}\t{role}\t脚本口令 {user.tokens} 个")


@users.command("remove")
@click.argument("name")
@_WORKSPACE
def remove(name: str, workspace: str) -> None:
    """删除用户 NAME：其登录和脚本口令立即失效（修改记录里仍保留其名字）。"""
    accounts = _accounts(workspace)
    accounts.remove(name)
    click.echo(style(f"已删除用户 {name}", fg="green"))


@users.command("passwd")
@click.argument("name")
@_STDIN
@_WORKSPACE
def passwd(name: str, password_stdin: bool, workspace: str) -> None:
    """给 NAME 设新密码（其已登录的浏览器需要重新登录）。"""
    accounts = _accounts(workspace)
    if accounts.user(name) is None:
        from paperwork.errors import AccountError

        raise AccountError(f"没有用户 {name}", "unknown")
    password = _password(password_stdin)
    accounts.passwd(name, password)
    _warn_if_short(password)
    click.echo(style(f"已为 {name} 设置新密码", fg="green"))


@users.command("token")
@click.argument("name")
@click.option("--revoke", is_flag=True, help="作废 NAME 的全部脚本口令（不发新的）。")
@_WORKSPACE
def token(name: str, revoke: bool, workspace: str) -> None:
    """给 NAME 发一个新的脚本口令（只显示这一次；旧的仍有效，直到 --revoke）。"""
    accounts = _accounts(workspace)
    if revoke:
        count = accounts.revoke_tokens(name)
        click.echo(style(f"已作废 {name} 的 {count} 个脚本口令", fg="green"), err=True)
        return
    click.echo(accounts.new_token(name))
    click.echo("请妥善保存：口令只显示这一次。脚本用 Authorization: Bearer <口令>", err=True)
