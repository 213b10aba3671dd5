"""A paper's own file: a PDF (pages copied as they are), a JPG/PNG (lossless, fitted
to A4), or a DOCX/DOC (converted with the forms). Broken files are errors that
name the file and the paper."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Literal

import img2pdf
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

from paperwork.errors import AttachmentError

__all__ = ["FileKind", "check_office", "check_pdf", "image_to_pdf", "kind_of"]

FileKind = Literal["pdf", "image", "office"]
_A4 = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))


def kind_of(path: Path, title: str) -> FileKind:
    """What kind of file a paper's ``file`` is, by its suffix."""
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        return "pdf"
    if suffix in {".jpg", ".jpeg", ".png"}:
        return "image"
    if suffix in {".docx", ".doc"}:
        return "office"
    raise AttachmentError(
        f"{title}的文件 {path.name} 是不支持的格式（{suffix or '无后缀'}）；请用 PDF、JPG、PNG、DOCX 或 DOC"
    )


def check_pdf(path: Path, title: str) -> int:
    """Open a PDF to make sure it is whole and not encrypted; return its page count."""
    if not path.is_file():
        raise AttachmentError(f"{title}的文件 {path} 不存在；请核对 file 路径")
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise AttachmentError(f"{title}的文件 {path} 已加密，无法装订；请提供未加密的 PDF")
        count = len(reader.pages)
    except AttachmentError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise AttachmentError(f"{title}的文件 {path} 已损坏，无法读取（{exc}）；请重新扫描或导出") from None
    if count == 0:
        raise AttachmentError(f"{title}的文件 {path} 没有页面；请重新扫描或导出")
    return count


def image_to_pdf(path: Path, title: str, out: Path) -> Path:
    """Wrap a JPG/PNG in a one-page A4 PDF without re-encoding (JPG) or losslessly (PNG)."""
    if not path.is_file():
        raise AttachmentError(f"{title}的文件 {path} 不存在；请核对 file 路径")
    layout = img2pdf.get_layout_fun(_A4, fit=img2pdf.FitMode.into)
    try:
        with Image.open(path) as img:
            img.verify()
        try:
            out.write_bytes(img2pdf.convert(str(path), layout_fun=layout, rotation=img2pdf.Rotation.ifvalid))
        except img2pdf.AlphaChannelError:
            # PDF has no place for a PNG's transparency: flatten it onto white, losslessly as PNG
            with Image.open(path) as img:
                flat = Image.new("RGB", img.size, "white")
                flat.paste(img.convert("RGBA"), mask=img.convert("RGBA").getchannel("A"))
                buffer = io.BytesIO()
                flat.save(buffer, format="PNG")
            out.write_bytes(img2pdf.convert(buffer.getvalue(), layout_fun=layout))
    except (UnidentifiedImageError, OSError, SyntaxError, img2pdf.ImageOpenError, ValueError) as exc:
        raise AttachmentError(f"{title}的图片 {path} 已损坏或无法识别（{exc}）；请重新扫描") from None
    return out


def check_office(path: Path, title: str) -> None:
    """A DOCX must be a readable zip; a DOC is left to LibreOffice."""
    if not path.is_file():
        raise AttachmentError(f"{title}的文件 {path} 不存在；请核对 file 路径")
    if path.suffix.lower() == ".docx":
        try:
            with zipfile.ZipFile(path) as z:
                if "word/document.xml" not in z.namelist():
                    raise AttachmentError(f"{title}的文件 {path} 不是 Word 文档；请另存为 DOCX")
        except zipfile.BadZipFile:
            raise AttachmentError(f"{title}的文件 {path} 已损坏（不是有效的 DOCX）；请重新保存") from None
