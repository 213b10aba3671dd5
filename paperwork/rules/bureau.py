"""A bureau's way of doing things, as data: forms, steps, process order, binders.

The shipped ``data/bureau.yaml`` is the default. A bureau's own file overrides
it: its ``forms`` patch or add entries by title, its other sections replace the
default's whole.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from functools import cache, cached_property
from pathlib import Path
from typing import Literal

from paperwork.case.model import Kind
from paperwork.case.paths import label_of
from paperwork.errors import ConfigError
from paperwork.rules.datafile import read_data, shipped_text, user_text
from paperwork.rules.forms import Form
from paperwork.rules.titles import normalise_title, suggest_title

__all__ = [
    "ArchiveSettings",
    "BinderEntry",
    "BinderPart",
    "BinderSpec",
    "Bureau",
    "DerivedRule",
    "OrderRule",
    "Step",
    "load_bureau",
]


@dataclass(frozen=True)
class Step:
    """One errand of the contractor's path: what to bring, what comes back."""

    name: str
    bring: tuple[str, ...] = ()
    returns: tuple[str, ...] = ()
    when: tuple[Kind, ...] = ()


@dataclass(frozen=True)
class DerivedRule:
    """A paper whose date is not typed but taken from another paper (R4, R5).

    ``form`` and ``source`` are form keys; ``field`` is ``date`` or
    ``application_date``; ``pick`` chooses among several source papers: ``first``
    (the first listed) or ``first_reply`` (the earliest reply sheet).
    """

    rule: str
    form: str
    source: str
    basis: str
    field: Literal["date", "application_date"] = "date"
    pick: Literal["first", "first_reply"] = "first"


@dataclass(frozen=True)
class OrderRule:
    """Every paper in ``first`` is dated no later than every paper in ``then``.

    With ``same_round`` only papers of the same drawing-review round are compared.
    """

    first: tuple[str, ...]
    then: tuple[str, ...]
    why: str
    same_round: bool = False


@dataclass(frozen=True)
class BinderEntry:
    """A paper's place in a binder, with the title its catalog row shows."""

    paper: str
    label: str | None = None


@dataclass(frozen=True)
class BinderPart:
    """A part of a binder (正文, 附件) and its papers in order."""

    name: str
    papers: tuple[BinderEntry, ...]


@dataclass(frozen=True)
class BinderSpec:
    """One archive binder: its name, cover title, date rules and parts.

    ``date_start`` is ``application`` (R1: the application date) or
    ``earliest`` (R2: the earliest catalog date). ``note_date`` is ``filing``
    (the 立卷时间, else the latest catalog date) or the title of the paper whose
    date the 备考表 takes (R3).
    """

    name: str
    title: str
    parts: tuple[BinderPart, ...]
    archive_key: Literal["big", "small"]
    date_start: Literal["application", "earliest"] = "earliest"
    note_date: str = "filing"
    closed_by: str | None = None  # the step at which the binder is handed in: later papers are not in it

    @property
    def cover_rule(self) -> str:
        """The dating rule of this binder's cover: R1 (from the application) or R2."""
        return "R1" if self.date_start == "application" else "R2"

    @property
    def note_rule(self) -> str | None:
        """R3 where the 备考表 takes a paper's date, else None."""
        return None if self.note_date == "filing" else "R3"

    @property
    def papers(self) -> tuple[BinderEntry, ...]:
        return tuple(e for part in self.parts for e in part.papers)


@dataclass(frozen=True)
class ArchiveSettings:
    """How this bureau's electronic archive takes binders: ``pdfa`` "2b" or "3b" for PDF/A, or none."""

    pdfa: Literal["2b", "3b"] | None = None


@dataclass(frozen=True)
class _File:
    forms: tuple[Form, ...] = ()
    derived: tuple[DerivedRule, ...] = ()
    steps: tuple[Step, ...] = ()
    order: tuple[OrderRule, ...] = ()
    binders: tuple[BinderSpec, ...] = ()
    signed_by_record: tuple[Literal["filer", "checker"], ...] = ()
    archive: ArchiveSettings = ArchiveSettings()


