"""PDFs for a build's documents: cached, and merged so that LibreOffice opens few files.

LibreOffice spends most of a small document's conversion on opening and
laying out the file, not on its pages. Documents made from the same styles
(our templates and stamps) are therefore put into one DOCX, each starting a new
section with a bookmark; the PDF's named destinations then tell where each one
begins, and each document is a :class:`PdfPart` (a page range) of that PDF. DOCX files of other
origins (a clerk's own attachment) are converted on their own, in the same run.
"""

from __future__ import annotations

import copy
import itertools
import zipfile
from pathlib import Path
from typing import Any

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from lxml import etree
from pypdf import PdfReader

from paperwork.binder.cache import Cache, digest, document_digest
from paperwork.binder.libreoffice import Converter, convert_batch
from paperwork.binder.page_ranges import PDF_ERRORS, PdfPart, readable_pages, whole_pdf
from paperwork.errors import ConversionError
from paperwork.render.fonts import SUBSTITUTES

__all__ = ["converter_salt", "pdfs_for"]

_MARK = "pwdoc"  # letters only: PDF names escape other characters
_RELATIONSHIP_ATTRS = ("r:id", "r:embed", "r:link", "headerReference", "footerReference")


def converter_salt() -> str:
    """What, besides the DOCX, decides the PDF: bump when the conversion set-up changes."""
    return digest("paperwork-conversion-v3", {k: list(v) for k, v in SUBSTITUTES.items()})


def _style_key(path: Path) -> str | None:
    """The styles a DOCX is made with, or None when it cannot be merged safely."""
    if path.suffix.lower() != ".docx" or not zipfile.is_zipfile(path):
        return None  # a .doc, or anything else LibreOffice is to open on its own
    with zipfile.ZipFile(path) as z:
        if "word/document.xml" not in z.namelist() or "word/styles.xml" not in z.namelist():
            return None
        body = z.read("word/document.xml").decode("utf-8", "replace")
        if any(f"{attr}=" in body or f"<w:{attr}" in body for attr in _RELATIONSHIP_ATTRS):
            return None
        names = set(z.namelist())
        if any(n.startswith(("word/header", "word/footer", "word/media")) for n in names):
            return None
        return digest(
            z.read("word/styles.xml"), z.read("word/settings.xml") if "word/settings.xml" in names else b""
        )


def _body(path: Path) -> list[Any]:
    """The body elements of a DOCX, read straight from its XML (faster than opening it)."""
    with zipfile.ZipFile(path) as z:
        root = etree.fromstring(z.read("word/document.xml"))
    body = root.find(qn("w:body"))
    return list(body) if body is not None else []


def _merge(docs: list[Path], out: Path) -> Path:
    merged = Document(str(docs[0]))
    body = merged.element.body
    for element in list(body):
        body.remove(element)
    for i, path in enumerate(docs):
        parts = _body(path)
        section = parts[-1] if parts and parts[-1].tag == qn("w:sectPr") else OxmlElement("w:sectPr")
        content = [copy.deepcopy(e) for e in parts if e is not section]
        first = next((e for e in content if e.tag == qn("w:p")), None)
        if first is None or content[0].tag != qn("w:p"):
            first = OxmlElement("w:p")
            content.insert(0, first)
        start = OxmlElement("w:bookmarkStart")
        start.set(qn("w:id"), str(900000 + i))
        start.set(qn("w:name"), f"{_MARK}{i:05d}")
        end = OxmlElement("w:bookmarkEnd")
        end.set(qn("w:id"), str(900000 + i))
        ppr = first.find(qn("w:pPr"))
        if ppr is not None:
            ppr.addnext(start)
        else:
            first.insert(0, start)
        start.addnext(end)
        for element in content:
            body.append(element)
        if i < len(docs) - 1:  # this document's page set-up ends with a section break
            carrier = OxmlElement("w:p")
            props = OxmlElement("w:pPr")
            props.append(copy.deepcopy(section))
            carrier.append(props)
            body.append(carrier)
        else:
            body.append(copy.deepcopy(section))
    merged.save(str(out))
    return out


def _bounds(pdf: Path, count: int) -> list[tuple[int, int]] | None:
    """Where each of ``count`` merged documents lies in the PDF, from its named destinations."""
    reader = PdfReader(str(pdf))
    starts: dict[int, int] = {}
    for name, dest in reader.named_destinations.items():
        label = str(name).lstrip("/")
        if label.startswith(_MARK):
            page = reader.get_destination_page_number(dest)
            if page is not None:
                starts[int(label[len(_MARK) :])] = page
    if sorted(starts) != list(range(count)):
        return None
    edges = [starts[i] for i in range(count)] + [len(reader.pages)]
    if any(b >= e for b, e in itertools.pairwise(edges)):
        return None
    return list(itertools.pairwise(edges))


