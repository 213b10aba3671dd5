"""What to bring to each step and what comes back, marked for one case."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from paperwork.rules.resolution import Resolved

__all__ = ["ITEM_STATUS_NAMES", "ChecklistItem", "StepList", "checklist", "next_step"]

ItemStatus = Literal["present", "missing", "optional", "not_applicable", "untracked"]

ITEM_STATUS_NAMES: dict[str, str] = {
    "present": "已有",
    "missing": "缺",
    "optional": "选填",
    "not_applicable": "不需要",
    "untracked": "自备",
}


@dataclass(frozen=True)
class ChecklistItem:
    """One thing to bring or to get back; ``untracked`` when not in the form library."""

    name: str
    status: ItemStatus

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status}


@dataclass(frozen=True)
class StepList:
    """A step of the contractor's path with its items marked for this case."""

    name: str
    bring: tuple[ChecklistItem, ...]
    returns: tuple[ChecklistItem, ...]

    def lines(self) -> tuple[tuple[str, str, ItemStatus], ...]:
        """What the clerk is told for this step, as (verb, what, status): ``("需带", "供电方案答复单（已有）",
        "present")``, ``("待取回", "审图通知单", "missing")`` — one wording for the CLI and the page."""
        bring = [
            ("需带", f"{i.name}（{ITEM_STATUS_NAMES[i.status]}）", i.status)
            for i in self.bring
            if i.status != "not_applicable"
        ]
        back = [("待取回", i.name, i.status) for i in self.returns if i.status == "missing"]
        return (*bring, *back)

    @property
    def done(self) -> bool:
        """Every paper this step needs — to bring and to get back — is in the case."""
        return all(i.status != "missing" for i in (*self.bring, *self.returns))

    def to_dict(self) -> dict[str, object]:
        return {
            "step": self.name,
            "done": self.done,
            "bring": [i.to_dict() for i in self.bring],
            "returns": [i.to_dict() for i in self.returns],
        }


def _item(resolved: Resolved, name: str) -> ChecklistItem:
    form = resolved.bureau.form(name)
    if form is None:
        return ChecklistItem(name, "untracked")
    if not resolved.applies(form):
        return ChecklistItem(name, "not_applicable")
    if resolved.of(form.title):
        return ChecklistItem(name, "present")
    return ChecklistItem(name, "missing" if resolved.needs(form) else "optional")


def checklist(resolved: Resolved, step: str | None = None) -> tuple[StepList, ...]:
    """Every step that applies to the case (or just ``step``), items marked."""
    out = []
    for s in resolved.bureau.steps:
        if s.when and resolved.case.kind not in s.when:
            continue
        if step is not None and s.name != step:
            continue
        bring = tuple(_item(resolved, n) for n in s.bring)
        returns = tuple(_item(resolved, n) for n in s.returns)
        out.append(StepList(s.name, bring, returns))
    return tuple(out)


def next_step(resolved: Resolved) -> StepList | None:
    """The first step whose papers have not all come back, or None when all have."""
    for s in checklist(resolved):
        if not s.done:
            return s
    return None
