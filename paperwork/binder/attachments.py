"""A paper's own file, judged by what it holds, not by its name.

A PDF is bound as it is (an owner password that the empty user password opens is
fine); an image — JPG, PNG, or any format Pillow reads, every frame of a multi-page
TIFF or GIF counted — is wrapped on A4; a DOCX, DOC or RTF goes to LibreOffice with
the forms. A file that cannot be read, is encrypted, is macro-enabled or is of a kind
we cannot bind is an :class:`AttachmentError` that names the paper and the file.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from pathlib import Path

import img2pdf
import pikepdf
from PIL import Image, ImageSequence, UnidentifiedImageError
from pypdf import PdfReader

from paperwork.binder.page_ranges import A4, PDF_ERRORS, PdfPart, readable_pages
from paperwork.errors import AttachmentError
from paperwork.files import FileKind, Sniffed, sniff_file

__all__ = ["FileKind", "Sniffed", "check_office", "check_pdf", "garbled", "image_to_pdf", "sniff"]

#: Images larger than this are refused, not decoded (a 20000×20000 PNG is 400 M pixels).
MAX_PIXELS = 100_000_000


def _missing(path: Path, title: str) -> AttachmentError:
    return AttachmentError(f"{title}的文件 {path} 不存在；请核对 file 路径")


def sniff(path: Path, title: str) -> Sniffed:
    """Decide a file's kind by its content; AttachmentError when it is nothing we can bind.

    Beyond the kinds :func:`paperwork.files.sniff` knows, any image Pillow can open is taken.
    """
    if not path.is_file():
        raise _missing(path, title)
    known = sniff_file(path)
    if known is not None:
        return known  # an image is decoded in full later: damage shows there
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                img.format  # noqa: B018  (opening reads the header only)
        return Sniffed("image", path.suffix.lower() or ".img")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        pass
    described = f"后缀 {path.suffix}" if path.suffix else "没有后缀"
    raise AttachmentError(
        f"{title}的文件 {path}（{described}）不是能装订的格式；请提供 PDF、JPG、PNG、TIF、DOCX 或 DOC"
    )


def check_pdf(path: Path, title: str) -> int:
    """Open a PDF to make sure it is whole and opens without a password; return its page count."""
    if not path.is_file():
        raise _missing(path, title)
    try:
        count = readable_pages(path)
    except pikepdf.PasswordError:
        raise AttachmentError(
            f"{title}的文件 {path} 已加密，要密码才能打开，无法装订；请提供未加密的 PDF"
        ) from None
    except PDF_ERRORS as exc:
        raise AttachmentError(f"{title}的文件 {path} 已损坏，无法读取（{exc}）；请重新扫描或导出") from None
    if count == 0:
        raise AttachmentError(f"{title}的文件 {path} 没有页面；请重新扫描或导出")
    return count


def _decoded(path: Path, title: str) -> tuple[int, str]:
    """Decode every frame fully (a cut-off JPEG fails here); returns (frames, format).

    A frame over MAX_PIXELS is refused before it is decoded (Pillow's own limit, a process-wide
    setting, is left as it is; a picture far over it is refused by Pillow first).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit decides
            with Image.open(path) as img:
                frames = 0
                for frame in ImageSequence.Iterator(img):
                    if frame.width * frame.height > MAX_PIXELS:
                        raise Image.DecompressionBombError(f"{frame.width}×{frame.height}")
                    if frame.format == "JPEG":  # decoded at 1/8 scale: every byte still read, 5× faster
                        frame.draft(frame.mode, (max(1, frame.width // 8), max(1, frame.height // 8)))
                    frame.load()
                    frames += 1
                return frames, str(img.format)
    except Image.DecompressionBombError:
        raise AttachmentError(
            f"{title}的图片 {path} 太大（超过 {MAX_PIXELS // 1_000_000} 百万像素），不像是扫描件；"
            "请用 300 dpi 以下重新扫描"
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise AttachmentError(f"{title}的图片 {path} 已损坏或不完整（{exc}）；请重新扫描") from None


def image_to_pdf(path: Path, title: str, out: Path) -> Path:
    """Wrap an image on A4 pages, one per frame: JPG without re-encoding, the rest losslessly."""
    if not path.is_file():
        raise _missing(path, title)
    frames, fmt = _decoded(path, title)
    with Image.open(path) as img:
        landscape = img.width > img.height
        cmyk = img.mode == "CMYK"
    # on an A4 page of its own orientation, reduced if larger, never enlarged into a blur;
    # the binder then turns and fits it into the stamp-safe area (see fitting.py)
    page = (A4[1], A4[0]) if landscape else A4
    layout = img2pdf.get_layout_fun(page, fit=img2pdf.FitMode.shrink)
    try:
        if frames == 1 and cmyk:  # printers' CMYK: as RGB, the colour an sRGB archive PDF describes
            data = img2pdf.convert(_rgb_jpeg(path), layout_fun=layout)
        elif frames == 1 and fmt in {"JPEG", "PNG"}:
            try:
                data = img2pdf.convert(str(path), layout_fun=layout, rotation=img2pdf.Rotation.ifvalid)
            except img2pdf.AlphaChannelError:
                data = img2pdf.convert(_flat_pngs(path), layout_fun=layout)
        else:
            data = img2pdf.convert(_flat_pngs(path), layout_fun=layout)
        out.write_bytes(data)
    except (OSError, img2pdf.ImageOpenError, ValueError) as exc:
        raise AttachmentError(f"{title}的图片 {path} 无法转换（{exc}）；请另存为 JPG 或 PDF") from None
    return out


def _rgb_jpeg(path: Path) -> bytes:
    """A CMYK image as an RGB JPEG: through its own ICC profile when it has one (littleCMS), else
    by Pillow's plain conversion."""
    with Image.open(path) as img:
        rgb: Image.Image | None = None
        profile = img.info.get("icc_profile")
        if profile:
            rgb = _through_profile(img, profile)
        if rgb is None:
            rgb = img.convert("RGB")
        buffer = io.BytesIO()
        rgb.save(buffer, format="JPEG", quality=92, dpi=img.info.get("dpi", (300, 300)))
        return buffer.getvalue()


def _through_profile(img: Image.Image, profile: bytes) -> Image.Image | None:
    try:
        from PIL import ImageCms
    except ImportError:  # a Pillow built without littleCMS
        return None
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
        return ImageCms.profileToProfile(img, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
    except (OSError, ValueError, ImageCms.PyCMSError):
        return None


def _flat_pngs(path: Path) -> list[bytes]:
    """Every frame as a PNG on white (PDF has no place for transparency), losslessly."""
    pages = []
    with Image.open(path) as img:
        for frame in ImageSequence.Iterator(img):
            rgba = frame.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")
            flat.paste(rgba, mask=rgba.getchannel("A"))
            buffer = io.BytesIO()
            flat.save(buffer, format="PNG")
            pages.append(buffer.getvalue())
    return pages


def check_office(path: Path, title: str) -> None:
    """A DOCX must be a whole Word document without macros; a DOC must be a Word 97 file (or RTF)."""
    sniffed = sniff(path, title)
    if sniffed.suffix != ".docx":
        return
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            if "word/document.xml" not in names:
                raise AttachmentError(f"{title}的文件 {path} 不是 Word 文档；请另存为 DOCX")
            types = z.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
            if b"macroEnabled" in types or "word/vbaProject.bin" in names:
                raise AttachmentError(
                    f"{title}的文件 {path} 是启用宏的 Word 文档（.docm），无法装订；请在 Word 中另存为 .docx"
                )
            if z.testzip() is not None:
                raise zipfile.BadZipFile("CRC")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
        raise AttachmentError(f"{title}的文件 {path} 已损坏（不是有效的 DOCX）；请重新保存") from None


#: A Word file's parts that hold text laid out in rows and lines.
_LAID_OUT = re.compile(r"word/(document|header\d*|footer\d*|footnotes|endnotes)\.xml")
#: Fixed row heights and fixed line spacing: what clips a filled form when its text runs longer,
#: or its fonts are a little wider, than the form's author had.
_EXACT = re.compile(rb'(w:(?:hRule|lineRule)=")exact(")')


def relaxed_docx(source: Path, target: Path) -> Path:
    """A copy of the DOCX ``source`` at ``target`` whose fixed row heights and line spacing are
    minimums instead (``exact`` → ``atLeast``): a filled form's rows grow with their text instead of
    cutting it off. Everything else is copied as it is."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item)
            if _LAID_OUT.fullmatch(item.filename):
                data = _EXACT.sub(rb"\1atLeast\2", data)
            zout.writestr(item, data)
    return target


def _common(c: str) -> bool:
    """A character papers are written in: ASCII, CJK punctuation and full-width forms, the 3,755 common
    characters of GB 2312 (level 1) and its symbols. Bytes taken for text come out mostly as rare
    ideographs, Hangul, private-use or replacement characters instead."""
    if " " <= c <= "~" or "\u3000" <= c <= "\u303f" or "\uff00" <= c <= "\uffef":
        return True
    try:
        code = c.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(code) == 2 and (0xA1 <= code[0] <= 0xA9 or 0xB0 <= code[0] <= 0xD7)


def garbled(part: PdfPart, sample: int = 3) -> bool:
    """Whether the first pages LibreOffice made of a Word file are mostly characters no paper is
    written in — damaged or random bytes under a Word name, not a paper. A file without text (a
    scan pasted into Word) is not garbled."""
    try:
        reader = PdfReader(part.path)
        text = "".join(
            reader.pages[i].extract_text() or ""
            for i in range(part.start, min(part.end, part.start + sample))
        )
    except PDF_ERRORS:  # an unreadable output is judged where it is bound
        return False
    chars = [c for c in text if not c.isspace()]
    return len(chars) >= 20 and sum(not _common(c) for c in chars) / len(chars) > 0.4
