"""Make the DOCX templates in templates/docx/ (python templates/make_docx.py).

The templates are made here, by code, so that they can be rebuilt and
reviewed; tests rebuild them and compare their text and variables with the
committed files. Fonts: 宋体 for text, 黑体 for titles and headings, 仿宋 for
the pledge; LibreOffice prints them in the 1-em ``Paperwork Serif SC`` / ``Paperwork Sans SC``
builds of Noto, else a fallback of the same line height (paperwork/render/fonts.py).
Variables are docxtpl (Jinja2) tags; each template uses only the fields of its
model in paperwork/render/contexts.py (and paperwork/render/archive.py for the archive parts).
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table, _Cell

from paperwork.render.docxfile import slim_docx

OUT = Path(__file__).parent / "docx"
SONG, HEI, FANG = "宋体", "黑体", "仿宋"
BODY_WIDTH = 160  # mm: A4 minus 25 mm margins


def set_font(run_or_style: object, name: str, size: float | None = None, bold: bool = False) -> None:
    font = run_or_style.font  # type: ignore[attr-defined]
    font.name = name
    if size:
        font.size = Pt(size)
    font.bold = bold
    element = run_or_style.element if hasattr(run_or_style, "element") else run_or_style._element  # type: ignore[attr-defined]
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")


def new_document(*, landscape: bool = False) -> DocumentObject:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.left_margin = section.right_margin = Mm(25)
    section.top_margin, section.bottom_margin = Mm(22), Mm(20)
    normal = doc.styles["Normal"]
    set_font(normal, SONG, 11)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    return doc


def para(
    doc_or_cell: DocumentObject | _Cell,
    text: str = "",
    *,
    font: str = SONG,
    size: float = 11,
    bold: bool = False,
    align: str = "left",
    before: float = 0,
    after: float = 0,
    indent: bool = False,
    first: bool = False,
) -> None:
    in_cell = first and isinstance(doc_or_cell, _Cell)
    p = doc_or_cell.paragraphs[0] if in_cell else doc_or_cell.add_paragraph()
    p.alignment = {
        "left": WD_ALIGN_PARAGRAPH.LEFT,
        "center": WD_ALIGN_PARAGRAPH.CENTER,
        "right": WD_ALIGN_PARAGRAPH.RIGHT,
        "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
        "distribute": WD_ALIGN_PARAGRAPH.DISTRIBUTE,  # a label spread evenly across its cell
    }[align]
    p.paragraph_format.space_before = Pt(before)
    p.paragraph_format.space_after = Pt(after)
    p.paragraph_format.line_spacing = 1.25
    if indent:
        p.paragraph_format.first_line_indent = Pt(size * 2)
    if text:
        set_font(p.add_run(text), font, size, bold)


def title(doc: DocumentObject, text: str, size: float = 18) -> None:
    para(doc, text, font=HEI, size=size, align="center", after=12)


def shade(cell: _Cell, fill: str = "E7E6E6") -> None:
    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


Cell = str | tuple[str, int] | tuple[str, int, dict[str, object]]


def grid(
    doc: DocumentObject,
    widths: list[float],
    rows: list[list[Cell]],
    height: float = 8.5,
    size: float = 11,
    *,
    ruled: bool = True,
) -> Table:
    """A ruled table; each cell is text, (text, span) or (text, span, options).

    Options: head (bold 黑体 shaded), align, height (row), lines (several paragraphs).
    """
    table = doc.add_table(rows=len(rows), cols=len(widths))
    if ruled:
        table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for r, spec in enumerate(rows):
        row = table.rows[r]
        row.height_rule = WD_ROW_HEIGHT_RULE.AT_LEAST
        row.height = Mm(height)
        col = 0
        for item in spec:
            text, span, opts = (item, 1, {}) if isinstance(item, str) else (*item, {})[:3]  # type: ignore[misc]
            assert isinstance(opts, dict)
            cell = table.cell(r, col)
            if opts.get("merge_up"):
                cell.merge(table.cell(r - 1, col))
                col += span
                continue
            if span > 1:
                cell = cell.merge(table.cell(r, col + span - 1))
            cell.width = Mm(sum(widths[col : col + span]))
            cell.vertical_alignment = (
                WD_CELL_VERTICAL_ALIGNMENT.TOP
                if opts.get("valign") == "top"
                else WD_CELL_VERTICAL_ALIGNMENT.CENTER
            )
            if "height" in opts:
                row.height = Mm(float(opts["height"]))  # type: ignore[arg-type]
            head = bool(opts.get("head"))
            align = str(opts.get("align", "center" if head or (span == 1 and col % 2 == 0) else "left"))
            lines = opts.get("lines") or [text]
            for i, line in enumerate(lines):  # type: ignore[union-attr]
                para(
                    cell,
                    str(line),
                    font=HEI if head else str(opts.get("font", SONG)),
                    size=float(opts.get("size", size)),  # type: ignore[arg-type]
                    bold=bool(opts.get("bold")),
                    align=str(opts.get("line_align", {}).get(i, align)) if opts.get("line_align") else align,  # type: ignore[union-attr]
                    first=i == 0,
                )
            if head:
                shade(cell)
            col += span
        for c, width in enumerate(widths):
            table.cell(r, c).width = Mm(width)
    for c, width in enumerate(widths):
        table.columns[c].width = Mm(width)  # the grid LibreOffice lays out by
    return table


def repeat_header(table: Table) -> None:
    """Print the table's first row again at the top of every page it runs onto."""
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    flag = OxmlElement("w:tblHeader")
    flag.set(qn("w:val"), "true")
    tr_pr.append(flag)


