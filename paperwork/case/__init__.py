"""What the clerk types: the case file's model, its YAML reader, dates, schema and starter.

The bottom layer: it imports nothing of paperwork but ``errors`` and ``finding``.
"""

from paperwork.case.model import (
    ApplicationForm,
    Archive,
    BinderInfo,
    Capacity,
    Case,
    Contractor,
    Customer,
    Document,
    Equipment,
    Person,
    dump_case,
    load_case,
    loads_case,
)

__all__ = [
    "ApplicationForm",
    "Archive",
    "BinderInfo",
    "Capacity",
    "Case",
    "Contractor",
    "Customer",
    "Document",
    "Equipment",
    "Person",
    "dump_case",
    "load_case",
    "loads_case",
]
