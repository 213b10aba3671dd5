"""The checks a bureau makes before it accepts a binder, run before filing.

Each check returns findings; :func:`validate` runs them all. Messages are in
Chinese and name the paper, what was found, what was expected and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

from paperwork.case.model import Case
from paperwork.case.paths import label_of, short_label, value_at
from paperwork.finding import Finding, Severity
from paperwork.rules.catalog import catalogs
from paperwork.rules.emit import Checking, Emit
from paperwork.rules.plausibility import check_before_application, check_years_after_application
from paperwork.rules.resolution import Resolved, resolve
from paperwork.rules.sequence import check_order, check_review_rounds
from paperwork.rules.workdays import WorkCalendar, load_calendar, no_calendar_data

__all__ = ["CHECKS", "Checking", "Report", "validate"]


@dataclass(frozen=True)
class Report:
    """The findings for one case; ``ok`` when there is no error."""

    case: Case
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    @property
    def todos(self) -> tuple[Finding, ...]:
        """Papers of steps the case has not passed yet: to do, not wrong."""
        return tuple(f for f in self.findings if f.severity == "todo")

    def blocking(self, resolved: Resolved) -> tuple[Finding, ...]:
        """What keeps a final binder from being built: every error, and every paper still to do
        that a binder files (a 待补 row in its catalog)."""
        waiting = {row.form.title for cat in catalogs(resolved) for row in cat.missing}
        return self.errors + tuple(f for f in self.todos if f.subject in waiting)

    def to_dict(self) -> dict[str, object]:
        return {"ok": self.ok, "findings": [f.to_dict() for f in self.findings]}


def _d(day: date | None) -> str:
    return day.isoformat() if day else "（无）"


def check_fields(r: Resolved, emit: Emit, at: Checking) -> Iterator[Finding]:
    """Unknown titles, fields that do not belong to a paper, missing dates."""
    for p in r.papers:
        if p.implicit:
            continue
        doc = p.document
        if p.form is None:
            near = r.bureau.suggest(doc.title)
            hint = f"你是不是要写“{near}”？" if near else "请改用表单库里的题名（paperwork forms 可查）"
            yield emit(
                "warning",
                "PAPER_UNKNOWN",
                f"“{doc.title}”不在表单库中，不会编入案卷；{hint}",
                f"{p.path}.title",
            )
            continue
        if doc.application_date is not None and not p.form.reply:
            yield emit(
                "error",
                "FIELD_NOT_ALLOWED",
                f"{p.title}没有“申请日期”一栏，application_date 只用于供电方案答复单；请删去",
                f"{p.path}.application_date",
            )
        if p.form.reply and doc.application_date is None:
            yield emit(
                "error",
                "FIELD_MISSING",
                f"{p.title}（{_d(doc.date)}）缺少申请日期；请照答复单上的申请日期填写",
                f"{p.path}.application_date",
            )
        if doc.round is not None and p.form.count != "per_round":
            yield emit(
                "error",
                "FIELD_NOT_ALLOWED",
                f"{p.title}不分图纸审核轮次，“图纸审核第几轮”只用于图纸审核的资料；请清空",
                f"{p.path}.round",
            )
        if doc.date is None and not p.form.derived:
            yield emit(
                "error",
                "DATE_MISSING",
                f"{p.title}缺少日期（{p.form.date_meaning}）；请填写资料日期",
                f"{p.path}.date",
            )


def _dated_fields(r: Resolved) -> Iterator[tuple[str, str, date]]:
    case = r.case
    yield "application_date", "报装日期", case.application_date
    for p in r.papers:
        if p.implicit:
            continue
        if p.document.date:
            yield f"{p.path}.date", f"{p.document.title}的日期", p.document.date
        if p.document.application_date:
            yield f"{p.path}.application_date", f"{p.document.title}的申请日期", p.document.application_date
    if case.archive.filing_date:
        yield "archive.filing_date", "立卷时间", case.archive.filing_date
    for key in ("big", "small"):
        info = getattr(case.archive, key)
        for name in ("start", "end", "note_date"):
            value = getattr(info, name)
            if value:
                yield f"archive.{key}.{name}", label_of(f"archive.{key}.{name}"), value


def check_future(r: Resolved, emit: Emit, at: Checking) -> Iterator[Finding]:
    """No date after today (nothing to check when the day is not given)."""
    today = at.today
    if today is None:
        return
    for path, what, day in _dated_fields(r):
        if day > today:
            yield emit(
                "error",
                "DATE_IN_FUTURE",
                f"{what}是 {day.isoformat()}，晚于今天 {today.isoformat()}；请核对是否写错年份或月份",
                path,
            )


def check_derived(r: Resolved, emit: Emit, at: Checking) -> Iterator[Finding]:
    """A derived date stated anyway must equal the computed one (R1–R5)."""
    for p in r.papers:
        if p.implicit or p.form is None or not p.form.derived:
            continue
        stated, computed = p.document.date, p.date
        if stated is not None and computed is not None and stated != computed:
            derivation = r.bureau.derived_rule(p.form)
            basis = derivation.basis if derivation else "推算依据"
            yield emit(
                "error",
                "DERIVED_DATE_MISMATCH",
                f"{p.title}的日期应等于{basis} {computed.isoformat()}（{p.form.derived}），"
                f"案卷中写的是 {stated.isoformat()}；请清空资料日期让它自动推算，或改正",
                f"{p.path}.date",
                p.form.derived,
            )
    for cat in catalogs(r):
        spec, info = cat.spec, cat.info
        base = f"archive.{spec.archive_key}"
        pairs = [
            ("start", info.start, cat.start, spec.cover_rule, "封面起日期"),
            ("end", info.end, cat.end, spec.cover_rule, "封面止日期"),
            ("note_date", info.note_date, cat.note_date, spec.note_rule, "备考表日期"),
        ]
        for name, stated_day, computed_day, rule, what in pairs:
            if stated_day and computed_day and stated_day != computed_day:
                yield emit(
                    "error",
                    "DERIVED_DATE_MISMATCH",
                    f"{spec.title}{what}应为 {computed_day.isoformat()}（{rule or '立卷时间'}），"
                    f"案卷中写的是 {stated_day.isoformat()}；请删去让它自动推算，或改正",
                    f"{base}.{name}",
                    rule,
                )


def check_presence(r: Resolved, emit: Emit, at: Checking) -> Iterator[Finding]:
    """Every paper the case kind requires; none twice; none that does not apply."""
    case = r.case
    for form in r.bureau.forms:
        papers = r.of(form.title)
        applies = r.applies(form)
        if r.needs(form) and not papers:
            filed = bool(r.bureau.binders_of(form)) and form.filed
            severity: Severity = "error" if filed and form.absence == "error" else "warning"
            yield emit(
                severity if r.passed(form) else "todo",  # a step not reached yet: to do, not wrong
                "PAPER_MISSING",
                f"缺少{form.title}（{form.step}，{form.describe_requirement()}）；"
                "请在资料表中加上它和它的日期",
                "documents",
                subject=form.title,
            )
        if not applies and papers:
            for p in papers:
                if not p.implicit:
                    yield emit(
                        "warning",
                        "PAPER_NOT_APPLICABLE",
                        f"{form.title}只在{form.describe_requirement()}时需要，本案卷（{case.kind}"
                        f"{'，有超过100kW设备' if case.has_large_equipment else ''}）不需要；"
                        "它不会编入案卷，可删去",
                        f"{p.path}.title",
                    )
        if form.count == "one":
            for p in papers[1:]:
                yield emit(
                    "error",
                    "PAPER_DUPLICATE",
                    f"{form.title}只应有一份，案卷中有 {len(papers)} 份；请删去多余的一份",
                    f"{p.path}.title",
                )


def check_files(r: Resolved, emit: Emit, at: Checking) -> Iterator[Finding]:
    """A paper's file must exist next to the case file."""
    for p in r.papers:
        name = p.document.file
        if name and not r.case.path_of(name).is_file():
            yield emit(
                "error",
                "FILE_MISSING",
                f"{p.document.title}的文件 {name} 不存在（相对于 {r.case.folder}）；"
                "请核对文件名，或清空“扫描件或文档”",
                f"{p.path}.file",
            )


