"""A new case from the four values every case needs: 案卷编号, 业务类型, 报装日期 and 户名.

The one place that says what a new case must have: the web page, the API and any script
that makes a case call :func:`new_case_values`.
"""

from __future__ import annotations

from collections.abc import Mapping

from paperwork.case.dates import parse_date
from paperwork.case.model import KINDS
from paperwork.errors import CaseError, PaperworkError
from paperwork.finding import Finding

__all__ = ["REQUIRED", "new_case_values"]

#: The dot paths of what a new case must have, and how a clerk calls each.
REQUIRED = {
    "case_id": "案卷编号",
    "kind": "业务类型",
    "application_date": "报装日期",
    "customer.name": "户名",
}


def new_case_values(values: Mapping[str, object], source: str = "新案卷") -> dict[str, object]:
    """The case file of a new case (no papers yet) from ``{case_id, kind, application_date,
    customer: {name}}``; CaseError with one REQUEST_INVALID finding per missing or wrong value."""
    problems = []
    case_id = values.get("case_id")
    if not isinstance(case_id, str) or not case_id.strip():
        problems.append(("case_id", "请填写案卷编号，例如 GY-2024-001"))
    kind = values.get("kind")
    if kind not in KINDS:
        problems.append(("kind", f"业务类型应为 {' 或 '.join(KINDS)}"))
    day = values.get("application_date")
    try:
        day = parse_date(day).isoformat()
    except (PaperworkError, TypeError, ValueError) as exc:
        problems.append(("application_date", f"报装日期：{exc}" if day else "请填写报装日期"))
    customer = values.get("customer")
    name = customer.get("name") if isinstance(customer, Mapping) else None
    if not isinstance(name, str) or not name.strip():
        problems.append(("customer.name", "请填写客户名称（户名）"))
    if problems or not isinstance(case_id, str) or not isinstance(name, str):
        raise CaseError(source, tuple(Finding("REQUEST_INVALID", "error", m, path=p) for p, m in problems))
    return {
        "case_id": case_id.strip(),
        "kind": kind,
        "application_date": day,
        "customer": {"name": name.strip()},
        "documents": [],
    }