def letter(doc: DocumentObject, heading: str, addressee: str, body: str) -> None:
    """A form that opens like a letter: title, addressee, then the request itself."""
    title(doc, heading)
    para(doc, addressee, size=12, before=6, after=6)
    para(doc, body, size=12, align="justify", after=12)


def signature(doc: DocumentObject, who: str, date_var: str = "{{ date_cn }}") -> None:
    para(doc, who, align="right", before=18)
    para(doc, "（盖章）", align="right", before=6)
    para(doc, date_var, align="right", before=6)


# --- the contractor's forms -------------------------------------------------------------------


def tight(table: Table, margin_twips: int = 28) -> None:
    """Narrow cell margins (0.5 mm), so that one digit fits each box of a 身份证号 or 移动电话."""
    tbl_pr = table._tbl.tblPr
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(margin_twips))
        edge.set(qn("w:type"), "dxa")
        mar.append(edge)
    tbl_pr.append(mar)


def application_register() -> DocumentObject:
    """高压客户用电登记表, after the State Grid form (附件3-4): its fields, digit boxes, options with □."""
    doc = new_document()
    title(doc, "高压客户用电登记表")
    box = 78 / 18
    w = [30, 30, 22, *[box] * 18]
    head = {"head": True, "bold": True, "size": 12}
    lab = {"align": "distribute", "size": 12}
    val = {"align": "left", "size": 12}
    cell = {"align": "center", "size": 11}

    def boxes(var: str, count: int) -> list[Cell]:
        cells: list[Cell] = [(f"{{{{ {var}[{i}] }}}}", 1, cell) for i in range(count)]
        if count < 18:
            cells.append(("", 18 - count, val))
        return cells

    def boxed(label: str, value: str, label2: str, var: str, count: int) -> list[Cell]:
        return [(label, 1, lab), (value, 1, val), (label2, 1, lab), *boxes(var, count)]

    def row(label: str, value: str, label2: str, value2: str) -> list[Cell]:
        return [(label, 1, lab), (value, 1, val), (label2, 1, lab), (value2, 18, val)]

    def wide(label: str, value: str) -> list[Cell]:
        return [(label, 1, lab), (value, 20, val)]

    table = grid(
        doc,
        w,
        [
            [("客 户 基 本 信 息", 21, head)],
            row("户名", "{{ customer_name }}", "户号", "{{ account_no }}"),
            row("证件名称", "{{ id_type }}", "证件号码", "{{ id_number }}"),
            row("行业", "{{ industry }}", "重要客户", "{{ important_boxes }}"),
            wide("用电地址", "{{ address_line1 }}"),
            [("", 1, {"merge_up": True}), ("{{ address_line2 }}", 20, val)],
            row("通信地址", "{{ mail_address }}", "邮编", "{{ postcode }}"),
            wide("电子邮箱", "{{ email }}"),
            boxed("法人代表", "{{ legal_rep }}", "身份证号", "legal_rep_id_digits", 18),
            boxed("固定电话", "{{ phone }}", "移动电话", "mobile_digits", 11),
            [("客 户 经 办 人 资 料", 21, head)],
            boxed("经办人", "{{ agent_name }}", "身份证号", "agent_id_digits", 18),
            boxed("固定电话", "{{ agent_phone }}", "移动电话", "agent_mobile_digits", 11),
            [("用 电 需 求 信 息", 21, head)],
            wide("业务类型", "{{ business_type_boxes }}"),
            wide("用电类别", "{{ usage_category_boxes }}"),
            wide(
                "第一路电源",
                "原有容量：{{ first_existing_kva }} 千伏安　　申请容量：{{ first_requested_kva }} 千伏安",
            ),
            wide(
                "第二路电源",
                "原有容量：{{ second_existing_kva }} 千伏安　　申请容量：{{ second_requested_kva }} 千伏安",
            ),
            row("自备电源", "{{ self_power_boxes }}", "容量", "{{ self_power_kw }} 千瓦"),
            row("需要增值税发票", "{{ vat_invoice_boxes }}", "非线性负荷", "{{ nonlinear_boxes }}"),
            [
                (
                    "",
                    21,
                    {
                        "align": "left",
                        "size": 12,
                        "height": 40,
                        "valign": "top",
                        "lines": [
                            "特别说明：{{ remarks }}",
                            "　　本人（单位）已对本表及附件中的信息进行确认并核对无误，同时承诺提供的各项资料真实、合法、有效。",
                            "",
                            "经办人签名（单位盖章）：",
                            "",
                            "{{ date_cn }}",
                        ],
                        "line_align": {3: "right", 5: "right"},
                    },
                )
            ],
            [("供电企业填写", 1, {"head": True, "size": 12}), ("受理人：", 2, val), ("申请编号：", 18, val)],
            [
                ("", 1, {"merge_up": True}),
                ("受理日期：　　年　　月　　日", 2, val),
                ("供电企业（盖章）：", 18, val),
            ],
        ],
        height=8,
        size=12,
    )
    tight(table)
    return doc


