"""The ``paperwork`` command: the only place that prints, colours and picks exit codes.

Exit codes: 0 done (warnings allowed), 1 the case has errors, 2 usage error.
"""

from paperwork.cli import binder, case, deadline, queue, scan, users, web  # noqa: F401  (they register their commands)
from paperwork.cli.common import cli, fit_console, quiet_libraries, stop_cleanly_on_signals

__all__ = ["cli", "main"]


def main() -> None:
    """Console-script entry point."""
    fit_console()
    quiet_libraries()
    stop_cleanly_on_signals()
    cli(prog_name="paperwork")
