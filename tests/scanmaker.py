"""Realistic test scans with known answers, made at run time (nothing binary is checked in).

Three sources, as a clerk's scanner sees them: our own filled forms and the real State Grid
reference forms (through LibreOffice), and bureau notices drawn here (a title, a 文号 line,
a body that quotes another paper's 文号 and date, a 落款 date). Every page is then "scanned":
150 dpi, grey paper, a round red seal stamped over the paper's own date, rotated up to ±1.5°,
noise, JPEG quality 60.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass
from pathlib import Path

import img2pdf
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = Path("/usr/share/fonts/opentype/noto")
DPI = 150
A4 = (1240, 1754)  # at 150 dpi


@dataclass(frozen=True)
class Expected:
    """The right answer for one paper."""

    file: str
    title: str | None
    date: str | None
    number: str | None = None
    application_date: str | None = None
    pages: int = 1


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    name = "NotoSerifCJK-Bold.ttc" if bold else "NotoSerifCJK-Regular.ttc"
    return ImageFont.truetype(str(FONTS / name), size)


def _cn(day: str) -> str:
    y, m, d = (int(p) for p in day.split("-"))
    return f"{y}年{m}月{d}日"


def seal(
    img: Image.Image,
    centre: tuple[int, int],
    rng: random.Random,
    text: str = "供电服务专用章",
    scale: float = 1.0,
) -> Image.Image:
    """A round red seal (ring, star, arc text) stamped over ``centre``, half transparent as ink is;
    ``scale`` 1 is a 42 mm seal at 150 dpi."""
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    r = int(105 * scale)
    cx, cy = centre[0] + rng.randint(-15, 15), centre[1] + rng.randint(-10, 10)
    red = (210, 30, 35, 170)
    draw.ellipse((cx - r, cy - r, cx + r, cy + r), outline=red, width=int(7 * scale))
    star = [
        (
            cx + 30 * scale * math.cos(math.pi / 2 + k * 4 * math.pi / 5),
            cy - 30 * scale * math.sin(math.pi / 2 + k * 4 * math.pi / 5),
        )
        for k in range(5)
    ]
    draw.polygon(star, fill=red)
    font = _font(int(24 * scale), bold=True)
    for k, ch in enumerate(text):
        angle = math.pi * (1.15 - 1.3 * k / max(len(text) - 1, 1))
        x, y = cx + (r - 28 * scale) * math.cos(angle), cy - (r - 28 * scale) * math.sin(angle)
        draw.text((x, y), ch, font=font, fill=red, anchor="mm")
    base = img.convert("RGBA")
    base.alpha_composite(layer)
    return base.convert("RGB")


def scanned(img: Image.Image, rng: random.Random) -> bytes:
    """The page as a scanner gives it: grey paper, a slight turn, noise, JPEG 60."""
    img = img.convert("RGB")
    paper = Image.new("RGB", img.size, (236, 234, 228))
    img = Image.blend(img, paper, 0.12)
    img = img.rotate(
        rng.uniform(-1.5, 1.5), resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(236, 234, 228)
    )
    noise = Image.frombytes("L", img.size, rng.randbytes(img.size[0] * img.size[1])).convert("RGB")
    img = Image.blend(img, noise, 0.08).filter(ImageFilter.GaussianBlur(0.4))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=60, dpi=(DPI, DPI))
    return out.getvalue()


def as_pdf(jpegs: list[bytes], path: Path) -> None:
    layout = img2pdf.get_layout_fun((img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297)))
    path.write_bytes(img2pdf.convert(jpegs, layout_fun=layout))


@dataclass(frozen=True)
class Notice:
    """A bureau paper drawn here."""

    title: str
    date: str
    number: str | None = None
    lines: tuple[str, ...] = ()
    date_label: str = ""  # "" : the 落款 date at the end
    extra: tuple[tuple[str, str], ...] = ()  # other labelled dates (label, date) above the own one
    application_date: str | None = None
    traditional_title: str | None = None


def draw_notice(notice: Notice, rng: random.Random) -> Image.Image:
    img = Image.new("RGB", A4, "white")
    draw = ImageDraw.Draw(img)
    draw.text((A4[0] // 2, 110), "国网北京市电力公司顺义供电公司", font=_font(30), fill="black", anchor="mm")
    draw.text(
        (A4[0] // 2, 190),
        notice.traditional_title or notice.title,
        font=_font(46, bold=True),
        fill="black",
        anchor="mm",
    )
    y = 270
    if notice.number:
        draw.text((A4[0] // 2, y), notice.number, font=_font(28), fill="black", anchor="mm")
        y += 70
    body = _font(28)
    draw.text((130, y), "宏达精密机械有限公司：", font=body, fill="black")
    y += 60
    for line in notice.lines:
        draw.text((170, y), line, font=body, fill="black")
        y += 52
    y += 30
    if notice.application_date:
        draw.text((130, y), f"申请日期：{_cn(notice.application_date)}", font=body, fill="black")
        y += 56
    for label, day in notice.extra:
        draw.text((130, y), f"{label}：{_cn(day)}", font=body, fill="black")
        y += 56
    if notice.date_label:
        draw.text((130, y), f"{notice.date_label}：{_cn(notice.date)}", font=body, fill="black")
        centre = (130 + 200 + 180, y + 18)
    else:
        draw.text(
            (A4[0] - 160, A4[1] - 430), "国网北京市电力公司顺义供电公司", font=body, fill="black", anchor="rm"
        )
        draw.text((A4[0] - 160, A4[1] - 370), _cn(notice.date), font=body, fill="black", anchor="rm")
        centre = (A4[0] - 300, A4[1] - 380)
    for yy in range(y + 120, A4[1] - 520, 46):  # the rest of the page: ruled lines, as forms have
        draw.line((130, yy, A4[0] - 130, yy), fill=(170, 170, 170), width=1)
    return seal(img, centre, rng)


def notices() -> list[tuple[str, Notice]]:
    """Bureau papers of a 新装 case, with what makes reading them hard."""
    return [
        (
            "reply-1",
            Notice(
                "供电方案答复单",
                "2023-03-20",
                "顺供方案〔2023〕17号",
                ("经研究，现将贵户的供电方案答复如下：", "供电电压 10 千伏，容量 1600 千伏安。"),
                date_label="答复日期",
                application_date="2023-03-02",
            ),
        ),
        (
            "review-register-1",
            Notice(
                "受电工程图纸审核登记表",
                "2023-04-20",
                None,
                ("送审图纸：电气施工图一套。", "设计单位：北京京电电力设计院有限公司"),
                date_label="登记日期",
                extra=(("受理日期", "2023-04-21"),),
            ),
        ),
        (
            "review-result-1",
            Notice(
                "受电工程图纸审核结果通知单",
                "2023-04-28",
                "顺供审图〔2023〕41号",
                (
                    "根据顺供方案〔2023〕17号答复，贵户于2023年4月20日送审的",
                    "受电工程图纸经审核，需修改后重新送审。",
                ),
            ),
        ),
        (
            "review-register-2",
            Notice(
                "受电工程图纸审核登记表",
                "2023-05-10",
                None,
                ("送审图纸：修改后的电气施工图一套。",),
                date_label="登记日期",
                extra=(("受理日期", "2023-05-11"),),
            ),
        ),
        (
            "review-result-2",
            Notice(
                "受电工程图纸审核结果通知单",
                "2023-05-17",
                "顺供审图〔2023〕52号",
                ("贵户于2023年5月10日送审的受电工程图纸，", "经审核符合要求，同意按图施工。"),
            ),
        ),
        (
            "midcheck-result",
            Notice(
                "受电工程中间检查结果通知单",
                "2023-06-20",
                "顺供中检〔2023〕9号",
                ("贵户受电工程中间检查合格，可继续施工。",),
            ),
        ),
        (
            "contract",
            Notice(
                "供用电合同",
                "2023-07-28",
                None,
                (
                    "合同编号：SY-GYD-2023-0417",
                    "供电人：国网北京市电力公司顺义供电公司",
                    "用电人：宏达精密机械有限公司",
                ),
                date_label="签订日期",
            ),
        ),
        (
            "invoice",
            Notice(
                "负控费发票",
                "2023-06-05",
                None,
                ("发票号码 No 04417783", "项目：负荷控制装置费"),
                date_label="开票日期",
            ),
        ),
        (
            "transformer",
            Notice(
                "变压器合格证",
                "2023-04-12",
                None,
                ("型号：SCB13-1600/10", "江苏华鹏变压器有限公司"),
                date_label="出厂日期",
                extra=(("检验有效期至", "2025-04-12"),),
            ),
        ),
        (
            "acceptance",
            Notice(
                "受电工程竣工验收单",
                "2023-08-10",
                None,
                ("贵户受电工程经竣工验收，合格。",),
                traditional_title="受電工程竣工驗收單",
            ),
        ),
        (
            "review-notice",
            Notice(
                "审图通知单",
                "2023-05-19",
                None,
                ("根据顺供审图〔2023〕52号通知，贵户受电工程图纸已审核完毕，", "请按审定的图纸施工。"),
            ),
        ),
        (
            "application",
            Notice(
                "用电申请书",
                "2023-02-27",
                None,
                ("我单位因生产需要，申请新装用电，容量 1600 千伏安。", "联系人：李娜"),
                date_label="填表日期",
            ),
        ),
    ]


def expected_notices() -> list[Expected]:
    out = []
    for name, n in notices():
        number = n.number
        if n.title == "供用电合同":
            number = "SY-GYD-2023-0417"
        if n.title == "负控费发票":
            number = "No 04417783"
        out.append(Expected(f"{name}.pdf", n.title, n.date, number, n.application_date))
    return out


def make_notices(folder: Path, seed: int = 7) -> list[Expected]:
    """Every notice as a one-page scanned PDF in ``folder``."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for name, notice in notices():
        as_pdf([scanned(draw_notice(notice, rng), rng)], folder / f"{name}.pdf")
    return expected_notices()


