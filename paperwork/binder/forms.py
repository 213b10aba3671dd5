"""One form of a case, filled (and converted) on its own: ``paperwork render`` and the server's downloads."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from paperwork.binder.cache import Cache, fill_cached
from paperwork.binder.libreoffice import Converter, convert_batch
from paperwork.errors import TemplateError
from paperwork.render.contexts import form_data
from paperwork.rules.resolution import Resolved

__all__ = ["render_form"]


def render_form(
    resolved: Resolved,
    key: str,
    out: Path,
    *,
    templates: Path | None = None,
    converter: Converter | None = None,
) -> Path:
    """Fill one generated form of the case into ``out`` (.docx, or .pdf through LibreOffice)."""
    form = resolved.bureau.form_by_key(key)
    if form is None or not form.generated:
        generated = "、".join(f.key for f in resolved.bureau.forms if f.generated)
        raise TemplateError(f"“{key}”不是由模板生成的表单；可用的有：{generated}")
    papers = resolved.of(form.title)
    context = form_data(resolved, form.key, papers[0] if papers else None)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".paperwork-", dir=out.parent) as tmp:
        docx = fill_cached(form.key, context, Path(tmp) / f"{form.key}.docx", templates, Cache(None))
        result = docx
        if out.suffix.lower() == ".pdf":
            (result,) = (converter or convert_batch)([docx], Path(tmp) / "pdf")
        os.replace(result, out)
    return out
