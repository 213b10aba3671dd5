"""Attachments that are hard on a PDF/A binder, made two ways: PDF objects written by hand with
pikepdf (as odd producers write them) and PostScript run through Ghostscript (as a print driver
makes them). Each returns the text a reader should still find on its pages."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pikepdf
from pikepdf import Array, Dictionary, Name, String
from PIL import Image, ImageDraw

A4 = (595.28, 841.89)


def _page(pdf: pikepdf.Pdf, content: bytes, fonts: Dictionary | None = None) -> pikepdf.Page:
    resources = Dictionary()
    if fonts is not None:
        resources.Font = fonts
    page = pikepdf.Page(
        Dictionary(
            Type=Name.Page,
            MediaBox=Array([0, 0, *A4]),
            Contents=pdf.make_stream(content),
            Resources=resources,
        )
    )
    pdf.pages.append(page)
    return pdf.pages[-1]


def latin_unembedded(path: Path) -> list[str]:
    """Helvetica and Times (the standard 14, no font program), and a TrueType 'Arial' with a
    descriptor but no font file."""
    pdf = pikepdf.new()
    arial = Dictionary(
        Type=Name.Font,
        Subtype=Name.TrueType,
        BaseFont=Name("/Arial"),
        FirstChar=32,
        LastChar=126,
        Widths=Array([556] * 95),
        Encoding=Name.WinAnsiEncoding,
        FontDescriptor=Dictionary(
            Type=Name.FontDescriptor,
            FontName=Name("/Arial"),
            Flags=32,
            FontBBox=Array([-665, -325, 2000, 1040]),
            ItalicAngle=0,
            Ascent=905,
            Descent=-212,
            CapHeight=716,
            StemV=80,
        ),
    )
    fonts = Dictionary(
        F1=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica),
        F2=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name("/Times-Roman")),
        F3=arial,
    )
    content = (
        b"BT /F1 28 Tf 72 700 Td (Acceptance Report 2023) Tj ET\n"
        b"BT /F2 20 Tf 72 640 Td (Transformer 630 kVA tested) Tj ET\n"
        b"BT /F3 16 Tf 72 590 Td (Serial SN 20230315) Tj ET\n"
    )
    _page(pdf, content, fonts)
    pdf.save(path)
    return ["Acceptance Report 2023", "Transformer 630 kVA tested", "Serial SN 20230315"]


def cjk_unembedded(path: Path) -> list[str]:
    """Page 1 in STSong-Light (Adobe-GB1, UniGB-UCS2-H) with no font program, as Acrobat's Asian
    font packs expect; page 2 Latin in Helvetica."""
    pdf = pikepdf.new()
    song = Dictionary(
        Type=Name.Font,
        Subtype=Name.Type0,
        BaseFont=Name("/STSong-Light"),
        Encoding=Name("/UniGB-UCS2-H"),
        DescendantFonts=Array(
            [
                Dictionary(
                    Type=Name.Font,
                    Subtype=Name.CIDFontType0,
                    BaseFont=Name("/STSong-Light"),
                    CIDSystemInfo=Dictionary(Registry=String("Adobe"), Ordering=String("GB1"), Supplement=2),
                    DW=1000,
                    FontDescriptor=Dictionary(
                        Type=Name.FontDescriptor,
                        FontName=Name("/STSong-Light"),
                        Flags=6,
                        FontBBox=Array([-25, -254, 1000, 880]),
                        ItalicAngle=0,
                        Ascent=880,
                        Descent=-120,
                        CapHeight=880,
                        StemV=93,
                    ),
                )
            ]
        ),
    )
    text = "受电工程竣工检验意见单"
    hexed = text.encode("utf-16-be").hex().encode()
    _page(pdf, b"BT /F1 32 Tf 72 700 Td <" + hexed + b"> Tj ET\n", Dictionary(F1=song))
    helv = Dictionary(F1=Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    _page(pdf, b"BT /F1 24 Tf 72 700 Td (Page two in Latin) Tj ET\n", helv)
    pdf.save(path)
    return [text, "Page two in Latin"]


def with_form_fields(path: Path) -> list[str]:
    """A text field whose look is left to the reader (NeedAppearances, no /AP) and a checkbox."""
    pdf = pikepdf.new()
    helv = Dictionary(
        Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica, Encoding=Name.WinAnsiEncoding
    )
    page = _page(pdf, b"BT /F1 18 Tf 72 760 Td (Customer name:) Tj ET\n", Dictionary(F1=helv))
    field = pdf.make_indirect(
        Dictionary(
            Type=Name.Annot,
            Subtype=Name.Widget,
            FT=Name.Tx,
            T=String("customer"),
            V=String("Shunde Textiles Ltd"),
            DA=String("/Helv 14 Tf 0 g"),
            Rect=Array([72, 700, 400, 730]),
            F=4,
            P=page.obj,
        )
    )
    page.obj.Annots = Array([field])
    pdf.Root.AcroForm = Dictionary(
        Fields=Array([field]),
        NeedAppearances=True,
        DA=String("/Helv 0 Tf 0 g"),
        DR=Dictionary(Font=Dictionary(Helv=helv)),
    )
    pdf.save(path)
    return ["Customer name:", "Shunde Textiles Ltd"]


def with_javascript(path: Path) -> list[str]:
    """JavaScript everywhere a PDF can hold it: on opening, in the name tree, on the page, on a link."""
    pdf = pikepdf.new()
    helv = Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica)
    page = _page(
        pdf,
        b"0 0 1 rg 72 600 200 100 re f\nBT /F1 20 Tf 72 760 Td (Scripted page) Tj ET\n",
        Dictionary(F1=helv),
    )
    js = Dictionary(S=Name.JavaScript, JS=String("app.alert('hello');"))
    pdf.Root.OpenAction = js
    pdf.Root.Names = Dictionary(JavaScript=Dictionary(Names=Array([String("x"), pdf.make_indirect(js)])))
    page.obj.AA = Dictionary(O=js)
    page.obj.Annots = Array(
        [
            pdf.make_indirect(
                Dictionary(Type=Name.Annot, Subtype=Name.Link, Rect=Array([72, 600, 272, 700]), A=js)
            )
        ]
    )
    pdf.save(path)
    return ["Scripted page"]


def cmyk_jpeg(path: Path) -> None:
    """A scan saved by a print shop's software: a CMYK JPEG with a red stamp on it."""
    img = Image.new("CMYK", (1240, 1754), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rectangle((100, 100, 1140, 300), fill=(0, 0, 0, 255))
    draw.ellipse((800, 1300, 1100, 1600), outline=(0, 255, 255, 0), width=12)
    img.save(path, "JPEG", quality=90, dpi=(150, 150))


def ghostscript_unembedded(path: Path) -> list[str]:
    """A PDF made the other way: PostScript through Ghostscript with its fonts left out."""
    gs = shutil.which("gs")
    assert gs is not None, "Ghostscript (gs) is needed"
    ps = path.with_suffix(".ps")
    ps.write_text(
        "%!PS\n/Courier findfont 22 scalefont setfont 72 700 moveto (Meter reading 004512) show\n"
        "/Helvetica-Bold findfont 18 scalefont setfont 72 650 moveto (Checked by the bureau) show\nshowpage\n",
        encoding="ascii",
    )
    subprocess.run(
        [gs, "-q", "-dBATCH", "-dNOPAUSE", "-dSAFER", "-sDEVICE=pdfwrite", "-dEmbedAllFonts=false",
         "-dSubsetFonts=false", f"-sOutputFile={path}", str(ps)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return ["Meter reading 004512", "Checked by the bureau"]
