"""Findings that know their case file and the line of their field path: what every check makes."""

from __future__ import annotations

from paperwork.case.model import Case
from paperwork.finding import Finding, error, warning

__all__ = ["Emit"]


class Emit:
    """Builds findings that know the case file and the line of their path."""

    def __init__(self, case: Case) -> None:
        self.case = case

    def __call__(
        self, severity: str, code: str, message: str, path: str | None, rule: str | None = None
    ) -> Finding:
        make = error if severity == "error" else warning
        line = self.case.line(path) if path else None
        return make(code, message, path=path, line=line, rule=rule, source=self.case.source)
