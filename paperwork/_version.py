"""The one place paperwork's version is written (pyproject reads it from here)."""

__version__ = "0.2.0"
