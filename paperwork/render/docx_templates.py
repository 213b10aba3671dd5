"""Filling DOCX templates with docxtpl: autoescaped, strict, checked against the form model."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate

from paperwork.errors import TemplateError
from paperwork.render.contexts import MODELS, template_fields

__all__ = ["default_templates", "find_template", "render_docx", "template_variables"]


def default_templates() -> Path:
    """The shipped templates: templates/docx/ of the source tree or the installed package."""
    package = Path(str(resources.files("paperwork")))
    checkout = package.parent / "templates" / "docx"
    if checkout.is_dir():
        return checkout
    return package / "templates"  # installed from a wheel (see pyproject's package-dir)


def find_template(key: str, folder: Path | None = None) -> Path:
    """The template for ``key``: the user's folder first, then the shipped ones."""
    if key not in MODELS:
        raise TemplateError(f"没有名为“{key}”的模板；可用的有：{'、'.join(MODELS)}")
    for base in (folder, default_templates()):
        if base is not None and (base / f"{key}.docx").is_file():
            return base / f"{key}.docx"
    where = f"{folder} 和 {default_templates()}" if folder else str(default_templates())
    raise TemplateError(f"找不到模板 {key}.docx（在 {where} 中）；请放入该文件或去掉 --templates")


class _Environment(jinja2.Environment):
    """Compiles each distinct template text once: a batch fills the same forms many times."""

    def __init__(self) -> None:
        super().__init__(
            undefined=jinja2.StrictUndefined,
            autoescape=True,
            finalize=lambda value: "" if value is None else value,
        )
        self._compiled: dict[str, jinja2.Template] = {}

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> jinja2.Template:
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        key = hashlib.sha1(source.encode("utf-8")).hexdigest()
        if key not in self._compiled:
            if len(self._compiled) > 256:
                self._compiled.clear()
            self._compiled[key] = super().from_string(source)
        return self._compiled[key]


class _Template(DocxTemplate):  # type: ignore[misc]
    """docxtpl's template with its XML clean-up remembered per template text."""

    def patch_xml(self, src_xml: str) -> str:
        return _patched(src_xml)


@functools.lru_cache(maxsize=64)
def _patched(src_xml: str) -> str:
    return str(DocxTemplate.patch_xml(_PATCHER, src_xml))


_PATCHER = DocxTemplate.__new__(DocxTemplate)


@functools.cache
def _environment() -> jinja2.Environment:
    return _Environment()


def template_variables(path: Path) -> set[str]:
    """The top-level variables a DOCX template uses (remembered per file version)."""
    stat = path.stat()
    return set(_variables(str(path), stat.st_mtime_ns, stat.st_size))


@functools.lru_cache(maxsize=256)
def _variables(path_text: str, _mtime: int, _size: int) -> frozenset[str]:
    path = Path(path_text)
    try:
        tpl = DocxTemplate(str(path))
        names: set[str] = tpl.get_undeclared_template_variables(_environment())
    except Exception as exc:  # a broken DOCX or a Jinja syntax error in it
        raise TemplateError(f"模板 {path} 无法读取：{exc}") from None
    return frozenset(names)


def render_docx(key: str, context: Mapping[str, Any], out: Path, folder: Path | None = None) -> Path:
    """Fill template ``key`` with ``context`` and save it to ``out``.

    A template that uses a variable its form model does not define is an error
    before anything is written; so is any undefined value while rendering.
    """
    path = find_template(key, folder)
    allowed = {name for name, _ in template_fields(key)}
    unknown = template_variables(path) - allowed
    if unknown:
        raise TemplateError(
            f"模板 {path} 使用了表单 {key} 没有的变量：{'、'.join(sorted(unknown))}；"
            f"可用的变量见 paperwork template-vars {key}"
        )
    tpl = _Template(str(path))
    try:
        tpl.render(dict(context), _environment(), autoescape=True)
    except jinja2.TemplateError as exc:
        raise TemplateError(f"模板 {path} 填写失败：{exc}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    tpl.save(str(out))
    return out
