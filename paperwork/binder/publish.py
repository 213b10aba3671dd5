"""Publishing a build into OUT: the previous complete set, or the new complete set — never a mix.

The new outputs are staged in full first. Then the old ones are moved aside into
``OUT/.paperwork/previous/`` and the new ones moved in, each a rename on the same
disk. If any step fails (a file another program holds, an immutable file, a full
disk), the steps done are undone and OUT holds the old set as it was. A journal
(``OUT/.paperwork/swap.json``) is written before the swap and removed after it, so
that a swap cut short (power, kill -9) is undone by the next build into OUT.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path

from paperwork.errors import PublishError

__all__ = ["PublishError", "publish", "recover"]

_STATE = Path(".paperwork")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def recover(out: Path) -> None:
    """Undo a swap that was cut short, so that OUT holds its previous complete set again."""
    journal = out / _STATE / "swap.json"
    if not journal.is_file():
        return
    backup = out / _STATE / "previous"
    try:
        data = json.loads(journal.read_text(encoding="utf-8"))
        names, had = list(data["names"]), set(data["had"])
    except (OSError, ValueError, KeyError, TypeError):
        return
    for name in names:
        target = out / name
        if (target.exists() or target.is_symlink()) and (name not in had or (backup / name).exists()):
            _remove(target)  # a new output of the interrupted build
        if name in had and (backup / name).exists():
            os.replace(backup / name, target)
    journal.unlink(missing_ok=True)
    shutil.rmtree(backup, ignore_errors=True)


def publish(stage: Path, out: Path, names: list[str]) -> None:
    """Swap the staged ``names`` into OUT as one step; PublishError (old set whole) if it cannot.

    Two builds into the same OUT at once take turns (a lock in ``OUT/.paperwork``): the later
    one's set wins whole.
    """
    from filelock import FileLock, Timeout

    (out / _STATE).mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(out / _STATE / "publish.lock"), timeout=120):
            _swap(stage, out, names)
    except Timeout:
        raise PublishError(f"另一个装订正在写入 {out}，等了 2 分钟仍未结束；请稍后重试") from None


def _swap(stage: Path, out: Path, names: list[str]) -> None:
    recover(out)
    state = out / _STATE
    backup = state / "previous"
    shutil.rmtree(backup, ignore_errors=True)
    backup.mkdir(parents=True, exist_ok=True)
    had = [n for n in names if (out / n).exists() or (out / n).is_symlink()]
    journal = state / "swap.json"
    journal.write_text(json.dumps({"names": names, "had": had}, ensure_ascii=False), encoding="utf-8")
    aside: list[str] = []
    placed: list[str] = []
    try:
        for name in had:
            os.replace(out / name, backup / name)
            aside.append(name)
        for name in names:
            os.replace(stage / name, out / name)
            placed.append(name)
    except OSError as exc:
        for name in reversed(placed):
            with contextlib.suppress(OSError):
                os.replace(out / name, stage / name)
        for name in reversed(aside):
            with contextlib.suppress(OSError):
                os.replace(backup / name, out / name)
        journal.unlink(missing_ok=True)
        shutil.rmtree(backup, ignore_errors=True)
        where = exc.filename or out
        raise PublishError(
            f"无法替换 {where}（{exc.strerror or exc}）：新的案卷没有放进 {out}，上一次装订的结果原样保留；"
            "请关闭打开这些文件的程序、检查文件权限或磁盘空间后重试"
        ) from None
    journal.unlink(missing_ok=True)
    shutil.rmtree(backup, ignore_errors=True)
