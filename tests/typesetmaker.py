"""Bureau notices typeset by LibreOffice: a third way, apart from ``scanmaker``'s and ``noticemaker``'s
drawings with Pillow.

Each notice is a DOCX written with python-docx (a 版头 in red, the 文号 centred under it or at the
right with 签发人 at the left, the title, the 主送 line, a body that quotes other papers' dates —
with dots, in figures with spaces, in parentheses as 登记日期 — and other 文号, the 落款 with the
date centred under the issuing unit or at the right, a 抄送 and a 印发 line), laid out and
converted by LibreOffice, rendered by PDFium at 150 or 200 dpi, and then stamped as a bureau's
paper is: the red seal over the 落款 date (found by its text in the PDF), and on most a 收文
stamp at the top right carrying the day the bureau's register took it in — a later date in a box,
not the paper's own. Last, a scanner's turn, noise and JPEG; one is photographed instead. The body
is set in Noto Serif, in AR PL UKai (a 楷体, as many bureaus print) or in WenQuanYi Micro Hei.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import img2pdf
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from PIL import Image, ImageDraw, ImageFont

from tests.noticemaker import in_numerals, photographed, scanned_at
from tests.scanmaker import Expected, seal

FONTS = Path("/usr/share/fonts/opentype/noto")
UNIT = "国网北京市电力公司朝阳供电公司"


@dataclass(frozen=True)
class Typeset:
    """A notice: the title printed, the form's title it is, its own date and 文号, the rest of the page."""

    name: str
    title: str
    form_title: str
    date: str
    own_date_text: str  # the 落款 date as printed
    number: str | None
    body: tuple[str, ...]
    printed: str  # the 印发 line's date as printed
    received: str | None  # the 收文 stamp's date as printed (None: no stamp)
    signer: str = ""  # the 签发人 at the left of the 文号 line (none: the 文号 centred)
    centred_date: bool = False  # the 落款 date centred under the unit (else at the right)
    application_date: str | None = None
    dpi: int = 150
    printed_number: str = ""  # the 文号 as printed, where it differs from how it is written down
    font: str = "Noto Serif CJK SC"  # the body's typeface (a 公文's is often 仿宋 or 楷体)
    photo: bool = False  # photographed on a desk instead of scanned