def check_holidays(r: Resolved, emit: Emit, at: Checking) -> Iterator[Finding]:
    """A paper the bureau issues is dated on a day the bureau works (调休 Saturdays count)."""
    calendar = at.calendar
    bureau_papers = [
        p
        for p in r.papers
        if not p.implicit and p.form is not None and p.form.issuer == "bureau" and p.document.date
    ]
    for year in calendar.missing_years(p.document.date for p in bureau_papers if p.document.date):
        yield emit(
            "warning",
            "CALENDAR_NO_DATA",
            no_calendar_data(year),
            None,
        )
    for p in bureau_papers:
        day = p.document.date
        assert day is not None
        why = calendar.why_off(day)
        if why:
            yield emit(
                "warning",
                "DATE_HOLIDAY",
                f"{p.title}的日期 {day.isoformat()} 是{why}，供电局不上班；请核对日期",
                f"{p.path}.date",
            )


def check_archive_numbers(r: Resolved, emit: Emit, at: Checking) -> Iterator[Finding]:
    """A binder without its 归档号 or 档号: its cover and catalog would go out blank (a warning)."""
    for cat in catalogs(r):
        for name, what in (("archive_no", "归档号"), ("file_no", "档号")):
            if getattr(cat.info, name):
                continue
            path = f"archive.{cat.spec.archive_key}.{name}"
            yield emit(
                "warning",
                "ARCHIVE_NUMBER_BLANK",
                f"{cat.spec.title}的{what}是空的，封面和目录上会空着；请在“{label_of(path)}”填上档案室给的编号",
                path,
            )


