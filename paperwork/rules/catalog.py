"""What goes into each binder, in which order, and the dates its cover shows.

The rows come from the bureau's binder data; the cover dates follow R1 and R2
and the 备考表 date follows R3 (or the 立卷时间 where the bureau says so).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from paperwork.case.model import BinderInfo
from paperwork.rules.bureau import BinderSpec
from paperwork.rules.forms import Form
from paperwork.rules.resolution import Paper, Resolved

__all__ = ["Catalog", "Row", "catalog", "catalogs"]


@dataclass(frozen=True)
class Row:
    """One line of a 卷内目录: a paper present, or one that is still missing.

    ``paper`` is None when the case lacks a paper the binder requires.
    """

    part: str
    form: Form
    label: str
    paper: Paper | None
    responsible: str
    round: int | None = None  # the drawing-review round of a per-round paper

    @property
    def date(self) -> date | None:
        return self.paper.date if self.paper else None

    @property
    def number(self) -> str:
        return (self.paper.document.number or "") if self.paper else ""

    @property
    def note(self) -> str:
        if self.paper is None:
            return "待补"
        return self.paper.document.note or ""


@dataclass(frozen=True)
class Catalog:
    """A binder's rows in order, with the dates its archive parts show."""

    spec: BinderSpec
    info: BinderInfo
    rows: tuple[Row, ...]
    start: date | None
    end: date | None
    note_date: date | None

    @property
    def present(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.paper is not None)

    @property
    def missing(self) -> tuple[Row, ...]:
        return tuple(r for r in self.rows if r.paper is None)

    @property
    def title(self) -> str:
        return self.info.title or ""


def _responsible(resolved: Resolved, form: Form, paper: Paper | None) -> str:
    if paper is not None and paper.document.issuer:
        return paper.document.issuer
    case = resolved.case
    if form.issuer == "bureau":
        return case.archive.fonds or "供电公司"
    if form.issuer == "contractor":
        return case.contractor.name if case.contractor else "施工单位"
    return case.customer.name


def _closed_steps(resolved: Resolved, spec: BinderSpec) -> set[str]:
    """The steps at and after the one that closes the binder (its papers are not in it)."""
    if spec.closed_by is None:
        return set()
    names = [s.name for s in resolved.bureau.steps]
    if spec.closed_by not in names:
        return set()
    return set(names[names.index(spec.closed_by) :])


def _round_label(label: str, k: int, rounds: list[int]) -> str:
    return f"{label}（第{k}轮）" if len(rounds) > 1 else label


def _in_step_order(rows: list[Row]) -> list[Row]:
    """Within each step of a part, papers in date order: each review round's 登记表 followed by its
    own 结果通知单. A 待补 row of a round keeps its place in that round; other 待补 rows end the step."""
    out: list[Row] = []
    group: list[Row] = []

    def flush() -> None:
        by_round = {r.round: r.date for r in group if r.round is not None and r.date is not None}

        def key(item: tuple[int, Row]) -> tuple[date, int, int]:
            n, row = item
            when = row.date or (by_round.get(row.round, date.max) if row.round is not None else date.max)
            return (when, row.round or 0, n)

        out.extend(row for _, row in sorted(enumerate(group), key=key))
        group.clear()

    for row in rows:
        if group and (group[-1].part, group[-1].form.step) != (row.part, row.form.step):
            flush()
        group.append(row)
    flush()
    return out


def catalog(resolved: Resolved, spec: BinderSpec) -> Catalog:
    """The catalog of one binder for a resolved case."""
    case = resolved.case
    rows: list[Row] = []
    closed = _closed_steps(resolved, spec)
    rounds = sorted({p.round for p in resolved.papers if p.form is not None and p.form.count == "per_round"})
    for part in spec.parts:
        for entry in part.papers:
            form = resolved.bureau.form(entry.paper)
            if form is None or not resolved.applies(form) or form.step in closed:
                continue
            papers = resolved.of(form.title)
            if form.count == "per_round":
                present = {p.round for p in papers}
                for k in rounds if resolved.requires(form) else []:
                    if k not in present:  # a round that lacks this paper: 待补 in its place
                        label = _round_label(entry.label or form.title, k, rounds)
                        rows.append(Row(part.name, form, label, None, _responsible(resolved, form, None), k))
            elif not papers and resolved.requires(form):
                label = entry.label or form.title
                rows.append(Row(part.name, form, label, None, _responsible(resolved, form, None)))
            for paper in papers:
                # the bureau's label, else the title as the clerk wrote it (an alias stays an alias)
                label = entry.label or paper.document.title.strip()
                if form.count == "per_round":
                    label = _round_label(label, paper.round, rounds)
                round_ = paper.round if form.count == "per_round" else None
                rows.append(Row(part.name, form, label, paper, _responsible(resolved, form, paper), round_))
    rows = _in_step_order(rows)
    dates = [r.date for r in rows if r.date is not None]
    start = case.application_date if spec.date_start == "application" else min(dates, default=None)
    end = max(dates, default=None)
    if spec.note_date == "filing":
        note_date = case.archive.filing_date or end
    else:
        dated = [p.date for p in resolved.of(spec.note_date) if p.date]
        note_date = dated[0] if dated else None
    info: BinderInfo = getattr(case.archive, spec.archive_key)
    if not info.title:
        info = replace(info, title=f"{case.customer.name}{case.kind}用电业扩报装{spec.title}")
    return Catalog(spec, info, tuple(rows), start, end, note_date)


def catalogs(resolved: Resolved) -> tuple[Catalog, ...]:
    """Every binder's catalog, in the bureau's binder order."""
    return tuple(catalog(resolved, spec) for spec in resolved.bureau.binders)
