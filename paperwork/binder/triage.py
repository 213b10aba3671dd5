"""An attached PDF made fit for a PDF/A binder, before it is bound.

What the archive standard asks of a page (ISO 19005-2, 6.2) is decided by what the page holds:

- form fields and other annotations are drawn into the page (their appearance made where the
  PDF left that to the reader, then flattened): an archive page draws the same everywhere;
- a page whose **Chinese** fonts are not embedded is turned into an image at 300 dpi, drawn by
  poppler, which finds a Chinese font for them through fontconfig (Ghostscript draws the wrong
  characters for those, silently); the 备考表 says which pages were;
- a PDF whose Latin fonts are not embedded, or that paints in DeviceCMYK, goes through
  Ghostscript's PDF/A pass, which embeds the fonts (URW's metric twins of the standard 14) and
  converts colour to RGB, as OCRmyPDF does.

Everything else of the PDF (JavaScript, document actions, attachments) never reaches the binder:
only pages are copied, and :func:`paperwork.binder.fitting.defang` and the finishing step clean those.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import img2pdf
import pikepdf
from pikepdf import Array, Dictionary, Name

from paperwork.binder.archival import srgb_profile
from paperwork.errors import AttachmentError, ConversionError

__all__ = ["RASTER_DPI", "FontUse", "Triaged", "archivable", "unembedded_fonts"]

RASTER_DPI = 300
#: Character collections and encodings of Chinese, Japanese and Korean fonts.
_CJK_ORDERINGS = {"GB1", "CNS1", "Japan1", "Korea1", "KR", "Identity"}
_CJK_NAMES = (
    "song", "sun", "hei", "kai", "fang", "ming", "gothic", "mincho", "batang", "gulim", "yahei", "stsong",
    "stheiti", "msung", "mhei", "hysm", "hygo", "heiseimin", "heiseikaku", "simsun", "simhei",
)  # fmt: skip
_TIMEOUT = 300


@dataclass(frozen=True)
class FontUse:
    """A font a page uses that is not embedded: its name, and whether it writes Chinese (CJK)."""

    name: str
    cjk: bool


@dataclass(frozen=True)
class Triaged:
    """The PDF to bind, and a line for the 备考表 for each change a reader would see."""

    path: Path
    notes: tuple[str, ...] = ()


def _font_name(font: Dictionary) -> str:
    raw = font.get("/BaseFont")
    if isinstance(raw, Name):
        return str(raw)[1:]
    return "（无名字体）"


def _embedded(font: Dictionary) -> bool:
    kind = font.get("/Subtype")
    if kind == "/Type3":
        return True  # drawn by the PDF's own procedures
    if kind == "/Type0":
        descendants = font.get("/DescendantFonts")
        if not isinstance(descendants, Array) or len(descendants) == 0:
            return False
        inner = descendants[0]
        return isinstance(inner, Dictionary) and _embedded(inner)
    descriptor = font.get("/FontDescriptor")
    if not isinstance(descriptor, Dictionary):
        return False
    return any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def _writes_chinese(font: Dictionary) -> bool:
    """Whether a font sets CJK text: a composite font (Latin ones are simple fonts), a CJK character
    collection or CMap, or a name that is not ASCII or is one of the CJK families'."""
    name = _font_name(font)
    if font.get("/Subtype") == "/Type0":
        return True
    if not name.isascii() or "#" in name:  # 宋体 written as #CB#CE#CC#E5
        return True
    lowered = name.lower().split("+")[-1]
    return any(part in lowered for part in _CJK_NAMES)


def _resources_fonts(resources: object, seen: set[tuple[int, int]], depth: int = 0) -> Iterator[Dictionary]:
    if not isinstance(resources, Dictionary) or depth > 16:
        return
    fonts = resources.get("/Font")
    if isinstance(fonts, Dictionary):
        for _, font in fonts.items():
            if isinstance(font, Dictionary):
                yield font
                if font.get("/Subtype") == "/Type3":
                    yield from _resources_fonts(font.get("/Resources"), seen, depth + 1)
    xobjects = resources.get("/XObject")
    if isinstance(xobjects, Dictionary):
        for _, xobject in xobjects.items():
            if not isinstance(xobject, pikepdf.Stream) or xobject.get("/Subtype") != "/Form":
                continue
            if xobject.is_indirect:
                if xobject.objgen in seen:
                    continue
                seen.add(xobject.objgen)
            yield from _resources_fonts(xobject.get("/Resources"), seen, depth + 1)