def design_commission() -> DocumentObject:
    doc = new_document()
    letter(
        doc,
        "设计委托书",
        "{{ designer }}：",
        "　　我单位{{ customer_name }}位于{{ address }}，已向供电企业申请{{ kind }}用电（报装日期 {{ application_date_cn }}），"
        "申请容量 {{ capacity_kva }} 千伏安，供电电压 {{ voltage_kv }} 千伏。"
        "现委托贵单位承担本工程受电工程的设计工作，请依据供电企业答复的供电方案及国家、行业有关规程规范进行设计，"
        "设计文件报供电企业审核。",
    )
    grid(
        doc,
        [30, 50, 30, 50],
        [
            ["工程名称", ("{{ project_name }}", 3)],
            ["用电地址", ("{{ address }}", 3)],
            ["申请容量", "{{ capacity_kva }} 千伏安", "供电电压", "{{ voltage_kv }} 千伏"],
            ["经 办 人", "{{ agent_name }}", "联系电话", "{{ agent_mobile }}"],
            [
                "施工单位",
                "{{ contractor_name }}",
                "联 系 人",
                "{{ contractor_contact }} {{ contractor_phone }}",
            ],
        ],
        height=10,
    )
    signature(doc, "委托单位：{{ customer_name }}")
    return doc


def completion_request() -> DocumentObject:
    doc = new_document()
    title(doc, "受电工程竣工检查申请")
    grid(
        doc,
        [30, 50, 30, 50],
        [
            ["户　　名", ("{{ customer_name }}", 3)],
            ["户　　号", "{{ account_no }}", "业务类型", "{{ kind }}"],
            ["用电地址", ("{{ address }}", 3)],
            ["工程名称", ("{{ project_name }}", 3)],
            ["申请容量", "{{ capacity_kva }} 千伏安", "供电电压", "{{ voltage_kv }} 千伏"],
            ["施工单位", ("{{ contractor_name }}", 3)],
            ["资质证号", "{{ license_no }}", "中间检查", "{{ midcheck_date_cn }}"],
            ["联 系 人", "{{ contractor_contact }}", "联系电话", "{{ contractor_phone }}"],
            [
                (
                    "",
                    4,
                    {
                        "align": "left",
                        "height": 40,
                        "lines": [
                            "申请内容：",
                            "　　本受电工程已按审核合格的设计图纸施工完毕，经施工单位自检合格，"
                            "各项设备的合格证、试验报告齐全，具备竣工检验条件，特申请竣工检查。",
                            "",
                            "附：{{ attachments }}",
                        ],
                    },
                )
            ],
            [
                (
                    "客户（盖章）：\n\n\n{{ date_cn }}",
                    2,
                    {
                        "align": "left",
                        "height": 32,
                        "lines": ["客户（盖章）：", "", "", "{{ date_cn }}"],
                        "line_align": {3: "right"},
                    },
                ),
                (
                    "",
                    2,
                    {
                        "align": "left",
                        "lines": ["施工单位（盖章）：", "", "", "{{ date_cn }}"],
                        "line_align": {3: "right"},
                    },
                ),
            ],
        ],
        height=10,
    )
    return doc