def typeset_notices() -> list[Typeset]:
    return [
        Typeset(
            "typeset-review-result",
            "受电工程图纸审核结果通知单",
            "受电工程图纸审核结果通知单",
            "2024-03-12",
            "2024年3月12日",
            "朝供审图〔2024〕第8号",
            (
                "贵单位2024.02.26报送的受电工程设计图纸已收悉。",
                "登记日期：2024年2月27日",
                "2024年3月5日，我公司组织审查，依据朝供方案〔2024〕6号答复，提出意见如下：",
                "一、高压配电室进线柜应增设带电显示装置；",
                "二、请于2024年4月12日前将修改后的图纸重新报送。",
            ),
            "2024年3月13日印发",
            "2024.03.15",
        ),
        Typeset(
            "typeset-midcheck-result",
            "受电工程中间检查结果通知单",
            "受电工程中间检查结果通知单",
            "2024-05-20",
            in_numerals("2024-05-20"),
            "朝供中检〔2024〕15号",
            (
                "贵户报验的受电工程（报验日期 2024 年 5 月 14 日）已于2024-05-16完成中间检查。",
                "经检查，接地装置及电缆隐蔽工程符合设计要求，可继续施工。",
                "二〇二四年六月三十日前完成的部分，请在竣工检验时一并报验。",
            ),
            "2024年5月21日印发",
            "2024年5月23日",
            signer="赵立新",
            centred_date=True,
            dpi=200,
        ),
        Typeset(
            "typeset-reply",
            "供电方案答复单",
            "供电方案答复单",
            "2024-01-22",
            "2024 年 1 月 22 日",
            "朝供方案〔2024〕6号",
            (
                "申请日期：2024年1月8日",
                "贵户新装用电申请收悉。经现场勘查（勘查日期 2024年1月15日），答复如下：",
                "供电电压 10 千伏，受电容量 2000 千伏安，由 10kV 望京 2 号线 T 接，",
                "本答复自答复之日起一年内有效，至2025年1月21日止。",
            ),
            "2024年1月23日印发",
            "2024.01.25",
            application_date="2024-01-08",
        ),
        Typeset(
            "typeset-acceptance",
            "受电工程竣工验收单",
            "受电工程竣工验收单",
            "2024-09-03",
            "2024年9月3日",
            "朝供验收〔2024〕21号",  # printed 朝供验收（2024）21号, beside a 签发人 whose name has 见
            (
                "按照朝供中检〔2024〕15号通知，贵户2024年8月26日提出竣工检验申请。",
                "我公司于2024年8月30日组织验收，受电工程符合国家和行业标准，验收合格。",
            ),
            "2024年9月4日印发",
            None,
            signer="李见明",
            centred_date=True,
            printed_number="朝供验收（2024）21号",
        ),
        Typeset(
            "typeset-review-notice",
            "审图通知单",
            "审图通知单",
            "2024-03-18",
            in_numerals("2024-03-18"),
            None,
            (
                "根据朝供审图〔2024〕第8号通知，贵单位修改后的图纸已于2024年3月16日复核。",
                "请按审定的图纸组织施工，施工中如有变更，应重新报审。",
            ),
            "2024年3月19日印发",
            "2024年3月20日",
            dpi=200,
        ),
        Typeset(
            "typeset-midcheck-kai",
            "受电工程中间检查结果通知单",
            "受电工程中间检查结果通知单",
            "2024-06-03",
            "2024年6月3日",
            "朝供中检〔2024〕19号",
            (
                "2024年5月30日贵户提出中间检查申请（申请编号 ZJ-2024-0530），我公司于",
                "2024年6月1日派员检查，发现电缆沟防水处理不符合要求，请整改后于2024年6月15日前复检。",
                "登记日期：2024年5月31日",
            ),
            "2024年6月4日印发",
            "2024年6月6日",
            font="AR PL UKai CN",
            photo=True,
        ),
        Typeset(
            "typeset-acceptance-hei",
            "受电工程竣工验收单",
            "受电工程竣工验收单",
            "2024-10-15",
            in_numerals("2024-10-15"),
            "朝供验收〔2024〕27号",
            (
                "贵户于2024年10月8日提出的竣工检验申请收悉，依据朝供验收〔2024〕21号的整改意见，",
                "我公司于2024年10月14日复验，受电工程符合要求，验收合格，可办理接电手续。",
            ),
            "2024年10月16日印发",
            "2024.10.18",
            signer="周经纬",
            printed_number="朝供验收[2024]27号",
            font="WenQuanYi Micro Hei",
            centred_date=True,
            dpi=200,
        ),
    ]


def _run(
    paragraph: object,
    text: str,
    size: float,
    *,
    bold: bool = False,
    red: bool = False,
    font: str = "Noto Serif CJK SC",
) -> None:
    run = paragraph.add_run(text)  # type: ignore[attr-defined]
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = font
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
    if red:
        run.font.color.rgb = RGBColor(0xC8, 0x14, 0x19)


def _paragraph(doc: object, text: str, size: float, align: str, **style: Any) -> None:
    p = doc.add_paragraph()  # type: ignore[attr-defined]
    p.alignment = {
        "c": WD_ALIGN_PARAGRAPH.CENTER,
        "r": WD_ALIGN_PARAGRAPH.RIGHT,
        "l": WD_ALIGN_PARAGRAPH.LEFT,
    }[align]
    p.paragraph_format.space_after = Pt(4)
    _run(p, text, size, **style)


