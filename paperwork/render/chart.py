"""The timeline as a picture: one bar per step, the limit marked, overdue in red."""

from __future__ import annotations

from pathlib import Path

from paperwork.errors import PaperworkError
from paperwork.render.fonts import cjk_font_file
from paperwork.rules.timeline import Timeline

__all__ = ["CHART_HINT", "ChartUnavailable", "timeline_chart"]

CHART_HINT = "pip install 'hv-paperwork[chart]'（或 pip install matplotlib）"


class ChartUnavailable(PaperworkError):
    """matplotlib, which only the timeline chart needs, is not installed."""


def timeline_chart(line: Timeline, title: str, out: Path) -> Path:
    """Draw the case's steps as horizontal bars in calendar time and save a PNG."""
    try:
        import matplotlib
    except ImportError:
        raise ChartUnavailable(f"画时间线图需要 matplotlib，它没有安装；请安装：{CHART_HINT}") from None

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    font = cjk_font_file().path
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