def unembedded_fonts(page: pikepdf.Page) -> tuple[FontUse, ...]:
    """The fonts a page (and the forms it draws) uses without their font program."""
    found: dict[str, FontUse] = {}
    for font in _resources_fonts(page.obj.get("/Resources"), set()):
        if not _embedded(font):
            name = _font_name(font)
            found[name] = FontUse(name, _writes_chinese(font))
    return tuple(found.values())


def _paints_cmyk(pdf: pikepdf.Pdf) -> bool:
    """Whether anything in the PDF paints in DeviceCMYK (which an sRGB OutputIntent does not cover)."""
    for obj in pdf.objects:  # images, shadings, an Indexed space over CMYK
        if isinstance(obj, Dictionary | pikepdf.Stream):
            space = obj.get("/ColorSpace")
            if space == "/DeviceCMYK" or (isinstance(space, Array) and "/DeviceCMYK" in list(space)):
                return True
    for page in pdf.pages:
        try:
            for instruction in pikepdf.parse_content_stream(page):
                if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                    continue
                operands, operator = instruction.operands, instruction.operator
                if str(operator) in {"k", "K"}:
                    return True
                if str(operator) in {"cs", "CS"} and operands and operands[0] == "/DeviceCMYK":
                    return True
        except pikepdf.PdfError:
            return True  # a page we cannot read through: let Ghostscript redraw it
    return False


def _flatten(pdf: pikepdf.Pdf) -> bool:
    """Form fields and annotations drawn into the pages; True when there were any."""
    drawn = [
        a
        for p in pdf.pages
        if isinstance(p.obj.get("/Annots"), Array)
        for a in p.obj.Annots
        if isinstance(a, Dictionary) and a.get("/Subtype") not in {"/Link", "/Popup"}
    ]
    has_form = isinstance(pdf.Root.get("/AcroForm"), Dictionary)
    if not drawn and not has_form:
        return False
    if has_form:
        pdf.generate_appearance_streams()  # a field whose look the PDF left to the reader
    pdf.flatten_annotations("print")
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if isinstance(annots, Array):
            links = Array([a for a in annots if isinstance(a, Dictionary) and a.get("/Subtype") == "/Link"])
            if len(links):
                page.obj.Annots = links
            else:
                del page.obj["/Annots"]
    if "/AcroForm" in pdf.Root:  # qpdf drops it once no field is left
        del pdf.Root["/AcroForm"]
    return True


def _rasterised(source: Path, index: int, stage: Callable[[str], Path]) -> pikepdf.Pdf:
    """One page drawn by poppler at RASTER_DPI, as a one-page PDF of the page's size."""
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        raise ConversionError(
            "转成 PDF/A 需要 pdftoppm（poppler-utils）；请安装：sudo apt-get install poppler-utils"
        )
    prefix = stage("")
    try:
        subprocess.run(
            [pdftoppm, "-r", str(RASTER_DPI), "-f", str(index + 1), "-l", str(index + 1), "-png",
             "-singlefile", str(source), str(prefix)],
            check=True, capture_output=True, timeout=_TIMEOUT,
        )  # fmt: skip
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        raise ConversionError(f"无法把 {source.name} 的第 {index + 1} 页转成图像（{exc}）") from None
    image = prefix.with_name(prefix.name + ".png")
    layout = img2pdf.get_fixed_dpi_layout_fun((RASTER_DPI, RASTER_DPI))
    made = stage(".pdf")
    made.write_bytes(img2pdf.convert(str(image), layout_fun=layout))
    return pikepdf.open(made)