def live_work_request() -> DocumentObject:
    doc = new_document()
    letter(
        doc,
        "委托带电施工申请",
        "{{ bureau_name }}：",
        "　　{{ customer_name }}受电工程已于 {{ acceptance_date_cn }} 竣工验收合格，"
        "现委托贵单位进行带电接火施工，具体内容如下，请予安排。",
    )
    grid(
        doc,
        [30, 50, 30, 50],
        [
            ["户　　名", ("{{ customer_name }}", 3)],
            ["工程名称", ("{{ project_name }}", 3)],
            ["用电地址", ("{{ address }}", 3)],
            ["作业内容", ("{{ live_work }}", 3, {"height": 20})],
            ["申请容量", "{{ capacity_kva }} 千伏安", "供电电压", "{{ voltage_kv }} 千伏"],
            ["施工单位", ("{{ contractor_name }}", 3)],
            ["联 系 人", "{{ contractor_contact }}", "联系电话", "{{ contractor_phone }}"],
        ],
        height=10,
    )
    para(doc, "随附：采集单、供电方案答复单、竣工验收单、设备编号单。", size=10, before=6)
    signature(doc, "施工单位：{{ contractor_name }}")
    return doc


def startup_equipment_list() -> DocumentObject:
    """启动设备清单, after the State Grid 客户主要用电设备清单: totals, demand, signature inside the table."""
    doc = new_document()
    title(doc, "启动设备清单")
    widths = [12, 44, 30, 16, 30, 28]
    head = {"head": True}
    lab = {"align": "distribute"}
    table = grid(
        doc,
        widths,
        [
            [
                ("户号", 1, lab),
                ("{{ account_no }}", 2, {"align": "left"}),
                ("申请编号", 1, lab),
                ("{{ application_no }}", 2, {"align": "left"}),
            ],
            [("户名", 1, lab), ("{{ customer_name }}", 5, {"align": "left"})],
            [
                ("序号", 1, head),
                ("设备名称", 1, head),
                ("型号", 1, head),
                ("数量", 1, head),
                ("总容量（千瓦）", 1, head),
                ("负荷等级", 1, head),
            ],
            [("{%tr for e in equipment %}", 6)],
            [
                "{{ e.seq }}",
                "{{ e.name }}",
                "{{ e.model }}",
                "{{ e.quantity }}",
                "{{ e.total_kw }}",
                "{{ e.load_class }}",
            ],
            [("{%tr endfor %}", 6)],
            [
                (
                    "用电设备容量合计：{{ total_count }} 台　{{ total_kw }} 千瓦",
                    3,
                    {"align": "left", "height": 16},
                ),
                ("根据用电设备容量及用电情况统计，我户需求负荷为 {{ demand_kw }} 千瓦", 3, {"align": "left"}),
            ],
            [
                (
                    "",
                    6,
                    {
                        "align": "left",
                        "height": 22,
                        "lines": ["经办人签名（单位盖章）：", "", "{{ date_cn }}"],
                        "line_align": {2: "right"},
                    },
                )
            ],
        ],
    )
    header_rows(table, 3)  # 户号 … and the column heads again on every page
    keep_rows_whole(table)
    return doc


def header_rows(table: Table, count: int) -> None:
    """Print the first ``count`` rows again at the top of every page the table runs onto."""
    for row in table.rows[:count]:
        flag = OxmlElement("w:tblHeader")
        flag.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(flag)


def keep_rows_whole(table: Table) -> None:
    """No row is split across two pages."""
    for row in table.rows:
        flag = OxmlElement("w:cantSplit")
        flag.set(qn("w:val"), "true")
        row._tr.get_or_add_trPr().append(flag)


def customer_proof() -> DocumentObject:
    doc = new_document()
    title(doc, "证　明", size=22)
    para(doc, "{{ contractor_name }}并供电企业：", size=14, before=12, after=12, font=FANG)
    para(
        doc,
        "　　兹证明我单位{{ customer_name }}（用电地址：{{ address }}）本次{{ kind }}用电工程，"
        "无单台容量超过 100 千瓦的用电设备{{ max_power_note }}，"
        "不需提供启动设备清单。",
        size=14,
        font=FANG,
        align="justify",
    )
    para(doc, "　　特此证明。", size=14, font=FANG, before=6)
    signature(doc, "证明单位：{{ customer_name }}")
    return doc


# --- the archive parts (GB/T 9705-2008) ----------------------------------------------------------


def frame(doc: DocumentObject) -> None:
    """A double rule around the page (the cover's frame)."""
    sect = doc.sections[0]._sectPr
    borders = OxmlElement("w:pgBorders")
    borders.set(qn("w:offsetFrom"), "text")
    for side in ("top", "left", "bottom", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "double")
        edge.set(qn("w:sz"), "6")
        edge.set(qn("w:space"), "12")
        edge.set(qn("w:color"), "auto")
        borders.append(edge)
    sect.find(qn("w:pgMar")).addnext(borders)


