"""The ``serve`` command: the clerks' web pages and the HTTP API for a workspace."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from paperwork.cli.common import cli, day_of, style
from paperwork.cli.queue import queue_options


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
    "--tls-cert",
    type=click.Path(exists=True, dir_okay=False),
    help="TLS 证书文件（PEM）：与 --tls-key 一起给出时用 HTTPS 服务，密码不以明文经过网络。",
)
@click.option("--tls-key", type=click.Path(exists=True, dir_okay=False), help="TLS 私钥文件（PEM）。")
@click.option(
    "--session-hours",
    default=12.0,
    show_default=True,
    type=click.FloatRange(0.01, 24 * 30),
    help="登录多久后失效（小时）。",
)
@click.option(
    "--today",
    type=click.DateTime(["%Y-%m-%d"]),
    help="按这一天检查和计算时限（默认每次请求时的今天；演示和测试用）。",
)
@queue_options
def serve_cmd(
    workspace: str,
    host: str,
    port: int,
    token: str | None,
    max_upload: int,
    no_cache: bool,
    allowed_hosts: tuple[str, ...],
    tls_cert: str | None,
    tls_key: str | None,
    session_hours: float,
    today: Any,
    queue: str | None,
    wait: float,
) -> None:
    """网页服务：客服用浏览器管理案卷（工作区 = 一个文件夹，每个案卷一个子文件夹），脚本用 HTTP API。"""
    from paperwork.binder.libreoffice import user_cache_dir
    from paperwork.cli.environment import cache_folder, office_settings
    from paperwork.errors import PaperworkError
    from paperwork.serve.accounts import Accounts
    from paperwork.serve.app import make_server, serve, start_office
    from paperwork.serve.overview import ServerSettings
    from paperwork.serve.security import is_loopback
    from paperwork.serve.store import Store

    token = (token or "").strip() or None
    tls = _tls(tls_cert, tls_key)
    with_users = Accounts(Store(Path(workspace).resolve())).any()
    if not is_loopback(host) and token is None and not with_users:
        raise click.UsageError(
            f"--host {host} 会让其他电脑访问这台服务器，必须先设登录：给每位客服建用户"
            "（paperwork users add 名字 --workspace 工作区），"
            "或设口令 --token 口令 / 环境变量 PAPERWORK_TOKEN"
        )
    if host != "127.0.0.1" and tls is None:
        click.echo(
            style(
                f"警告：--host {host} 没有 TLS：密码、口令和案卷会以明文经过网络。"
                "请用 --tls-cert 证书 --tls-key 私钥 启动 HTTPS（见 README）。",
                fg="yellow",
            ),
            err=True,
        )
    if with_users and token:
        click.echo("注意：工作区已有用户，--token 不再适用；请用 paperwork users token 名字 给脚本发口令。")
    cache = None if no_cache else cache_folder()
    waiting = None
    if queue is not None:  # builds and OCR on the queue's workers; Redis unreachable: exit 2 now
        from paperwork.cli.queue import queue_settings
        from paperwork.dispatch.broker import check_broker
        from paperwork.dispatch.client import Waiting

        settings = queue_settings(queue)
        check_broker(settings.broker)
        waiting = Waiting(settings, wait)
    server = make_server(
        Path(workspace),
        token=token,
        cache=cache,
        ocr_cache=None if no_cache else user_cache_dir() / "ocr",
        office=office_settings(),
        max_upload=max_upload * 1024 * 1024,
        settings=ServerSettings(today=day_of(today) if today else None),
        allowed_hosts=(host, *allowed_hosts),
        session_seconds=int(session_hours * 3600),
        queue=waiting,
    )

    def indexed(done: int, total: int) -> None:
        click.echo(f"正在建立案卷索引：{done}/{total}", err=True)

    checked = server.index.refresh(indexed)
    if checked:
        click.echo(f"案卷索引已更新：重新检查了 {checked} 个案卷")
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
    if waiting is not None:
        from paperwork.dispatch.broker import address_of

        click.echo(f"装订和识别交给队列（{address_of(waiting.queue.broker)}）上的 paperwork worker")
    else:
        click.echo("正在启动 LibreOffice…")
        try:
            start_office(server)
        except PaperworkError as exc:  # the pages and the checks work without it; only builds need it
            click.echo(style(f"注意：{exc}。装订会失败，其余功能照常可用。", fg="yellow"))

    def ready(address: str) -> None:
        click.echo(style(f"已启动：{address}  （按 Ctrl-C 停止）", fg="green"))
        if with_users:
            click.echo("工作区有用户：每位客服用自己的用户名和密码登录，修改都记在修改记录里。")
        elif token:
            click.echo("已设口令：浏览器会先显示登录页。")

    serve(server, host, port, ready=ready, tls=tls)


def _tls(cert: str | None, key: str | None) -> tuple[str, str] | None:
    """The certificate and key to serve HTTPS with, checked to load (a usage error when not)."""
    import ssl

    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise click.UsageError("--tls-cert 和 --tls-key 要一起给出")
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        raise click.UsageError(
            f"TLS 证书 {cert} 或私钥 {key} 无法使用（{exc.strerror or exc}）；"
            "请给 PEM 格式、相互匹配、没有密码的证书和私钥"
        ) from None
    return cert, key
