"""The ``serve`` command: the clerks' web pages and the HTTP API for a workspace."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from paperwork.cli.common import cli, day_of, style


@cli.command("serve")
@click.argument("workspace", required=False, default=".", type=click.Path(exists=True, file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="监听的地址；不是本机地址时必须设口令。")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="端口。")
@click.option(
    "--token",
    envvar="PAPERWORK_TOKEN",
    help="口令（也可用环境变量 PAPERWORK_TOKEN）：浏览器在登录页输入，脚本用 Authorization: Bearer。",
)
@click.option(
    "--max-upload",
    default=50,
    show_default=True,
    type=click.IntRange(1, 2000),
    help="上传文件的大小上限（MB）。",
)
@click.option("--no-cache", is_flag=True, help="不用转换缓存：每次装订都重新填写、转换全部表单。")
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="浏览器用来访问的主机名（可多次给出；IP 地址和 localhost 总是可以）。"
    "其他名字一律拒绝，防 DNS 重绑定。",
)
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    help="按这一天检查和计算时限（默认每次请求时的今天；演示和测试用）。",
)
def serve_cmd(
    workspace: str,
    host: str,
    port: int,
    token: str | None,
    max_upload: int,
    no_cache: bool,
    allowed_hosts: tuple[str, ...],
    today: Any,
) -> None:
    """网页服务：客服用浏览器管理案卷（工作区 = 一个文件夹，每个案卷一个子文件夹），脚本用 HTTP API。"""
    from paperwork.binder.libreoffice import user_cache_dir
    from paperwork.cli.environment import cache_folder, office_settings
    from paperwork.errors import PaperworkError
    from paperwork.serve.app import make_server, serve, start_office
    from paperwork.serve.overview import ServerSettings
    from paperwork.serve.security import is_loopback

    token = (token or "").strip() or None
    if not is_loopback(host) and token is None:
        raise click.UsageError(
            f"--host {host} 会让其他电脑访问这台服务器，必须同时设口令："
            "--token 口令 或环境变量 PAPERWORK_TOKEN"
        )
    cache = None if no_cache else cache_folder()
    server = make_server(
        Path(workspace),
        token=token,
        cache=cache,
        ocr_cache=None if no_cache else user_cache_dir() / "ocr",
        office=office_settings(),
        max_upload=max_upload * 1024 * 1024,
        settings=ServerSettings(today=day_of(today) if today else None),
        allowed_hosts=(host, *allowed_hosts),
    )
    office = getattr(server.converter, "mode", "cold")
    click.echo(f"工作区：{os.path.abspath(workspace)}（{len(server.workspace.cases())} 个案卷）")
    if office == "cold":
        click.echo(
            style(
                "注意：找不到带 uno 模块的 Python（Debian：apt install python3-uno），"
                "每次装订都会重新启动 LibreOffice。",
                fg="yellow",
            )
        )
    click.echo("正在启动 LibreOffice…")
    try:
        start_office(server)
    except PaperworkError as exc:  # the pages and the checks work without it; only builds need it
        click.echo(style(f"注意：{exc}。装订会失败，其余功能照常可用。", fg="yellow"))

    def ready(address: str) -> None:
        click.echo(style(f"已启动：{address}  （按 Ctrl-C 停止）", fg="green"))
        if token:
            click.echo("已设口令：浏览器会先显示登录页。")

    serve(server, host, port, ready=ready)
