"""A case's documents matched to the form library, each with its effective date.

Most papers carry the date the case file gives. Two are derived and never
typed twice: the 登记表 takes the 用电申请书's date (R4) and the 设计委托书 the
申请日期 of the first 供电方案答复单 (R5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from paperwork.case.model import Case, Document, load_case
from paperwork.errors import CaseError, ConfigError
from paperwork.finding import Finding
from paperwork.rules.bureau import Bureau, load_bureau
from paperwork.rules.forms import Form

__all__ = ["Paper", "Resolved", "resolve", "resolve_file"]


@dataclass(frozen=True)
class Paper:
    """One document of the case, its form (None if unknown) and effective date."""

    index: int
    document: Document
    form: Form | None
    date: date | None
    round: int

    @property
    def implicit(self) -> bool:
        """A generated paper with a derived date that the case file does not list."""
        return self.index < 0

    @property
    def path(self) -> str:
        return "documents" if self.implicit else f"documents[{self.index}]"

    @property
    def title(self) -> str:
        return self.form.title if self.form else self.document.title


@dataclass(frozen=True)
class Resolved:
    """A case with its bureau data and its papers resolved, computed once."""

    case: Case
    bureau: Bureau
    papers: tuple[Paper, ...]

    def of(self, name: str) -> tuple[Paper, ...]:
        """The papers of a form (by key, title or alias), in round and date order."""
        form = self.bureau.form_by_key(name)
        found = [p for p in self.papers if form is not None and p.form is form]
        return tuple(sorted(found, key=_paper_order))

    def applies(self, form: Form) -> bool:
        """Whether the paper belongs to this case at all."""
        return form.applies(self.case.kind, self.case.has_large_equipment)

    def needs(self, form: Form) -> bool:
        """Whether the case is incomplete without this paper."""
        return form.needed(self.case.kind, self.case.has_large_equipment)


def _paper_order(paper: Paper) -> tuple[int, date, int]:
    return (paper.round, paper.date or date.max, paper.index)


def first_reply(papers: list[Paper]) -> Paper | None:
    """The first 供电方案答复单: earliest reply date, then earliest 申请日期."""
    replies = [p for p in papers if p.form is not None and p.form.reply]
    if not replies:
        return None
    return min(
        replies,
        key=lambda p: (p.date or date.max, p.document.application_date or date.max, p.index),
    )


def _derived(form: Form, papers: list[Paper], bureau: Bureau) -> date | None:
    """The date ``form`` takes by its rule in the bureau data, None when the basis is missing."""
    rule = bureau.derived_rule(form)
    if rule is None:
        return None
    sources = [p for p in papers if p.form is not None and p.form.key == rule.source and p.index >= 0]
    if rule.pick == "first_reply":
        chosen = first_reply(sources)
    else:
        chosen = min(
            (p for p in sources if getattr(p.document, rule.field)), key=lambda p: p.index, default=None
        )
    value = getattr(chosen.document, rule.field) if chosen is not None else None
    return value if isinstance(value, date) else None


def _rounds(papers: list[Paper]) -> list[Paper]:
    """Review papers without ``round:`` take their round from date order among their form's papers.

    The k-th dated 图纸审核登记表 is round k (the rounds a case states are kept; the others fill
    the remaining numbers in date order).
    """
    out = list(papers)
    by_form: dict[str, list[int]] = {}
    for n, p in enumerate(papers):
        if p.form is not None and p.form.count == "per_round":
            by_form.setdefault(p.form.key, []).append(n)
    for members in by_form.values():
        stated = {papers[n].document.round for n in members if papers[n].document.round}
        free = iter(k for k in range(1, len(members) + len(stated) + 1) if k not in stated)
        unstated = [n for n in members if not papers[n].document.round]
        for n in sorted(unstated, key=lambda n: (papers[n].date or date.max, papers[n].index)):
            p = papers[n]
            out[n] = Paper(p.index, p.document, p.form, p.date, next(free))
    return out


def resolve(case: Case, bureau: Bureau | None = None) -> Resolved:
    """Match every document to its form and compute derived dates (R4, R5).

    ``bureau`` defaults to the shipped data with the case's own ``bureau`` file
    applied, if it names one.
    """
    if bureau is None:
        overrides = [case.folder / case.bureau] if case.bureau else []
        bureau = load_bureau(*overrides)
    papers = _rounds(
        [
            Paper(i, doc, bureau.form(doc.title), doc.date, doc.round or 1)
            for i, doc in enumerate(case.documents)
        ]
    )
    listed = {p.form.title for p in papers if p.form is not None}
    for form in bureau.forms:
        implicit = form.derived and form.generated and form.title not in listed
        if implicit and form.applies(case.kind, case.has_large_equipment):
            papers.append(Paper(-1, Document(title=form.title), form, None, 1))
    final = []
    for paper in papers:
        if paper.form is not None and paper.form.derived:
            derived = _derived(paper.form, papers, bureau)
            paper = Paper(paper.index, paper.document, paper.form, derived or paper.date, paper.round)
        final.append(paper)
    return Resolved(case, bureau, tuple(final))


def resolve_file(path: str | Path, bureau_file: str | Path | None = None) -> Resolved:
    """Read a case file and resolve it against the shipped data, its own ``bureau`` file and
    ``bureau_file``; a broken bureau file is a finding of the case (CONFIG_INVALID), with its line."""
    case = load_case(path)
    overrides = [case.folder / case.bureau] if case.bureau else []
    overrides += [Path(bureau_file)] if bureau_file else []
    try:
        bureau = load_bureau(*overrides)
    except ConfigError as exc:
        where = case.line("bureau")
        finding = Finding("CONFIG_INVALID", "error", str(exc), path="bureau", line=where, source=case.source)
        raise CaseError(case.source, (finding,)) from None
    return resolve(case, bureau)
