"""Slimming DOCX packages that python-docx makes from its default template.

That template carries 800 KB of style definitions (every built-in Word style,
latent styles, a Word 2010 copy of them all), a thumbnail and custom XML. Our
forms use two styles. Every fill, save, hash and LibreOffice import pays for the
rest, so templates and stamps are written without it.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from lxml import etree

from paperwork.files import atomic_path

__all__ = ["slim_docx"]

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_DROP = ("word/stylesWithEffects.xml", "docProps/thumbnail.jpeg", "customXml/")
_RELATION = re.compile(
    rb'<Relationship [^>]*Target="[^"]*(stylesWithEffects|thumbnail|customXml|item1)[^"]*"[^>]*/>'
)
_OVERRIDE = re.compile(rb'<Override [^>]*PartName="/(word/stylesWithEffects|customXml/)[^"]*"[^>]*/>')
_JPEG = re.compile(rb'<Default Extension="jpeg"[^>]*/>')
_KEEP_ALWAYS = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "TableGrid"}


def _used_styles(document_xml: bytes) -> set[str]:
    ids = re.findall(rb'w:(?:pStyle|rStyle|tblStyle|numStyle) w:val="([^"]+)"', document_xml)
    return {i.decode() for i in ids} | _KEEP_ALWAYS


def _slim_styles(styles_xml: bytes, used: set[str]) -> bytes:
    root = etree.fromstring(styles_xml)
    for latent in root.findall(f"{{{_W}}}latentStyles"):
        root.remove(latent)
    wanted = set(used)
    styles = {s.get(f"{{{_W}}}styleId"): s for s in root.findall(f"{{{_W}}}style")}
    frontier = list(wanted)
    while frontier:  # keep what the used styles are based on or linked to
        style = styles.get(frontier.pop())
        if style is None:
            continue
        for tag in ("basedOn", "link", "next"):
            ref = style.find(f"{{{_W}}}{tag}")
            if ref is not None and ref.get(f"{{{_W}}}val") not in wanted:
                wanted.add(ref.get(f"{{{_W}}}val"))
                frontier.append(ref.get(f"{{{_W}}}val"))
    for style_id, style in styles.items():
        if style_id not in wanted:
            root.remove(style)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True))


def slim_docx(path: Path) -> Path:
    """Rewrite ``path`` without unused styles, the Word 2010 style copy, thumbnail and custom XML."""
    with zipfile.ZipFile(path) as z:
        parts = {info.filename: z.read(info.filename) for info in z.infolist()}
    used = _used_styles(parts.get("word/document.xml", b""))
    out: dict[str, bytes] = {}
    for name, data in parts.items():
        if name.startswith(_DROP):
            continue
        if name == "word/styles.xml":
            data = _slim_styles(data, used)
        elif name.endswith(".rels"):
            data = _RELATION.sub(b"", data)
        elif name == "[Content_Types].xml":
            data = _OVERRIDE.sub(b"", _JPEG.sub(b"", data))
        out[name] = data
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in out.items():
            info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))  # same content, same bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return path
