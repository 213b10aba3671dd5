"""A case's documents matched to the form library, each with its effective date.

Most papers carry the date the case file gives. Two are derived and never
typed twice: the 登记表 takes the 用电申请书's date (R4) and the 设计委托书 the
申请日期 of the first 供电方案答复单 (R5).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from paperwork.case.model import Case, Document, load_case
from paperwork.errors import CaseError, ConfigError
from paperwork.finding import Finding
from paperwork.rules.bureau import Bureau, load_bureau
from paperwork.rules.forms import Form

__all__ = ["Paper", "Resolved", "bureau_of", "number_rounds", "resolve", "resolve_case", "resolve_file"]


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

    @property
    def reached(self) -> int:
        """The index (in the bureau's steps) of the latest step the case has begun: the step of its
        latest paper. The customer's own papers (证照, 合格证: ``may_predate``) say nothing about it;
        -1 for a case with none."""
        order = {step.name: i for i, step in enumerate(self.bureau.steps)}
        begun = [
            order.get(p.form.step, -1)
            for p in self.papers
            if p.form and not (p.implicit or p.form.may_predate)
        ]
        return max(begun, default=-1)

    def passed(self, form: Form) -> bool:
        """Whether the case is past the step of ``form``: a later step has begun, or the last step
        (the case is complete). A step the bureau's steps do not list counts as passed."""
        names = [step.name for step in self.bureau.steps]
        if form.step not in names:
            return True
        reached = self.reached
        return reached == len(names) - 1 or names.index(form.step) < reached

    def requires(self, form: Form) -> bool:
        """Whether a binder holds a 待补 place for this paper when it is missing (a paper only to
        bring is filed when the case has it, and never waited for)."""
        return self.needs(form) and form.absence == "error"


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


def number_rounds(papers: Sequence[tuple[date | None, int | None]]) -> list[int]:
    """The review round of each paper of one per-round form, given as (date, stated round).

    The one rule for rounds, used by the case, the intake and the server: a stated round is
    kept; the others take the remaining numbers in date order (an undated paper last, ties in
    the order given). The k-th dated 图纸审核登记表 is round k.
    """
    rounds = [stated or 0 for _, stated in papers]
    stated = {r for r in rounds if r}
    free = iter(k for k in range(1, len(papers) + len(stated) + 1) if k not in stated)
    unstated = [n for n, r in enumerate(rounds) if not r]
    for n in sorted(unstated, key=lambda n: (papers[n][0] or date.max, n)):
        rounds[n] = next(free)
    return rounds


def _rounds(papers: list[Paper]) -> list[Paper]:
    """Review papers without ``round:`` take their round from :func:`number_rounds`."""
    out = list(papers)
    by_form: dict[str, list[int]] = {}
    for n, p in enumerate(papers):
        if p.form is not None and p.form.count == "per_round":
            by_form.setdefault(p.form.key, []).append(n)
    for members in by_form.values():
        ordered = sorted(members, key=lambda n: papers[n].index)
        numbers = number_rounds([(papers[n].date, papers[n].document.round) for n in ordered])
        for n, k in zip(ordered, numbers, strict=True):
            p = papers[n]
            out[n] = Paper(p.index, p.document, p.form, p.date, k)
    return out


def resolve(case: Case, bureau: Bureau | None = None) -> Resolved:
    """Match every document to its form and compute derived dates (R4, R5).

    ``bureau`` defaults to the shipped data with the case's own ``bureau`` file
    applied, if it names one.
    """
    if bureau is None:
        bureau = bureau_of(case)
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


def bureau_of(case: Case, bureau_file: str | Path | None = None) -> Bureau:
    """The bureau data a case is checked against: the shipped data, then the case's own ``bureau``
    file (relative to the case), then ``bureau_file`` (``--bureau``); ConfigError if one is broken."""
    overrides = [case.folder / case.bureau] if case.bureau else []
    overrides += [Path(bureau_file)] if bureau_file else []
    return load_bureau(*overrides)


def resolve_case(case: Case, bureau_file: str | Path | None = None) -> Resolved:
    """Resolve a read case against :func:`bureau_of`; a broken bureau file is a finding of the
    case (CONFIG_INVALID, with its line), raised as CaseError."""
    try:
        bureau = bureau_of(case, bureau_file)
    except ConfigError as exc:
        where = case.line("bureau")
        finding = Finding("CONFIG_INVALID", "error", str(exc), path="bureau", line=where, source=case.source)
        raise CaseError(case.source, (finding,)) from None
    return resolve(case, bureau)


def resolve_file(path: str | Path, bureau_file: str | Path | None = None) -> Resolved:
    """Read a case file and :func:`resolve_case` it."""
    return resolve_case(load_case(path), bureau_file)