def _ghostscript(source: Path, target: Path, stage: Callable[[str], Path]) -> None:
    """Ghostscript's PDF/A-2 pass: every font embedded, colour converted to RGB, images kept lossless."""
    gs = shutil.which("gs") or shutil.which("gswin64c") or shutil.which("gswin32c")
    if gs is None:
        raise ConversionError(
            "转成 PDF/A 需要 Ghostscript（它嵌入附件缺的字体）；请安装：sudo apt-get install ghostscript"
        )
    icc = stage(".icc")
    icc.write_bytes(srgb_profile())
    definition = stage(".ps")
    path = str(icc).replace("\\", "/").replace("(", "\\(").replace(")", "\\)")
    definition.write_text(
        "%!\n"
        f"/ICCProfile ({path}) def\n"
        "[/_objdef {icc_PDFA} /type /stream /OBJ pdfmark\n"
        "[{icc_PDFA} << /N 3 >> /PUT pdfmark\n"
        "[{icc_PDFA} ICCProfile (r) file /PUT pdfmark\n"
        "[/_objdef {OutputIntent_PDFA} /type /dict /OBJ pdfmark\n"
        "[{OutputIntent_PDFA} << /Type /OutputIntent /S /GTS_PDFA1 /DestOutputProfile {icc_PDFA}"
        " /OutputConditionIdentifier (sRGB) >> /PUT pdfmark\n"
        "[{Catalog} << /OutputIntents [ {OutputIntent_PDFA} ] >> /PUT pdfmark\n",
        encoding="ascii",
    )
    command = [
        gs, "-dQUIET", "-dBATCH", "-dNOPAUSE", "-dSAFER", f"--permit-file-read={icc}",
        "-sDEVICE=pdfwrite", "-dCompatibilityLevel=1.7", "-dPDFA=2", "-dPDFACompatibilityPolicy=1",
        "-sColorConversionStrategy=RGB", "-sProcessColorModel=DeviceRGB", "-dAutoRotatePages=/None",
        "-dEmbedAllFonts=true", "-dSubsetFonts=true",
        "-dAutoFilterColorImages=false", "-dColorImageFilter=/FlateEncode",
        "-dAutoFilterGrayImages=false", "-dGrayImageFilter=/FlateEncode",
        "-dDownsampleColorImages=false", "-dDownsampleGrayImages=false", "-dDownsampleMonoImages=false",
        f"-sOutputFile={target}", str(definition), str(source),
    ]  # fmt: skip
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=_TIMEOUT)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        raise ConversionError(f"Ghostscript 无法处理 {source.name}（{exc}）") from None


def archivable(path: Path, label: str, stage: Callable[[str], Path]) -> Triaged:
    """``path`` (an attached PDF, already checked to open) made fit for a PDF/A binder.

    ``stage`` gives a fresh working file name with the suffix asked for. The PDF itself is never
    changed; a changed copy is returned when anything had to change.
    """
    try:
        return _archivable(path, label, stage)
    except pikepdf.PdfError as exc:
        raise AttachmentError(f"{label}的文件 {path} 无法读取（{exc}）；请重新扫描或导出") from None


def _archivable(path: Path, label: str, stage: Callable[[str], Path]) -> Triaged:
    notes: list[str] = []
    with pikepdf.open(path) as pdf:
        changed = _flatten(pdf)
        if changed:
            notes.append(f"{label}中的表单域和批注已固定到页面上")
        raster = [i for i, page in enumerate(pdf.pages) if any(f.cjk for f in unembedded_fonts(page))]
        if raster:
            flattened = stage(".pdf")
            pdf.save(flattened)  # poppler draws what the flattened pages show
            for i in raster:
                with _rasterised(flattened, i, stage) as image:
                    pdf.pages.insert(i, image.pages[0])
                    del pdf.pages[i + 1]
            pages = "、".join(str(i + 1) for i in raster)
            notes.append(f"{label}第 {pages} 页的中文字体未嵌入，已按 {RASTER_DPI} dpi 转为图像")
            changed = True
        latin = any(unembedded_fonts(page) for page in pdf.pages)
        cmyk = _paints_cmyk(pdf)
        if not changed and not latin and not cmyk:
            return Triaged(path)
        current = stage(".pdf")
        pdf.save(current)
    if latin or cmyk:
        target = stage(".pdf")
        _ghostscript(current, target, stage)
        current = target
    return Triaged(current, tuple(notes))