def _blank(case: Case, path: str) -> bool:
    """Whether a field a form prints is empty (``a|b``: all of the alternatives are)."""
    return all(value_at(case, alt) in (None, "", ()) for alt in path.split("|"))


def check_form_blanks(r: Resolved, emit: Emit, at: Checking) -> Iterator[Finding]:
    """Each form the contractor prints for this case, with the fields it would print blank (one
    warning per form, the fields named as the page names them)."""
    for form in r.bureau.forms:
        if not form.generated or not form.prints or not r.applies(form):
            continue
        blank = [path.split("|")[0] for path in form.prints if _blank(r.case, path)]
        if not blank:
            continue
        names = "、".join(short_label(label_of(path)) for path in blank)
        yield emit(
            "warning",
            "FORM_FIELD_BLANK",
            f"{form.title}缺：{names}；打印出来这些栏会空着，请在案卷页填上",
            blank[0],
            subject=form.title,
            fields=tuple(blank),
        )


Check = Callable[[Resolved, Emit, Checking], Iterator[Finding]]

#: The checks in the order their findings are listed.
CHECKS: tuple[Check, ...] = (
    check_fields,
    check_future,
    check_before_application,
    check_years_after_application,
    check_derived,
    check_order,
    check_review_rounds,
    check_presence,
    check_files,
    check_holidays,
    check_archive_numbers,
    check_form_blanks,
)


def validate(
    case: Case | Resolved, *, today: date | None = None, calendar: WorkCalendar | None = None
) -> Report:
    """Run every check on a case.

    ``today`` is the day dates must not be later than (None: that check is not made; the CLI and
    the server pass the real date). ``calendar`` is the official working-day calendar unless a
    corrected one is given.
    """
    resolved = case if isinstance(case, Resolved) else resolve(case)
    emit = Emit(resolved.case)
    at = Checking(today, calendar or load_calendar())
    findings = list(resolved.case.load_findings)
    for check in CHECKS:
        findings.extend(check(resolved, emit, at))
    return Report(resolved.case, tuple(findings))
