"""Every date the rules derive for a case (R1–R5), with the rule that makes it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from paperwork.rules.catalog import catalogs
from paperwork.rules.resolution import Resolved

__all__ = ["DerivedDate", "derived_dates"]


@dataclass(frozen=True)
class DerivedDate:
    """A date computed by a rule; ``date`` is None when its basis is missing."""

    rule: str
    what: str
    date: date | None
    basis: str

    def to_dict(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "what": self.what,
            "date": self.date.isoformat() if self.date else None,
            "basis": self.basis,
        }


def derived_dates(resolved: Resolved) -> tuple[DerivedDate, ...]:
    """Cover, 备考表 and paper dates the rules dictate, in rule order."""
    out: list[DerivedDate] = []
    for cat in catalogs(resolved):
        spec = cat.spec
        start_basis = "报装日期" if spec.date_start == "application" else "目录中最早的日期"
        out.append(DerivedDate(spec.cover_rule, f"{spec.title}封面起日期", cat.start, start_basis))
        out.append(DerivedDate(spec.cover_rule, f"{spec.title}封面止日期", cat.end, "目录中最晚的日期"))
        if spec.note_rule:
            out.append(
                DerivedDate(
                    spec.note_rule, f"{spec.title}备考表日期", cat.note_date, f"{spec.note_date}的日期"
                )
            )
    seen: set[str] = set()
    for paper in resolved.papers:
        form = paper.form
        if form is None or not form.derived or form.title in seen:
            continue
        seen.add(form.title)
        rule = resolved.bureau.derived_rule(form)
        basis = rule.basis if rule else ""
        out.append(DerivedDate(form.derived, f"{form.title}日期", paper.date, basis))
    return tuple(sorted(out, key=lambda d: d.rule))
