"""Time limits as data (regimes) and a case's timeline against one of them.

Each step runs from a start event to an end event of the case; counting starts
the working day after the start. A step whose end has not happened is open: its
working days run up to today. A step whose start has not happened is not shown
as late — nothing is guessed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from paperwork.rules.datafile import read_data, shipped_text, user_text
from paperwork.rules.resolution import Resolved
from paperwork.rules.workdays import WorkCalendar

__all__ = [
    "DEFAULT_REGIME",
    "Limit",
    "Regime",
    "StepRule",
    "StepTime",
    "Timeline",
    "load_regimes",
    "regime_for",
    "timeline",
]

DEFAULT_REGIME = "供电监管办法"


@dataclass(frozen=True)
class Limit:
    """Working days allowed, for a single and a dual power source."""

    single: int
    dual: int


@dataclass(frozen=True)
class StepRule:
    """One timed step: from ``start`` to ``end`` (``application`` or a paper title)."""

    step: str
    start: str
    end: str
    limit: Limit
    per_round: bool = False
    article: str = ""
    scope: Literal["all", "important"] = "all"  # important: timed only for 重要电力用户


@dataclass(frozen=True)
class Regime:
    """A set of time limits (供电监管办法, 国家电网承诺, or a user's own)."""

    name: str
    steps: tuple[StepRule, ...]
    source: str = ""
    default_from: dt.date | None = None  # the default for cases applied for on or after this day


@dataclass(frozen=True)
class _File:
    regimes: tuple[Regime, ...]


#: How a step the regime does not time for this case is called (the 2024 rules time 设计文件审核 and
#: 中间检查 only for 重要电力用户).
UNTIMED = "只对重要电力用户规定时限"


@dataclass(frozen=True)
class StepTime:
    """A step of one case: its dates, the working days it took (or has taken), its limit."""

    step: str
    start: dt.date | None
    end: dt.date | None
    working_days: int | None
    limit: int
    due: dt.date | None
    article: str = ""
    #: False: the regime sets no limit for this case (a step it times only for 重要电力用户); the
    #: step is shown with its working days, never overdue, never due.
    timed: bool = True

    @property
    def open(self) -> bool:
        return self.start is not None and self.end is None

    @property
    def overdue(self) -> bool:
        return self.timed and self.working_days is not None and self.working_days > self.limit

    @property
    def state(self) -> str:
        """未开始, 超期, 进行中, 按时 or 已结束 (untimed): the one word every screen uses."""
        if self.start is None:
            return "未开始"
        if self.overdue:
            return "超期"
        if self.end is None:
            return "进行中"
        return "按时" if self.timed else "已结束"

    @property
    def remaining(self) -> int | None:
        """Working days left (negative: late by that many), None before the start or when untimed."""
        return None if self.working_days is None or not self.timed else self.limit - self.working_days

    @property
    def figure(self) -> str:
        """The working days as every screen prints them: ``30/10 个工作日``, or ``12 个工作日（不计时）``."""
        if self.working_days is None:
            return f"时限 {self.limit} 个工作日" if self.timed else "不计时"
        if not self.timed:
            return f"{self.working_days} 个工作日（不计时）"
        return f"{self.working_days}/{self.limit} 个工作日"

    def to_dict(self) -> dict[str, object]:
        return {
            "step": self.step,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "working_days": self.working_days,
            "limit": self.limit,
            "overdue": self.overdue,
            "remaining": self.remaining,
            "due": self.due.isoformat() if self.due else None,
            "article": self.article or None,
            "timed": self.timed,
        }


@dataclass(frozen=True)
class Timeline:
    """A case's steps under one regime, counted on one calendar up to ``today``."""

    regime: Regime
    steps: tuple[StepTime, ...]
    today: dt.date
    missing_years: tuple[int, ...]

    @property
    def overdue(self) -> tuple[StepTime, ...]:
        return tuple(s for s in self.steps if s.overdue)


def _normalise(data: object) -> object:
    """A limit may be one number for both source counts."""
    if isinstance(data, dict):
        for regime in data.get("regimes") or []:
            for step in regime.get("steps") or [] if isinstance(regime, dict) else []:
                if isinstance(step, dict) and not isinstance(step.get("limit"), dict):
                    step["limit"] = {"single": step.get("limit"), "dual": step.get("limit")}
    return data


def _read(text: str, source: str) -> tuple[Regime, ...]:
    return read_data(_File, text, source, "时限文件", _normalise)[0].regimes


def regimes_in(path: str | Path) -> tuple[Regime, ...]:
    """The regimes a user's file defines, in its order."""
    return _read(user_text(path, "时限文件"), str(path))


def load_regimes(*files: str | Path) -> dict[str, Regime]:
    """The shipped regimes, plus those of each user file (same name: replaced)."""
    regimes = {r.name: r for r in _read(*shipped_text("regimes.yaml"))}
    for file in files:
        regimes.update({r.name: r for r in regimes_in(file)})
    return regimes


def regime_for(applied: dt.date, regimes: dict[str, Regime] | None = None) -> Regime:
    """The regime a case applied for on ``applied`` is timed by when none is chosen: the one in
    force that day (the latest ``default_from`` not after it), else 供电监管办法."""
    regimes = regimes if regimes is not None else load_regimes()
    started = [r for r in regimes.values() if r.default_from is not None and r.default_from <= applied]
    if started:
        return max(started, key=lambda r: r.default_from or dt.date.min)
    return regimes[DEFAULT_REGIME]


def _event(resolved: Resolved, name: str, round_: int | None) -> dt.date | None:
    if name == "application":
        return resolved.case.application_date
    papers = [p for p in resolved.of(name) if p.date and (round_ is None or p.round == round_)]
    return min((p.date for p in papers if p.date), default=None)


def _rounds_of_step(resolved: Resolved, rule: StepRule) -> list[int]:
    rounds = {p.round for t in (rule.start, rule.end) if t != "application" for p in resolved.of(t)}
    return sorted(rounds) or [1]


def timeline(resolved: Resolved, regime: Regime | None, calendar: WorkCalendar, today: dt.date) -> Timeline:
    """Every step of the regime for this case, counted in working days (``regime`` None: the one
    in force on the case's 报装日期, :func:`regime_for`)."""
    regime = regime or regime_for(resolved.case.application_date)
    dual = resolved.case.power_sources == 2
    steps = []
    for rule in regime.steps:
        timed = rule.scope != "important" or resolved.case.customer.important is True
        limit = rule.limit.dual if dual else rule.limit.single
        rounds = _rounds_of_step(resolved, rule) if rule.per_round else [None]
        for round_ in rounds:
            name = rule.step if round_ is None else f"{rule.step}（第{round_}轮）"
            start = _event(resolved, rule.start, round_)
            end = _event(resolved, rule.end, round_)
            if start is None:
                steps.append(StepTime(name, None, end, None, limit, None, rule.article, timed))
                continue
            until = end if end is not None else today
            used = calendar.working_days(start, until)
            due = calendar.add_working_days(start, limit) if timed else None
            steps.append(StepTime(name, start, end, used, limit, due, rule.article, timed))
    dates = [d for s in steps for d in (s.start, s.end, s.due) if d]
    return Timeline(regime, tuple(steps), today, calendar.missing_years([*dates, today]))