def _converted(
    batch: Converter, inputs: list[Path], outdir: Path, origin: dict[Path, list[Path]]
) -> list[Path]:
    """Run LibreOffice and check what it made; errors name the build's documents, not our copies."""
    try:
        pdfs = batch(inputs, outdir)
    except ConversionError as exc:
        failed = tuple(d for f in exc.files for d in origin.get(f, [f]))
        if not failed:
            raise
        names = "、".join(d.name for d in failed)
        raise ConversionError(f"LibreOffice 无法把这些文件转换成 PDF：{names}（{exc}）", failed) from None
    for source, pdf in zip(inputs, pdfs, strict=True):
        try:
            if not readable_pages(pdf):
                raise ValueError("没有页面")
        except PDF_ERRORS as exc:
            failed = tuple(origin.get(source, [source]))
            names = "、".join(d.name for d in failed)
            raise ConversionError(f"LibreOffice 为 {names} 产生的 PDF 已损坏（{exc}）", failed) from None
    return pdfs


def pdfs_for(
    docs: list[Path], workdir: Path, cache: Cache, batch: Converter = convert_batch
) -> list[PdfPart]:
    """The PDF pages of each of ``docs`` (in order): from the cache, else from one LibreOffice run."""
    salt = converter_salt()
    keys = [digest(salt, document_digest(d)) for d in docs]
    result: dict[int, PdfPart] = {}
    todo: list[int] = []
    first_of: dict[str, int] = {}
    copies: list[tuple[int, int]] = []
    for i, key in enumerate(keys):
        if key in first_of:  # the same document twice: convert it once
            copies.append((i, first_of[key]))
            continue
        first_of[key] = i
        hit = cache.get_pdf(key)
        if hit is not None:
            result[i] = hit
        else:
            todo.append(i)
    if todo:
        workdir.mkdir(parents=True, exist_ok=True)
        groups: dict[str, list[int]] = {}
        alone: list[int] = []
        for i in todo:
            style = _style_key(docs[i])
            if style is None:
                alone.append(i)
            else:
                groups.setdefault(style, []).append(i)
        inputs: list[Path] = []
        plan: list[tuple[str, list[int]]] = []
        for n, members in enumerate(groups.values()):
            if len(members) == 1:
                alone.extend(members)
                continue
            merged = _merge([docs[i] for i in members], workdir / f"merged-{n:03d}.docx")
            inputs.append(merged)
            plan.append(("merged", members))
        for i in alone:
            staged = workdir / f"single-{i:05d}{docs[i].suffix}"
            staged.write_bytes(docs[i].read_bytes())
            inputs.append(staged)
            plan.append(("single", [i]))
        origin = {path: [docs[i] for i in members] for path, (_, members) in zip(inputs, plan, strict=True)}
        pdfs = _converted(batch, inputs, workdir / "pdf", origin)
        retry: list[int] = []
        made: dict[int, Path] = {}
        for (kind, members), pdf in zip(plan, pdfs, strict=True):
            if kind == "single":
                made[members[0]] = pdf
                continue
            bounds = _bounds(pdf, len(members))
            if bounds is None:  # no usable bookmarks: convert these one by one
                retry.extend(members)
                continue
            # the merged PDF is kept whole; each document is a page range of it
            blob = cache.put("blob", digest(*(keys[i] for i in members)), ".pdf", pdf)
            for i, (start, end) in zip(members, bounds, strict=True):
                result[i] = PdfPart(blob, start, end)
                cache.put_slice(keys[i], result[i])
        if retry:
            again: list[Path] = []
            for i in retry:
                path = workdir / f"retry-{i:05d}{docs[i].suffix}"
                path.write_bytes(docs[i].read_bytes())
                again.append(path)
            origin = {path: [docs[i]] for path, i in zip(again, retry, strict=True)}
            for i, pdf in zip(retry, _converted(batch, again, workdir / "pdf-retry", origin), strict=True):
                made[i] = pdf
        for i, pdf in made.items():
            result[i] = whole_pdf(cache.put("pdf", keys[i], ".pdf", pdf))
    for i, original in copies:
        result[i] = result[original]
    return [result[i] for i in range(len(docs))]
