"""paperwork: case files, dating rules, forms and archive binders for 高压业扩报装.

What a script may import is listed in ``__all__``; every other module is an
implementation detail.

>>> from paperwork import load_case, validate
>>> report = validate(load_case("fixtures/demo/case.yaml"))
>>> report.ok
True
"""

import importlib
from typing import TYPE_CHECKING, Any

from paperwork._version import __version__
from paperwork.case.dates import parse_date
from paperwork.case.model import Case, Document, dump_case, load_case, loads_case
from paperwork.case.schema import json_schema, starter_yaml
from paperwork.errors import (
    AccountError,
    AttachmentError,
    BadUpload,
    BrokerUnreachable,
    CaseError,
    ChartUnavailable,
    ConfigError,
    ConversionError,
    DateFormatError,
    FontError,
    HistoryUnavailable,
    OcrUnavailable,
    OutsideWorkspace,
    PaperworkError,
    PublishError,
    QueueLost,
    Refused,
    StaleWrite,
    TemplateError,
    WouldOverwrite,
)
from paperwork.finding import CODES, Finding
from paperwork.rules.bureau import Bureau, load_bureau
from paperwork.rules.catalog import Catalog, Row, catalogs
from paperwork.rules.checklist import StepList, checklist, next_step
from paperwork.rules.derived import DerivedDate, derived_dates
from paperwork.rules.forms import Form
from paperwork.rules.resolution import Resolved, resolve
from paperwork.rules.timeline import Regime, Timeline, load_regimes, timeline
from paperwork.rules.validation import Report, validate
from paperwork.rules.workdays import WorkCalendar, load_calendar

if TYPE_CHECKING:
    from paperwork.binder.build import BuildResult, build

# The binder layer pulls in pypdf, python-docx and openpyxl: imported on first use, so that
# `import paperwork` (and the CLI's start-up) stays light.
_LAZY = {"build": "paperwork.binder.build", "BuildResult": "paperwork.binder.build"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'paperwork' has no attribute {name!r}")


__all__ = [
    "CODES",
    "AccountError",
    "AttachmentError",
    "BadUpload",
    "BrokerUnreachable",
    "BuildResult",
    "Bureau",
    "Case",
    "CaseError",
    "Catalog",
    "ChartUnavailable",
    "ConfigError",
    "ConversionError",
    "DateFormatError",
    "DerivedDate",
    "Document",
    "Finding",
    "FontError",
    "Form",
    "HistoryUnavailable",
    "OcrUnavailable",
    "OutsideWorkspace",
    "PaperworkError",
    "PublishError",
    "QueueLost",
    "Refused",
    "Regime",
    "Report",
    "Resolved",
    "Row",
    "StaleWrite",
    "StepList",
    "TemplateError",
    "Timeline",
    "WorkCalendar",
    "WouldOverwrite",
    "__version__",
    "build",
    "catalogs",
    "checklist",
    "derived_dates",
    "dump_case",
    "json_schema",
    "load_bureau",
    "load_calendar",
    "load_case",
    "load_regimes",
    "loads_case",
    "next_step",
    "parse_date",
    "resolve",
    "starter_yaml",
    "timeline",
    "validate",
]
