"""The timeline as a picture: one bar per step, the limit marked, overdue in red."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from paperwork.errors import ChartUnavailable
from paperwork.files import atomic_path
from paperwork.render.fonts import cjk_font_file
from paperwork.rules.timeline import Timeline

__all__ = ["CHART_HINT", "ChartUnavailable", "timeline_chart"]

CHART_HINT = "pip install 'hv-paperwork[chart]'（或 pip install matplotlib）"


def timeline_chart(line: Timeline, title: str, out: Path) -> Path:
    """Draw the case's steps as horizontal bars in calendar time and save a PNG.

    Drawn on a Figure of its own (no pyplot, no backend switch) with the Chinese font set for
    this figure only: nothing of matplotlib's process-wide settings changes.
    """
    try:
        import matplotlib
    except ImportError:
        raise ChartUnavailable(f"画时间线图需要 matplotlib，它没有安装；请安装：{CHART_HINT}") from None

    from matplotlib.figure import Figure

    font = cjk_font_file().path
    with matplotlib.rc_context({"axes.unicode_minus": False}):
        return _draw(Figure(figsize=(10, 0.7 * len(line.steps) + 2), dpi=110), line, title, font, out)


def _draw(fig: Any, line: Timeline, title: str, font: Path, out: Path) -> Path:
    import matplotlib.dates as mdates
    from matplotlib.font_manager import FontProperties

    chinese = FontProperties(fname=str(font))
    steps = list(line.steps)
    ax = fig.subplots()
    for y, step in enumerate(steps):
        if step.start is None:
            ax.text(
                0.01,
                y,
                "未开始",
                transform=ax.get_yaxis_transform(),
                va="center",
                color="#888888",
                fontproperties=chinese,
            )
            continue
        end = step.end or line.today
        colour = "#d62728" if step.overdue else ("#1f77b4" if step.end is None else "#2ca02c")
        width = max((end - step.start).days, 1)
        ax.barh(y, width, left=mdates.date2num(step.start), height=0.5, color=colour, alpha=0.85)
        if step.due:
            due = mdates.date2num(step.due)
            ax.plot([due, due], [y - 0.38, y + 0.38], color="black", linewidth=2)
        label = f"{step.figure} {step.state}"
        at = max(end, step.due) if step.due else end
        ax.text(mdates.date2num(at) + 2, y, label, va="center", fontsize=9, fontproperties=chinese)
    ax.set_yticks(range(len(steps)), [s.step for s in steps], fontproperties=chinese)
    ax.invert_yaxis()
    ax.xaxis_date()
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    fig.autofmt_xdate()
    ax.set_title(f"{title}（{line.regime.name}，黑线为时限截止日，红色为超期）", fontproperties=chinese)
    ax.grid(axis="x", alpha=0.3)
    left, right = ax.get_xlim()
    ax.set_xlim(left, right + (right - left) * 0.25)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:  # a failed drawing never leaves half a picture
        fig.savefig(str(tmp), format="png")
    return out
