"""What the environment says, read once at the edge and passed down as values.

Below the CLI and the server nothing reads an environment variable: the LibreOffice
settings, the cache folder and a templates folder come from here (or from the
command's options, which win) and travel down as arguments.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from paperwork.binder.libreoffice import OfficeSettings, user_cache_dir
from paperwork.errors import ConfigError

__all__ = ["cache_folder", "office_settings", "templates_folder"]


def office_settings(
    environ: Mapping[str, str] = os.environ, *, timeout: float | None = None
) -> OfficeSettings:
    """``PAPERWORK_SOFFICE``, ``PAPERWORK_TIMEOUT`` (``timeout`` wins), ``PAPERWORK_UNO_PYTHON``."""
    if timeout is None:
        text = environ.get("PAPERWORK_TIMEOUT", "").strip()
        if text:
            try:
                timeout = float(text)
            except ValueError:
                timeout = 0.0
            if not 0 < timeout < 86400:
                raise ConfigError(f"PAPERWORK_TIMEOUT={text} 不是合理的秒数；请写 1 到 86400 之间的数")
    soffice = environ.get("PAPERWORK_SOFFICE") or None
    return OfficeSettings(
        soffice=Path(soffice) if soffice else None,
        timeout=timeout,
        uno_python=environ.get("PAPERWORK_UNO_PYTHON") or None,
        environ=dict(environ),
    )


def cache_folder(environ: Mapping[str, str] = os.environ) -> Path:
    """``$PAPERWORK_CACHE``, else the user's cache folder (``$XDG_CACHE_HOME/paperwork`` on Linux)."""
    named = environ.get("PAPERWORK_CACHE")
    return Path(named) if named else user_cache_dir()


def templates_folder(given: str | None, environ: Mapping[str, str] = os.environ) -> Path | None:
    """``--templates``, else ``$PAPERWORK_TEMPLATES``: a folder whose templates replace the shipped ones."""
    named = given or environ.get("PAPERWORK_TEMPLATES")
    return Path(named) if named else None