def notice_docx(n: Typeset, out: Path) -> Path:
    """The notice as a DOCX of one A4 page (GB/T 9704's order, LibreOffice's line breaking)."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(28)
    section.top_margin, section.bottom_margin = Mm(30), Mm(20)
    _paragraph(doc, f"{UNIT}文件", 24, "c", bold=True, red=True)
    number = n.printed_number or n.number
    if number and n.signer:
        _paragraph(doc, f"签发人：{n.signer}\t\t\t\t{number}", 12, "l")
    elif number:
        _paragraph(doc, number, 12, "c")
    _paragraph(doc, "━" * 26, 12, "c", red=True)
    _paragraph(doc, n.title, 18, "c", bold=True)
    _paragraph(doc, "北京望京科技园发展有限公司：", 12, "l", font=n.font)
    for line in n.body:
        p = doc.add_paragraph()
        p.paragraph_format.first_line_indent = Pt(24)
        p.paragraph_format.space_after = Pt(4)
        _run(p, line, 12, font=n.font)
    for _ in range(3):
        doc.add_paragraph()
    _paragraph(doc, UNIT, 12, "r", font=n.font)
    _paragraph(doc, n.own_date_text + ("　" * 5 if n.centred_date else ""), 12, "r", font=n.font)
    for _ in range(4):
        doc.add_paragraph()
    _paragraph(doc, "抄送：朝阳供电公司营销部，客户服务中心。", 10, "l")
    _paragraph(doc, f"朝阳供电公司办公室\t\t\t\t{n.printed}", 10, "l")
    doc.save(str(out))
    return out


def _box_of(pdf: Path, text: str, dpi: int) -> tuple[int, int, int, int]:
    """Where ``text`` is printed on the PDF's first page, in pixels at ``dpi`` (left, top, right, bottom)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    page = document[0]
    height = page.get_height()
    textpage = page.get_textpage()
    found = textpage.search(text.replace(" ", "")).get_next() or textpage.search(text).get_next()
    if found is None:
        raise AssertionError(f"{text} not in {pdf}")
    start, count = found
    boxes = [textpage.get_charbox(i) for i in range(start, start + count)]
    k = dpi / 72
    left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
    bottom, top = min(b[1] for b in boxes), max(b[3] for b in boxes)
    document.close()
    return int(left * k), int((height - top) * k), int(right * k), int((height - bottom) * k)


def _received(img: Image.Image, text: str, dpi: int) -> Image.Image:
    """A bureau's 收文 stamp at the top right: a red box with the unit, 收文, the day and a register number."""
    k = dpi / 150
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    red = (205, 35, 40, 190)
    x1, y0 = img.size[0] - int(70 * k), int(40 * k)
    x0, y1 = x1 - int(300 * k), y0 + int(120 * k)
    draw.rectangle((x0, y0, x1, y1), outline=red, width=max(2, int(4 * k)))
    font = ImageFont.truetype(str(FONTS / "NotoSansCJK-Bold.ttc"), int(22 * k))
    draw.text(((x0 + x1) // 2, y0 + int(22 * k)), "朝阳供电公司收文", font=font, fill=red, anchor="mm")
    draw.text(((x0 + x1) // 2, y0 + int(60 * k)), text, font=font, fill=red, anchor="mm")
    draw.text(((x0 + x1) // 2, y0 + int(96 * k)), "第 0127 号", font=font, fill=red, anchor="mm")
    base = img.convert("RGBA")
    base.alpha_composite(layer)
    return base.convert("RGB")


def make_typeset(folder: Path, seed: int = 31) -> list[Expected]:
    """Every typeset notice as a one-page scanned PDF in ``folder`` (LibreOffice lays them out); the answers."""
    import pypdfium2 as pdfium

    from paperwork.binder.libreoffice import convert_batch

    rng = random.Random(seed)
    work = folder.parent / f"{folder.name}-docx"  # beside the scans: intake reads only the scans
    work.mkdir(parents=True, exist_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    notices = typeset_notices()
    docs = [notice_docx(n, work / f"{n.name}.docx") for n in notices]
    pdfs = convert_batch(docs, work / "pdf")
    expected = []
    for n, pdf in zip(notices, pdfs, strict=True):
        document = pdfium.PdfDocument(str(pdf))
        page = document[0].render(scale=n.dpi / 72).to_pil().convert("RGB")
        document.close()
        left, top, right, bottom = _box_of(pdf, n.own_date_text.replace("　", ""), n.dpi)
        k = n.dpi / 150
        centre = ((left + right) // 2 - int(20 * k), (top + bottom) // 2 - int(10 * k))
        page = seal(page, centre, rng, scale=k)
        if n.received:
            page = _received(page, n.received, n.dpi)
        if n.photo:
            page = photographed(page, rng)
        (folder / f"{n.name}.pdf").write_bytes(img2pdf.convert([scanned_at(page, rng, n.dpi)]))
        expected.append(Expected(f"{n.name}.pdf", n.form_title, n.date, n.number, n.application_date))
    return expected
