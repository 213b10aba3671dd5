"""Filling DOCX templates with docxtpl: autoescaped, strict, checked against the form model."""

from __future__ import annotations

import functools
import hashlib
import io
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
from docxtpl import DocxTemplate
from lxml import etree

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
    try:
        filled = _filled(path, dict(context))
    except jinja2.TemplateError as exc:
        raise TemplateError(f"模板 {path} 填写失败：{exc}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(filled)
    return out


def _filled(path: Path, context: dict[str, Any]) -> bytes:
    """The DOCX of template ``path`` filled with ``context``."""
    stat = path.stat()
    package = _package(str(path), stat.st_mtime_ns, stat.st_size)
    if package is not None:
        return package.fill(context)
    tpl = _Template(str(path))  # Jinja outside the body: docxtpl fills the whole package
    tpl.render(context, _environment(), autoescape=True)
    buffer = io.BytesIO()
    tpl.save(buffer)
    return buffer.getvalue()


# Parts docxtpl renders besides the body; a template with Jinja in one of them is filled by docxtpl.
_OTHER_RENDERED = re.compile(r"word/(header|footer)\d*\.xml|word/footnotes\.xml|docProps/core\.xml")
_JINJA = re.compile(rb"\{[{%#]")
_BODY = "word/document.xml"
_READER = etree.XMLParser(remove_blank_text=True, resolve_entities=False)  # python-docx's own settings


@dataclass(frozen=True)
class _Package:
    """A template's parts, read once: its body patched for Jinja, every other part as it is.

    Filling renders the body as docxtpl does (the same patch, Jinja environment, listing, table
    and picture-id fixes) and writes it back among the other parts, without python-docx opening
    and saving the whole package each time (about 3 ms a form instead of 7).
    """

    body: str
    parts: tuple[tuple[str, bytes], ...]

    def fill(self, context: dict[str, Any]) -> bytes:
        helper = DocxTemplate.__new__(DocxTemplate)  # docxtpl's state for one rendering, no document
        helper.__dict__.update(docx=None, current_rendering_part=None, docx_ids_index=1000, pic_map={})
        xml = DocxTemplate.render_xml_part(helper, self.body, None, context, _environment())
        tree = DocxTemplate.fix_tables(helper, xml)
        DocxTemplate.fix_docpr_ids(helper, tree)
        body = etree.tostring(tree, xml_declaration=True, encoding="UTF-8", standalone=True)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
            for name, data in self.parts:
                info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, body if name == _BODY else data)
        return buffer.getvalue()


@functools.lru_cache(maxsize=64)
def _package(path_text: str, _mtime: int, _size: int) -> _Package | None:
    """The template at ``path_text`` read for filling, or None when docxtpl must fill it (Jinja
    outside the body)."""
    with zipfile.ZipFile(path_text) as z:
        parts = tuple((info.filename, z.read(info.filename)) for info in z.infolist())
    named = dict(parts)
    if _BODY not in named or any(_OTHER_RENDERED.fullmatch(n) and _JINJA.search(d) for n, d in parts):
        return None
    # read as python-docx reads it for docxtpl: whitespace between elements dropped, no declaration
    body = etree.tostring(etree.fromstring(named[_BODY], _READER), encoding="unicode")
    return _Package(_patched(body), parts)
