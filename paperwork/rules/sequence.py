"""The process order and the drawing-review rounds (R6): the checks on when papers come."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date

from paperwork.finding import Finding
from paperwork.rules.emit import Checking, Emit
from paperwork.rules.resolution import Paper, Resolved

__all__ = ["check_order", "check_review_rounds"]


def _named(r: Resolved, p: Paper) -> str:
    """A paper's title, with its round where the case has several review rounds."""
    if p.form is not None and p.form.count == "per_round":
        return f"{p.title}（第{p.round}轮）"
    return p.title


def check_order(r: Resolved, emit: Emit, at: Checking) -> Iterator[Finding]:
    """The process order, as the bureau's data states it."""
    seen: Counter[tuple[str, int]] = Counter(
        (p.form.key, p.round) for p in r.papers if p.form is not None and p.form.count == "per_round"
    )
    doubled = {key for key, n in seen.items() if n > 1}  # R6 reports these; no second finding
    for rule in r.bureau.order:
        firsts = [p for t in rule.first for p in r.of(t) if p.date]
        thens = [p for t in rule.then for p in r.of(t) if p.date]
        for later in thens:
            for earlier in firsts:
                if rule.same_round and (
                    earlier.round != later.round
                    or any(p.form is not None and (p.form.key, p.round) in doubled for p in (earlier, later))
                ):
                    continue
                if earlier.date and later.date and later.date < earlier.date:
                    yield emit(
                        "error",
                        "ORDER_VIOLATED",
                        f"{_named(r, later)}（{later.date.isoformat()}）早于{_named(r, earlier)}"
                        f"（{earlier.date.isoformat()}）；{rule.why}，请核对这两份资料的日期",
                        f"{later.path}.date",
                    )
                    break


def check_review_rounds(r: Resolved, emit: Emit, at: Checking) -> Iterator[Finding]:
    """R6: N review rounds mean N 登记表 and N 结果通知单, round k before k+1."""
    forms = [f for f in r.bureau.forms if f.count == "per_round"]
    by_round: dict[int, list[Paper]] = defaultdict(list)
    for form in forms:
        for p in r.of(form.title):
            by_round[p.round].append(p)
    stated = r.case.review_rounds
    rounds = max([*by_round, stated or 0], default=0)
    if stated is not None and by_round and max(by_round) != stated:
        yield emit(
            "error",
            "REVIEW_ROUND_INCOMPLETE",
            f"案卷写明图纸审核 {stated} 轮，资料中却有第 {max(by_round)} 轮；"
            f"{stated} 轮应有 {stated} 张登记表和 {stated} 张结果通知单，"
            "请核对“图纸审核轮数”或各资料的“图纸审核第几轮”",
            "review_rounds",
            "R6",
        )
    for k in range(1, rounds + 1):
        for form in forms:
            got = [p for p in by_round.get(k, []) if p.form is form]
            # the last round's paper of a step the case has not passed yet is still to come
            waiting = k == rounds and not r.passed(form)
            if not got and not (waiting and not r.of(form.title)):  # none at all: PAPER_MISSING says so
                yield emit(
                    "todo" if waiting else "error",
                    "REVIEW_ROUND_INCOMPLETE",
                    f"第 {k} 轮图纸审核缺少{form.title}；{rounds} 轮审核应有 {rounds} 张{form.title}"
                    f"（R6），请补上第 {k} 轮的这份资料（“图纸审核第几轮”填 {k}）",
                    "documents",
                    "R6",
                )
            for extra in got[1:]:
                yield emit(
                    "error",
                    "REVIEW_ROUND_DUPLICATE",
                    f"第 {k} 轮图纸审核有不止一张{form.title}；每轮只应有一张（R6），"
                    "请改正其“图纸审核第几轮”",
                    f"{extra.path}.round",
                    "R6",
                )
    for k in range(1, rounds):
        now = [p for p in by_round.get(k, []) if p.date]
        nxt = [p for p in by_round.get(k + 1, []) if p.date]
        if now and nxt:
            last = max(now, key=lambda p: p.date or date.min)
            for p in nxt:
                if p.date and last.date and p.date < last.date:
                    yield emit(
                        "error",
                        "REVIEW_ROUND_ORDER",
                        f"第 {k + 1} 轮的{p.title}（{p.date.isoformat()}）早于第 {k} 轮的"
                        f"{last.title}（{last.date.isoformat()}）；"
                        f"第 {k} 轮应在第 {k + 1} 轮之前，请核对日期或轮次",
                        f"{p.path}.date",
                    )