def scan_pdf(pdf: Path, target: Path, rng: random.Random, seal_text: str | None = None) -> int:
    """Rasterise a PDF at 150 dpi and 'scan' it (a seal over ``seal_text`` where it is printed)."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    jpegs = []
    for index in range(len(doc)):
        page = doc[index]
        img = page.render(scale=DPI / 72).to_pil().convert("RGB")
        if seal_text:
            text = page.get_textpage()
            searcher = text.search(seal_text)
            found = searcher.get_next()
            if found:
                left, bottom, _right, top = text.get_charbox(found[0] + found[1] // 2)
                height = page.get_height()
                img = seal(img, (int(left * DPI / 72), int((height - (top + bottom) / 2) * DPI / 72)), rng)
        jpegs.append(scanned(img, rng))
    as_pdf(jpegs, target)
    return len(jpegs)


def loose_pages(folder: Path, seed: int = 11) -> list[tuple[str, int]]:
    """A scanner's one-JPG-per-page output: a two-page contract then a one-page notice.

    Returns (title, pages) of each paper in order.
    """
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    contract = Notice(
        "供用电合同", "2023-07-28", None, ("合同编号：SY-GYD-2023-0417",), date_label="签订日期"
    )
    first = draw_notice(contract, rng)
    second = Image.new("RGB", A4, "white")
    draw = ImageDraw.Draw(second)
    for k, line in enumerate(
        [
            "第二条 供电方式：10千伏单电源供电。",
            "第三条 用电容量：1600千伏安。",
            "第四条 计量方式：高供高计。",
        ]
    ):
        draw.text((130, 150 + 60 * k), line, font=_font(28), fill="black")
    notice = Notice(
        "受电工程中间检查结果通知单", "2023-06-20", "顺供中检〔2023〕9号", ("贵户受电工程中间检查合格。",)
    )
    for n, img in enumerate([first, second, draw_notice(notice, rng)]):
        (folder / f"scan{n + 1:03d}.jpg").write_bytes(scanned(img, rng))
    return [("供用电合同", 2), ("受电工程中间检查结果通知单", 1)]


REFERENCE_ANSWERS = {  # the real State Grid forms as found: no 文号 (申请编号 is not one)
    "高压供电方案答复单.docx": ("供电方案答复单", None),  # blank dates (年 月 日)
    "高压客户用电登记表.docx": ("高压客户用电登记表", None),  # only 受理日期 is filled: not its own date
    "客户主要用电设备清单.docx": ("启动设备清单", "2021-04-06"),
    "高压现场勘察单.docx": (None, None),  # not a paper of the binders: unmatched
}


#: The reference forms as a clerk gets them back filled in: (form file, blanks filled in turn, the
#: paper's own date, its title). The reply's two dates sit side by side under 客户签名 and 供电企业
#: (the reply's own). (The register's 经办人签名 date is not filled: in our filled copy LibreOffice
#: clipped that line of the real form's exact-height row, so a scan would not show it.)
FILLED = (("高压供电方案答复单.docx", ("2023年3月25日", "2023年3月20日"), "2023-03-20", "供电方案答复单"),)


def fill_blanks(docx: Path, values: tuple[str, ...], out: Path) -> Path:
    """The form with its blank dates (年 月 日) filled with ``values``, in order, in every copy."""
    import re

    from docx import Document

    doc = Document(str(docx))
    blank = re.compile(r"\s*年\s+月\s+日")  # with the spaces before it: the filled line keeps its width
    paragraphs = [p for t in doc.tables for r in t.rows for c in r.cells for p in c.paragraphs]
    for p in [*doc.paragraphs, *paragraphs]:
        if not blank.search(p.text) or not p.runs:
            continue
        text = p.text
        for value in values:
            text = blank.sub(lambda m, v=value: " " * max(1, len(m.group(0)) - len(v) - 4) + v, text, count=1)
        p.runs[0].text = text
        for run in p.runs[1:]:
            run.text = ""
    doc.save(str(out))
    return out


def make_forms(folder: Path, reference_forms: Path, case_file: Path, seed: int = 5) -> list[Expected]:
    """Our own filled forms of ``case_file`` and the reference forms, converted and scanned."""
    from paperwork import load_case, resolve
    from paperwork.binder.forms import render_form
    from paperwork.binder.libreoffice import convert_batch
    from paperwork.case.dates import chinese

    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    work = folder / ".work"
    resolved = resolve(load_case(case_file))
    out = []
    for paper in resolved.papers:
        form = paper.form
        if form is None or not form.generated or paper.date is None:
            continue
        pdf = render_form(resolved, form.key, work / f"{form.key}.pdf")
        pages = scan_pdf(pdf, folder / f"ours-{form.key}.pdf", rng, seal_text=chinese(paper.date))
        out.append(Expected(f"ours-{form.key}.pdf", form.title, paper.date.isoformat(), None, None, pages))
    docs = sorted(reference_forms.glob("*.docx"))
    for docx, pdf in zip(docs, convert_batch(docs, work / "reference"), strict=True):
        name = f"reference-{docx.stem}.pdf"
        pages = scan_pdf(pdf, folder / name, rng)
        title, day = REFERENCE_ANSWERS[docx.name]
        out.append(Expected(name, title, day if title else None, None, None, pages))
    filled = [
        fill_blanks(reference_forms / name, values, work / f"filled-{Path(name).stem}.docx")
        for name, values, _, _ in FILLED
    ]
    for (_, values, day, title), pdf in zip(FILLED, convert_batch(filled, work / "filled"), strict=True):
        name = f"{pdf.stem}.pdf"
        pages = scan_pdf(pdf, folder / name, rng, seal_text=values[-1])
        out.append(Expected(name, title, day, None, None, pages))
    import shutil

    shutil.rmtree(work, ignore_errors=True)
    return out
