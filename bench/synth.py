"""Realistic synthetic cases for benchmarks: different customers, dates, kinds and scan counts.

Usage: python bench/synth.py OUTDIR N [--seed S] [--pages-per-scan K]

Writes OUTDIR/case-0001/case.yaml … with scans. Dates follow the process order
and fall on working days; scans come from a small pool of drawn pages, linked
into each case (so 100 cases cost little disk). ``--pages-per-scan`` makes every
scanned paper K pages long (K=16 gives a 大本 of about 500 pages).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import sys
from pathlib import Path

import img2pdf
import yaml
from PIL import Image, ImageDraw, ImageFont

from paperwork.rules.bureau import load_bureau
from paperwork.rules.workdays import load_calendar

FONT = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
PLACES = ["顺义", "昌平", "大兴", "通州", "房山", "怀柔", "平谷", "密云", "延庆", "门头沟"]
TRADES = [
    "精密机械",
    "食品加工",
    "冷链物流",
    "电子科技",
    "新材料",
    "医药",
    "包装印刷",
    "汽车配件",
    "纺织",
    "建材",
]
SUFFIX = ["有限公司", "股份有限公司", "有限责任公司"]
A4 = (img2pdf.mm_to_pt(210), img2pdf.mm_to_pt(297))


def draw_page(seed: int) -> bytes:
    """A grey 'scanned' A4 page at 100 dpi, about 60–120 KB as JPEG."""
    rng = random.Random(seed)
    img = Image.new("L", (827, 1169), 240)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 30)
    draw.text((120, 90), f"扫描样张 {seed}", font=font, fill=30)
    for y in range(200, 1100, 18):
        x2 = rng.randint(300, 760)
        draw.line((70, y, x2, y), fill=rng.randint(60, 160), width=rng.randint(2, 6))
    for _ in range(3000):  # paper grain, so the JPEG is scan-sized
        x, y = rng.randint(0, 826), rng.randint(0, 1168)
        draw.point((x, y), fill=rng.randint(150, 255))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=75, dpi=(100, 100))
    return buf.getvalue()


def make_pool(folder: Path, pages_per_scan: int) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    pages = [draw_page(i) for i in range(8)]
    pool = {}
    for i, page in enumerate(pages[:4]):
        path = folder / f"scan-{i}.jpg"
        path.write_bytes(page)
        pool[f"jpg{i}"] = path
    for n in sorted({1, 2, 3, pages_per_scan}):
        path = folder / f"scan-{n}p.pdf"
        layout = img2pdf.get_layout_fun(A4)
        path.write_bytes(img2pdf.convert([pages[(4 + k) % 8] for k in range(n)], layout_fun=layout))
        pool[f"pdf{n}"] = path
    return pool


def workday(cal: object, day: dt.date) -> dt.date:
    while not cal.is_workday(day):  # type: ignore[attr-defined]
        day += dt.timedelta(days=1)
    return day


def case_data(i: int, rng: random.Random) -> dict:
    cal = load_calendar()
    kind = "增容" if rng.random() < 0.3 else "新装"
    large = rng.random() < 0.6
    name = f"北京{rng.choice(PLACES)}{rng.choice(SURNAMES)}{rng.choice('鑫达丰源盛华兴泰')}{rng.choice(TRADES)}{rng.choice(SUFFIX)}"
    app = workday(cal, dt.date(2023, 1, 3) + dt.timedelta(days=rng.randint(0, 900)))
    day = app

    def step(lo: int, hi: int) -> str:
        nonlocal day
        day = workday(cal, day + dt.timedelta(days=rng.randint(lo, hi)))
        return day.isoformat()

    docs: list[dict] = [
        {"title": "用电申请书", "date": (app - dt.timedelta(days=rng.randint(1, 5))).isoformat()},
        {
            "title": "营业执照复印件",
            "date": f"{rng.randint(2008, 2022)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
        },
        {"title": "法人身份证复印件", "date": app.isoformat()},
    ]
    replies = 2 if rng.random() < 0.3 else 1
    for r in range(replies):
        apply = step(1, 3)
        docs.append(
            {
                "title": "供电方案答复单",
                "application_date": apply,
                "date": step(8, 25),
                "number": f"供电方案〔{app.year}〕{i}-{r + 1}号",
            }
        )
    rounds = 2 if rng.random() < 0.4 else 1
    for r in range(1, rounds + 1):
        docs.append({"title": "受电工程图纸审核登记表", "round": r, "date": step(5, 15)})
        docs.append({"title": "受电工程图纸审核结果通知单", "round": r, "date": step(3, 12)})
    docs.append({"title": "审图通知单", "date": step(1, 3)})
    if kind == "新装":
        docs.append({"title": "负控费发票", "date": step(3, 10), "number": f"No {rng.randint(10**7, 10**8)}"})
    for cert in [
        "变压器合格证",
        "高低压柜合格证",
        "电缆合格证",
        "冷缩头合格证",
        "避雷器合格证",
        "互感器合格证",
        "真空断路器合格证",
    ]:
        if kind == "新装" or rng.random() < 0.3:
            docs.append({"title": cert, "date": (app - dt.timedelta(days=rng.randint(0, 200))).isoformat()})
    docs.append({"title": "启动设备清单" if large else "证明", "date": step(1, 6)})
    for title in [
        "保护定值单",
        "受电工程中间检查登记表",
        "受电工程中间检查结果通知单",
        "采集单",
        "设备编号单",
        "供用电合同",
        "预付费协议书",
        "受电工程竣工检查申请",
        "受电工程竣工验收登记表",
        "受电工程竣工验收单",
        "委托带电施工申请",
        "带电接火发票",
        "送(停)电工作任务单",
        "送(停)电任务现场工作单",
        "高压计量装置现场装拆工作单",
        "用户客户档案记录卡",
        "高压客户业扩报装服务意见卡",
    ]:
        docs.append({"title": title, "date": step(1, 6)})
    docs.append({"title": "用户电工证", "date": f"{rng.randint(2015, 2022)}-06-01"})
    equipment = [
        {"name": "空气压缩机", "power_kw": 132 if large else 75, "quantity": rng.randint(1, 3)},
        {"name": "加工中心", "power_kw": rng.choice([22, 30, 45]), "quantity": rng.randint(2, 8)},
    ]
    return {
        "case_id": f"SY-{app.year}-{i:04d}",
        "kind": kind,
        "application_date": app.isoformat(),
        "customer": {
            "name": name,
            "address": f"北京市{rng.choice(PLACES)}区工业园 {rng.randint(1, 99)} 号",
            "legal_rep": rng.choice(SURNAMES) + "建国",
            "agent": {"name": rng.choice(SURNAMES) + "敏"},
        },
        "contractor": {"name": "北京华电安装工程有限公司", "contact": "张敏"},
        "capacity": {
            "requested_kva": rng.choice([400, 630, 800, 1250, 1600, 2000]),
            "existing_kva": 0 if kind == "新装" else rng.choice([200, 315, 400]),
        },
        "equipment": equipment,
        "archive": {"fonds": "国网北京市电力公司顺义供电公司", "filer": "张敏", "checker": "刘强"},
        "documents": docs,
    }


def generate(out: Path, count: int, seed: int = 7, pages_per_scan: int = 2) -> list[Path]:
    """Write ``count`` cases under ``out``; returns their case files."""
    rng = random.Random(seed)
    pool = make_pool(out / "_pool", pages_per_scan)
    bureau = load_bureau()
    paths = []
    for i in range(1, count + 1):
        data = case_data(i, rng)
        folder = out / f"case-{i:04d}"
        (folder / "scans").mkdir(parents=True, exist_ok=True)
        for n, doc in enumerate(data["documents"]):
            form = bureau.form(doc["title"])
            if form is None or form.generated:
                continue
            if pages_per_scan > 3:
                source = pool[f"pdf{pages_per_scan}"]
            else:
                source = pool[rng.choice(["jpg0", "jpg1", "jpg2", "jpg3", "pdf1", "pdf2", "pdf3"])]
            target = folder / "scans" / f"{n:02d}{source.suffix}"
            if not target.exists():
                os.link(source, target)
            doc["file"] = f"scans/{target.name}"
        path = folder / "case.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        paths.append(path)
    return paths


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("count", type=int)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pages-per-scan", type=int, default=2)
    args = parser.parse_args(argv)
    paths = generate(args.out, args.count, args.seed, args.pages_per_scan)
    print(f"{len(paths)} cases in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
