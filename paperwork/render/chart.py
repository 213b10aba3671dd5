"""The timeline as a picture: one bar per step, the limit marked, overdue in red."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

from paperwork.binder.libreoffice import INSTALL_HINT
from paperwork.errors import ConversionError
from paperwork.rules.timeline import Timeline

__all__ = ["cjk_font_file", "timeline_chart"]


@cache
def cjk_font_file() -> Path:
    """A font file that covers Chinese (Noto Sans CJK SC preferred), or ConversionError."""
    if shutil.which("fc-match"):
        for family in ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Zen Hei"):
            out = subprocess.run(
                ["fc-match", "-f", "%{file}\n%{lang}", f"{family}:lang=zh-cn"], capture_output=True, text=True
            )
            lines = out.stdout.splitlines()
            if out.returncode == 0 and lines and "zh-cn" in out.stdout and Path(lines[0]).is_file():
                return Path(lines[0])
    raise ConversionError(f"没有可用的中文字体，图表里的中文会印成方框；请安装：{INSTALL_HINT}")


def timeline_chart(line: Timeline, title: str, out: Path) -> Path:
    """Draw the case's steps as horizontal bars in calendar time and save a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    font = cjk_font_file()
    font_manager.fontManager.addfont(str(font))
    family = font_manager.FontProperties(fname=str(font)).get_name()
    plt.rcParams["font.family"] = family
    plt.rcParams["axes.unicode_minus"] = False

    steps = list(line.steps)
    fig, ax = plt.subplots(figsize=(10, 0.7 * len(steps) + 2), dpi=110)
    for y, step in enumerate(steps):
        if step.start is None:
            ax.text(0.01, y, "未开始", transform=ax.get_yaxis_transform(), va="center", color="#888888")
            continue
        end = step.end or line.today
        colour = "#d62728" if step.overdue else ("#1f77b4" if step.end is None else "#2ca02c")
        width = max((end - step.start).days, 1)
        ax.barh(y, width, left=mdates.date2num(step.start), height=0.5, color=colour, alpha=0.85)
        if step.due:
            due = mdates.date2num(step.due)
            ax.plot([due, due], [y - 0.38, y + 0.38], color="black", linewidth=2)
        state = "超期" if step.overdue else ("进行中" if step.end is None else "按时")
        label = f"{step.working_days}/{step.limit} 个工作日 {state}"
        at = max(end, step.due) if step.due else end
        ax.text(mdates.date2num(at) + 2, y, label, va="center", fontsize=9)
    ax.set_yticks(range(len(steps)), [s.step for s in steps])
    ax.invert_yaxis()
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    fig.autofmt_xdate()
    ax.set_title(f"{title}（{line.regime.name}，黑线为时限截止日，红色为超期）")
    ax.grid(axis="x", alpha=0.3)
    left, right = ax.get_xlim()
    ax.set_xlim(left, right + (right - left) * 0.25)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.part")
    fig.savefig(str(tmp), format="png")
    plt.close(fig)
    tmp.replace(out)  # a failed drawing never leaves half a picture
    return out
