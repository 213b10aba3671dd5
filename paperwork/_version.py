"""The one place paperwork's version is written (pyproject reads it from here)."""

#: The distribution's name on the package index (the import package and the command stay ``paperwork``).
DISTRIBUTION = "hv-paperwork"
__version__ = "0.2.0"