@dataclass(frozen=True)
class Bureau:
    """Everything a bureau may do its own way, merged from the data files."""

    forms: tuple[Form, ...]
    steps: tuple[Step, ...]
    order: tuple[OrderRule, ...]
    binders: tuple[BinderSpec, ...]
    derived: tuple[DerivedRule, ...] = ()
    #: The archive fields (filer 立卷人, checker 检查人) the server fills, where the case leaves them empty,
    #: with the display name of the user who builds.
    signed_by_record: tuple[Literal["filer", "checker"], ...] = ()
    #: What the electronic archive takes (PDF/A or plain PDF), unless a build asks otherwise.
    archive: ArchiveSettings = ArchiveSettings()
    sources: tuple[str, ...] = ()

    def derived_rule(self, form: Form) -> DerivedRule | None:
        """How ``form``'s date is derived, or None when it is typed."""
        return next((d for d in self.derived if d.form == form.key), None)

    @cached_property
    def _index(self) -> dict[str, Form]:
        return {normalise_title(name): form for form in self.forms for name in form.names}

    def form(self, title: str) -> Form | None:
        """The form a title or alias names (brackets, spaces and traditional characters aside), or None."""
        return self._index.get(normalise_title(title))

    def suggest(self, title: str) -> str | None:
        """The form title nearest to an unknown ``title``, for a 你是不是要写… hint."""
        return suggest_title(title, [name for form in self.forms for name in form.names])

    def form_by_key(self, key_or_title: str) -> Form | None:
        """The form with this key, title or alias, or None."""
        for form in self.forms:
            if form.key == key_or_title:
                return form
        return self.form(key_or_title)

    def binder(self, name: str) -> BinderSpec:
        for spec in self.binders:
            if spec.name == name:
                return spec
        raise ConfigError(f"局方数据中没有名为“{name}”的案卷")

    def binders_of(self, form: Form) -> tuple[tuple[str, str, int], ...]:
        """Where a form is filed: (binder, part, 1-based position) for each place."""
        places = []
        for spec in self.binders:
            position = 0
            for part in spec.parts:
                for entry in part.papers:
                    position += 1
                    if self.form(entry.paper) is form:
                        places.append((spec.name, part.name, position))
        return tuple(places)


_WHAT = "局方数据文件"


def _normalise(data: object) -> object:
    """Binder entries may be a bare title; make each a mapping."""
    if isinstance(data, dict) and isinstance(data.get("binders"), list):
        for binder in data["binders"]:
            for part in binder.get("parts", []) if isinstance(binder, dict) else []:
                if isinstance(part, dict) and isinstance(part.get("papers"), list):
                    part["papers"] = [{"paper": p} if isinstance(p, str) else p for p in part["papers"]]
    return data


def _read_file(text: str, source: str) -> tuple[_File, set[str]]:
    record, data = read_data(_File, text, source, _WHAT, _normalise)
    given = set(data.keys()) if isinstance(data, dict) else set()
    return record, given


def _merge_forms(base: tuple[Form, ...], extra: tuple[Form, ...]) -> tuple[Form, ...]:
    merged = {f.title: f for f in base}
    for form in extra:
        merged[form.title] = form
    return tuple(merged.values())


def _consistent(bureau: Bureau) -> None:
    """Every title once, and every title a binder, rule or order names in the form library."""
    index: dict[str, Form] = {}
    for form in bureau.forms:
        for name in form.names:
            if name in index and index[name] is not form:
                raise ConfigError(f"题名“{name}”在表单库中出现了两次（{bureau.sources[-1]}）")
            index[name] = form
    for spec in bureau.binders:
        for entry in spec.papers:
            if entry.paper not in index:
                raise ConfigError(
                    f"案卷“{spec.name}”列出的“{entry.paper}”不在表单库中（{bureau.sources[-1]}）；"
                    "请在 forms 中加上它，或改成表单库里的题名"
                )
    for form in bureau.forms:
        for path in (alt for printed in form.prints for alt in printed.split("|")):
            if label_of(path) == path:
                raise ConfigError(
                    f"表单“{form.title}”的 prints 中的“{path}”不是案卷文件的字段（{bureau.sources[-1]}）；"
                    "请改成 paperwork schema 列出的字段路径"
                )
    keys = {form.key for form in bureau.forms}
    for derived in bureau.derived:
        for key in (derived.form, derived.source):
            if key not in keys:
                raise ConfigError(
                    f"推算规则 {derived.rule} 中的表单标识“{key}”不在表单库中（{bureau.sources[-1]}）；"
                    "请改成 paperwork forms 列出的标识"
                )
    for rule in bureau.order:
        for title in (*rule.first, *rule.then):
            if title not in index:
                raise ConfigError(
                    f"流程顺序中的“{title}”不在表单库中（{bureau.sources[-1]}）；请改成表单库里的题名"
                )


@cache
def _shipped() -> _File:
    return _read_file(*shipped_text("bureau.yaml"))[0]


def load_bureau(*overrides: str | Path) -> Bureau:
    """The default bureau data, with each override file applied in turn."""
    base = _shipped()
    sections = {f.name: getattr(base, f.name) for f in fields(_File)}
    sources = ["paperwork/rules/data/bureau.yaml"]
    for path in overrides:
        path = Path(path)
        extra, given = _read_file(user_text(path, _WHAT), str(path))
        sections["forms"] = _merge_forms(sections["forms"], extra.forms)
        for name in ("derived", "steps", "order", "binders", "signed_by_record", "archive"):
            if name in given:
                sections[name] = getattr(extra, name)
        sources.append(str(path))
    rules = {d.form: d.rule for d in sections["derived"]}
    sections["forms"] = tuple(replace(f, derived=rules.get(f.key)) for f in sections["forms"])
    bureau = Bureau(sources=tuple(sources), **sections)
    _consistent(bureau)
    return bureau