def archive_cover() -> DocumentObject:
    doc = new_document()
    frame(doc)
    label = {"align": "distribute", "size": 14}
    value = {"align": "left", "size": 14}
    grid(
        doc,
        [30, 8, 122],
        [
            [("全宗名称", 1, label), ("", 1, value), ("{{ fonds }}", 1, value)],
            [("类目名称", 1, label), ("", 1, value), ("{{ category }}", 1, value)],
        ],
        height=11,
        ruled=False,
    )
    para(doc, "{{ binder_name }}", font=HEI, size=26, align="center", before=50)
    para(doc, "案 卷 题 名", font=HEI, size=14, align="center", before=36)
    para(doc, "{{ title }}", size=16, align="center", before=8, after=48)
    label = {"align": "distribute", "size": 12}
    value = {"align": "left", "size": 12}
    grid(
        doc,
        [34, 106],
        [
            [("起止日期", 1, label), ("自 {{ start }} 至 {{ end }}", 1, value)],
            [("保管期限", 1, label), ("{{ retention }}", 1, value)],
            [("件数", 1, label), ("{{ pieces }} 件", 1, value)],
            [("页数", 1, label), ("{{ pages }} 页", 1, value)],
            [("归档号", 1, label), ("{{ archive_no }}", 1, value)],
            [("档号", 1, label), ("{{ file_no }}", 1, value)],
        ],
        height=12,
    )
    return doc


def archive_catalog() -> DocumentObject:
    doc = new_document()
    title(doc, "卷 内 目 录")
    para(doc, "{{ binder_name }}　　档号：{{ file_no }}", size=10, after=4)
    # widths chosen with paperwork/binder/parts.py CATALOG_CAPACITY: no text wraps an orphan
    widths = [11, 24, 34, 48, 19, 11, 13]
    heads = ["序号", "文号", "责任者", "题名", "日期", "页号", "备注"]
    table = grid(
        doc,
        widths,
        [
            [(h, 1, {"head": True, "size": 10}) for h in heads],
            [("{%tr for row in rows %}", 7)],
            [
                ("{{ row.seq }}", 1, {"size": 9}),
                ("{{ row.number }}", 1, {"size": 9, "align": "left"}),
                ("{{ row.responsible }}", 1, {"size": 9, "align": "left"}),
                ("{{ row.title }}", 1, {"size": 9, "align": "left"}),
                ("{{ row.date }}", 1, {"size": 9}),
                ("{{ row.pages }}", 1, {"size": 9, "align": "right"}),
                ("{{ row.note }}", 1, {"size": 9, "align": "left"}),
            ],
            [("{%tr endfor %}", 7)],
        ],
        height=9,
    )
    repeat_header(table)
    return doc


def archive_note() -> DocumentObject:
    doc = new_document()
    title(doc, "卷 内 备 考 表")
    para(doc, "{{ binder_name }}　　档号：{{ file_no }}", size=10, after=4)
    grid(
        doc,
        [160],
        [
            [
                (
                    "",
                    1,
                    {
                        "align": "left",
                        "height": 150,
                        "valign": "top",
                        "lines": [
                            "本卷情况说明：",
                            "　　本卷共有文件材料 {{ pieces }} 件，共 {{ pages }} 页。",
                            "　　{{ explanation }}",
                        ],
                    },
                )
            ],
            [
                (
                    "",
                    1,
                    {
                        "align": "left",
                        "height": 40,
                        "lines": [
                            "立卷人：{{ filer }}　　　立卷时间：{{ note_date_cn }}",
                            "",
                            "检查人：{{ checker }}　　　检查时间：{{ check_date_cn }}",
                        ],
                        "line_align": {0: "right", 2: "right"},
                    },
                )
            ],
        ],
    )
    return doc


TEMPLATES = {
    "application_register": application_register,
    "design_commission": design_commission,
    "completion_request": completion_request,
    "live_work_request": live_work_request,
    "startup_equipment_list": startup_equipment_list,
    "customer_proof": customer_proof,
    "archive_cover": archive_cover,
    "archive_catalog": archive_catalog,
    "archive_note": archive_note,
}


def build(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key, make in TEMPLATES.items():
        doc = make()
        core = doc.core_properties
        core.author = "paperwork"
        core.title = key
        path = out / f"{key}.docx"
        doc.save(str(path))
        slim_docx(path)  # drop python-docx's 800 KB of unused styles: every fill reads them
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(path)
