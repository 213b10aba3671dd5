"""Bureau notices made another way than ``scanmaker``'s: the layout of a Chinese official document
(GB/T 9704), scanned at other resolutions or photographed.

版头 in red with a red rule, the 文号 between them (签发人 beside it on some), the title under the rule,
the 主送 line, a body that quotes other papers' dates and 文号 — at the start of a line, in
parentheses, in Chinese numerals —, the 落款 (the issuing unit and the paper's own date, a seal over
them, sometimes in Chinese numerals), and under it the 版记: 抄送 and a 印发 line with a later date.
Each page is then scanned at 200 or 300 dpi, or photographed (perspective, uneven light), with a
second seal over body text on some. Nothing here is shared with ``scanmaker``'s drawing, so rules
fitted to one are caught by the other.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from pathlib import Path

import img2pdf
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tests.scanmaker import Expected, seal

FONTS = Path("/usr/share/fonts/opentype/noto")
_HAN = "〇一二三四五六七八九"


def _font(size: int, bold: bool = False, sans: bool = False) -> ImageFont.FreeTypeFont:
    family = "NotoSansCJK" if sans else "NotoSerifCJK"
    return ImageFont.truetype(str(FONTS / f"{family}-{'Bold' if bold else 'Regular'}.ttc"), size)


def in_numerals(day: str) -> str:
    """2023-04-28 → 二〇二三年四月二十八日, as a 落款 is often written."""
    y, m, d = (int(p) for p in day.split("-"))

    def small(n: int) -> str:
        if n < 10:
            return _HAN[n]
        tens, ones = divmod(n, 10)
        return ("" if tens == 1 else _HAN[tens]) + "十" + (_HAN[ones] if ones else "")

    return "".join(_HAN[int(c)] for c in str(y)) + f"年{small(m)}月{small(d)}日"


def in_figures(day: str) -> str:
    y, m, d = (int(p) for p in day.split("-"))
    return f"{y}年{m}月{d}日"


@dataclass(frozen=True)
class Official:
    """An official notice: its title, own date and 文号, and the other dates and 文号 it carries."""

    name: str
    title: str
    date: str
    number: str | None
    body: tuple[str, ...]
    printed: str  # the 印发 date of the 版记: not the paper's own
    numerals: bool = False  # the 落款 date in Chinese numerals
    signer: bool = False  # 签发人 beside the 文号
    dpi: int = 200
    photo: bool = False
    second_seal: bool = False
    printed_alone: bool = False  # the 印发 date on a line of its own (the office on the line above)


def official_notices() -> list[Official]:
    return [
        Official(
            "official-review-result",
            "关于宏达精密机械有限公司受电工程图纸审核结果的通知",
            "2023-04-28",
            "顺供审图〔2023〕41号",
            (
                "2023年4月20日，贵户送审的受电工程图纸（送审编号 SY-2023-0420）收悉。",
                "依据《供电营业规则》和顺供方案〔2023〕17号答复，经审核，",
                "图纸需修改后重新送审，修改意见见附件。",
                "请于2023年5月15日前重新送审。",
            ),
            printed="2023-04-29",
            dpi=200,
            printed_alone=True,
        ),
        Official(
            "official-midcheck-result",
            "受电工程中间检查结果通知单",
            "2023-06-20",
            "顺供中检〔2023〕9号",
            (
                "贵户于二〇二三年六月十六日申请的受电工程中间检查，",
                "我公司已于2023年6月19日派员到现场检查（登记日期：2023年6月16日）。",
                "经检查，隐蔽工程符合要求，可继续施工。",
            ),
            printed="2023-06-21",
            numerals=True,
            signer=True,
            dpi=300,
            second_seal=True,
        ),
        Official(
            "official-review-notice",
            "审图通知单",
            "2023-05-19",
            None,
            (
                "根据《关于受电工程图纸审核的通知》（顺供审图〔2023〕52号），",
                "贵户受电工程图纸已于2023年5月17日审核完毕，请按审定的图纸施工。",
            ),
            printed="2023-05-22",
            photo=True,
            printed_alone=True,
        ),
        Official(
            "official-reply",
            "供电方案答复单",
            "2023-03-20",
            "顺供方案〔2023〕17号",
            (
                "贵户于2023年3月2日提出的新装用电申请（申请日期：2023年3月2日）收悉。",
                "经研究，供电电压 10 千伏，容量 1600 千伏安，由 10kV 顺义 3 号线 T 接。",
                "本答复有效期一年，至2024年3月19日止。",
            ),
            printed="2023-03-21",
            dpi=200,
            second_seal=True,
        ),
        Official(
            "official-acceptance",
            "受电工程竣工验收单",
            "2023-08-10",
            "顺供验收〔2023〕33号",
            (
                "贵户2023年8月1日提出的竣工检验申请收悉。",
                "我公司于2023年8月9日组织验收，受电工程符合要求，验收合格。",
            ),
            printed="2023-08-11",
            numerals=True,
            dpi=300,
            photo=True,
        ),
    ]


def draw_official(n: Official, rng: random.Random) -> Image.Image:
    """The notice at ``n.dpi`` (A4), black and red on white."""
    k = n.dpi / 72
    width, height = int(595 * k), int(842 * k)

    def pt(v: float) -> int:
        return int(v * k)

    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    red = (200, 20, 25)
    draw.text(
        (width // 2, pt(95)),
        "国网北京市电力公司顺义供电公司文件",
        font=_font(pt(26), bold=True),
        fill=red,
        anchor="mm",
    )
    y = pt(140)
    if n.number:
        if n.signer:
            draw.text((pt(80), y), n.number, font=_font(pt(14)), fill="black", anchor="lm")
            draw.text((width - pt(80), y), "签发人：王建国", font=_font(pt(14)), fill="black", anchor="rm")
        else:
            draw.text((width // 2, y), n.number, font=_font(pt(14)), fill="black", anchor="mm")
    y += pt(18)
    draw.line((pt(60), y, width - pt(60), y), fill=red, width=max(2, pt(2)))
    y += pt(40)
    title_font = _font(pt(19), bold=True, sans=True)
    title = n.title
    lines = [title] if len(title) <= 20 else [title[: len(title) // 2], title[len(title) // 2 :]]
    for line in lines:
        draw.text((width // 2, y), line, font=title_font, fill="black", anchor="mm")
        y += pt(28)
    y += pt(16)
    body = _font(pt(14))
    draw.text((pt(72), y), "宏达精密机械有限公司：", font=body, fill="black")
    y += pt(26)
    for line in n.body:
        draw.text((pt(100), y), line, font=body, fill="black")
        y += pt(25)
    y += pt(40)
    own = in_numerals(n.date) if n.numerals else in_figures(n.date)
    right = width - pt(90)
    draw.text((right, y), "国网北京市电力公司顺义供电公司", font=body, fill="black", anchor="rm")
    draw.text((right - pt(14), y + pt(28)), own, font=body, fill="black", anchor="rm")
    size = n.dpi / 150  # a 42 mm seal at any resolution
    img = seal(img, (right - pt(90), y + pt(18)), rng, scale=size)
    if n.second_seal:  # a seal over the body's dates too (a 骑缝章, or stamped twice)
        img = seal(img, (pt(330), pt(300)), rng, "业扩报装专用章", scale=size)
    draw = ImageDraw.Draw(img)
    bottom = height - pt(110)
    draw.line((pt(60), bottom - pt(32), width - pt(60), bottom - pt(32)), fill="black", width=max(1, pt(1)))
    draw.text(
        (pt(72), bottom - pt(16)),
        "抄送：顺义供电公司营销部，客户服务中心。",
        font=_font(pt(12)),
        fill="black",
        anchor="lm",
    )
    draw.line((pt(60), bottom, width - pt(60), bottom), fill="black", width=max(1, pt(1)))
    printed = f"{in_figures(n.printed)}印发"
    if n.printed_alone:
        draw.text(
            (pt(72), bottom - pt(48)), "顺义供电公司办公室", font=_font(pt(12)), fill="black", anchor="lm"
        )
        draw.text((width - pt(72), bottom + pt(16)), printed, font=_font(pt(12)), fill="black", anchor="rm")
    else:
        draw.text(
            (pt(72), bottom + pt(16)), "顺义供电公司办公室", font=_font(pt(12)), fill="black", anchor="lm"
        )
        draw.text((width - pt(72), bottom + pt(16)), printed, font=_font(pt(12)), fill="black", anchor="rm")
    return img


def photographed(img: Image.Image, rng: random.Random) -> Image.Image:
    """A page photographed on a desk: a perspective (the top edge narrower), uneven light, a soft focus."""
    w, h = img.size
    inset = int(w * rng.uniform(0.04, 0.06))
    # the quadrilateral of the source that maps onto the output rectangle (a trapezoid, top wider)
    quad = (-inset, 0, -int(inset * 0.2), h, w + int(inset * 0.2), h, w + inset, 0)
    warped = img.transform(
        (w, h), Image.Transform.QUAD, quad, Image.Resampling.BICUBIC, fillcolor=(120, 110, 100)
    )
    light = Image.linear_gradient("L").resize((w, h)).rotate(rng.uniform(20, 70))
    shade = Image.merge("RGB", [light.point(lambda v: 200 + v // 5)] * 3)
    lit = Image.composite(warped, Image.blend(warped, shade, 0.25), light.point(lambda v: 128))
    return lit.filter(ImageFilter.GaussianBlur(0.8))


def scanned_at(img: Image.Image, rng: random.Random, dpi: int) -> bytes:
    img = img.convert("RGB").rotate(
        rng.uniform(-1.2, 1.2), resample=Image.Resampling.BICUBIC, fillcolor="white"
    )
    noise = Image.effect_noise(img.size, 10).convert("RGB")
    img = Image.blend(img, noise, 0.05)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=70, dpi=(dpi, dpi))
    return out.getvalue()


def make_officials(folder: Path, seed: int = 23) -> list[Expected]:
    """Every official notice as a one-page scanned (or photographed) PDF in ``folder``; the answers."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    expected = []
    for n in official_notices():
        page = draw_official(n, rng)
        if n.photo:
            page = photographed(page, rng)
        (folder / f"{n.name}.pdf").write_bytes(img2pdf.convert([scanned_at(page, rng, n.dpi)]))
        title = n.title if not n.title.startswith("关于") else "受电工程图纸审核结果通知单"
        applied = "2023-03-02" if n.title == "供电方案答复单" else None
        expected.append(Expected(f"{n.name}.pdf", title, n.date, n.number, applied))
    return expected
