"""Scans as the intake sees them: files found under the paths given, each page as an image.

A PDF is one paper (its pages rendered at 150 dpi by pdfium). JPG and PNG files are
single pages; those in one folder, in name order, are grouped into papers later
(a scanner that writes one file per page). What a file is, is decided by its content.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from paperwork.errors import PaperworkError
from paperwork.files import sniff_file

__all__ = ["DPI", "Page", "ScanFile", "collect", "pages_of"]

DPI = 150
_MAX_SIDE = 2600  # a 300-dpi A4 scan is read at about 150 dpi: the models see 2000 px at most anyway
ScanKind = Literal["pdf", "image"]


@dataclass(frozen=True)
class ScanFile:
    path: Path
    kind: ScanKind


@dataclass(frozen=True)
class Page:
    """One page image (PNG bytes) of a scan file; ``index`` counts from 0."""

    file: Path
    index: int
    image: bytes
    height: float  # pixels: where "the top of the page" ends


def _kind(path: Path) -> ScanKind | None:
    """pdf or image by content (:func:`paperwork.files.sniff`); None for anything else."""
    try:
        sniffed = sniff_file(path)
    except OSError:
        return None
    if sniffed is None or sniffed.kind == "office":
        return None
    return sniffed.kind


def collect(paths: Iterable[Path]) -> tuple[list[ScanFile], list[tuple[Path, str]]]:
    """Every scan under ``paths`` (folders searched, name order), and the files skipped with why."""
    found: list[ScanFile] = []
    skipped: list[tuple[Path, str]] = []
    for path in paths:
        if path.is_dir():
            files = sorted(
                (p for p in path.rglob("*") if p.is_file() and not any(s.startswith(".") for s in p.parts)),
                key=lambda p: (str(p.parent), _natural(p.name)),
            )
        elif path.is_file():
            files = [path]
        else:
            raise PaperworkError(f"{path} 不存在；请给出扫描件文件或文件夹")
        for file in files:
            kind = _kind(file)
            if kind is None:
                if path.is_file() or file.suffix.lower() in {
                    ".pdf",
                    ".jpg",
                    ".jpeg",
                    ".png",
                    ".tif",
                    ".tiff",
                }:
                    skipped.append((file, "不是 PDF、JPG 或 PNG（按文件内容判断）"))
                continue
            found.append(ScanFile(file, kind))
    return found, skipped


def _natural(name: str) -> tuple[object, ...]:
    """页2 before 页10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def pages_of(scan: ScanFile) -> list[Page]:
    """The page images of a scan file; PaperworkError naming the file when it cannot be read."""
    try:
        if scan.kind == "pdf":
            return _pdf_pages(scan.path)
        png, height = _image_png(scan.path.read_bytes())
        return [Page(scan.path, 0, png, height)]
    except PaperworkError:
        raise
    except _damage() as exc:  # a damaged file: named, never a traceback
        raise PaperworkError(f"扫描件 {scan.path} 无法读取：{exc}") from None


def _damage() -> tuple[type[BaseException], ...]:
    """What pdfium (its PdfiumError is a RuntimeError) and Pillow raise on a damaged or absurd file."""
    from PIL import Image

    return (
        OSError,
        ValueError,
        RuntimeError,
        SyntaxError,
        EOFError,
        MemoryError,
        Image.DecompressionBombError,
    )


def _pdf_pages(path: Path) -> list[Page]:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for index in range(len(pdf)):
            page = pdf[index]
            width, height = page.get_size()
            scale = min(DPI / 72, _MAX_SIDE / max(width, height, 1))
            img = _ink(page.render(scale=scale).to_pil())
            buffer = io.BytesIO()
            img.save(
                buffer, format="PNG", compress_level=1
            )  # level 6 took 0.4 s a page, as long as reading it
            pages.append(Page(path, index, buffer.getvalue(), float(img.size[1])))
            page.close()
        return pages
    finally:
        pdf.close()


def _image_png(data: bytes) -> tuple[bytes, float]:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as img:
        img = _ink(ImageOps.exif_transpose(img) or img)
        if max(img.size) > _MAX_SIDE:
            img.thumbnail((_MAX_SIDE, _MAX_SIDE))
        buffer = io.BytesIO()
        img.save(buffer, format="PNG", compress_level=1)
        return buffer.getvalue(), float(img.size[1])


def _ink(img: Any) -> Any:
    """One grey channel in which the red of a seal fades and black and blue ink stay dark: the red
    channel (a seal stamped over a date is what hides the date from OCR)."""
    if img.mode in {"L", "1", "I;16", "I"}:
        return img.convert("L")
    return img.convert("RGB").getchannel("R")
