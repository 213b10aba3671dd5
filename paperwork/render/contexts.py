"""What each generated form shows: one flat, typed model per template.

A template may use exactly the fields of its model (``paperwork template-vars``
lists them); a test holds every shipped template to that. Values are text, as
the form prints them; absent values are empty text, never "None".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from paperwork.case.dates import chinese
from paperwork.case.model import KINDS, Case, Customer
from paperwork.case.reader import spec
from paperwork.errors import TemplateError
from paperwork.render.archive import CatalogData, CoverData, NoteData
from paperwork.rules.resolution import Paper, Resolved

__all__ = [
    "MODELS",
    "CatalogData",
    "CommonFields",
    "CompletionRequestData",
    "CoverData",
    "DesignCommissionData",
    "EquipmentListData",
    "LiveWorkRequestData",
    "NoteData",
    "ProofData",
    "RegisterData",
    "check_box",
    "form_data",
    "template_fields",
]


def check_box(options: list[str], chosen: str | bool | None) -> str:
    """Options each followed by its box, as the official forms print them: ``新装 ☑　　增容 □``.

    Nothing chosen (None) prints every box empty: a form never ticks what the clerk did not choose."""
    return "　　".join(f"{o} {'☑' if o == chosen else '□'}" for o in options)


def digits(text: str | None, boxes: int) -> tuple[str, ...]:
    """A number spread over ``boxes`` digit boxes (身份证号 18, 移动电话 11); blanks where it is short."""
    chars = [c for c in (text or "") if not c.isspace()][:boxes]
    return (*chars, *[""] * (boxes - len(chars)))


def _yes_no(value: bool | None, yes: str = "是", no: str = "否") -> str:
    return check_box([yes, no], None if value is None else (yes if value else no))


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class CommonFields:
    """Fields every generated form may use."""

    case_id: str = spec("案卷编号")
    kind: str = spec("业务类型（新装/增容）")
    customer_name: str = spec("户名")
    account_no: str = spec("户号")
    address: str = spec("用电地址")
    legal_rep: str = spec("法人代表")
    agent_name: str = spec("经办人")
    agent_mobile: str = spec("经办人移动电话")
    contractor_name: str = spec("施工单位")
    contractor_contact: str = spec("施工单位联系人")
    contractor_phone: str = spec("施工单位联系电话")
    project_name: str = spec("工程名称")
    capacity_kva: str = spec("申请容量（千伏安）")
    voltage_kv: str = spec("供电电压（千伏）")
    number: str = spec("本资料的文号")
    date_cn: str = spec("本资料的日期，如 2023年3月1日")
    year: str = spec("本资料日期的年")
    month: str = spec("本资料日期的月")
    day: str = spec("本资料日期的日")


@dataclass(frozen=True)
class RegisterData(CommonFields):
    """高压客户用电登记表 (附件3-4)."""

    id_type: str = spec("证件名称", default="")
    id_number: str = spec("证件号码", default="")
    industry: str = spec("行业", default="")
    important_boxes: str = spec("重要客户 是 ☑ 否 □", default="")
    address_line1: str = spec("用电地址第一行：县（市/区）、街道（镇/乡）、社区（居委会/村）", default="")
    address_line2: str = spec("用电地址第二行：道路、小区、组团（片区）", default="")
    mail_address: str = spec("通信地址", default="")
    postcode: str = spec("邮编", default="")
    email: str = spec("电子邮箱", default="")
    legal_rep_id: str = spec("法人代表身份证号", default="")
    legal_rep_id_digits: tuple[str, ...] = spec("法人代表身份证号，一格一位（18 格）", default=())
    phone: str = spec("客户固定电话", default="")
    mobile: str = spec("客户移动电话", default="")
    mobile_digits: tuple[str, ...] = spec("客户移动电话，一格一位（11 格）", default=())
    agent_id: str = spec("经办人身份证号", default="")
    agent_id_digits: tuple[str, ...] = spec("经办人身份证号，一格一位（18 格）", default=())
    agent_phone: str = spec("经办人固定电话", default="")
    agent_mobile_digits: tuple[str, ...] = spec("经办人移动电话，一格一位（11 格）", default=())
    self_power_kw: str = spec("自备电源容量（千瓦）", default="")
    business_type_boxes: str = spec("业务类型勾选：新装/增容/临时用电", default="")
    usage_category_boxes: str = spec("用电类别勾选", default="")
    first_existing_kva: str = spec("第一路原有容量", default="")
    first_requested_kva: str = spec("第一路申请容量", default="")
    second_existing_kva: str = spec("第二路原有容量", default="")
    second_requested_kva: str = spec("第二路申请容量", default="")
    self_power_boxes: str = spec("自备电源勾选", default="")
    self_power: str = spec("自备电源说明", default="")
    vat_invoice_boxes: str = spec("需要增值税发票勾选", default="")
    nonlinear_boxes: str = spec("非线性负荷勾选", default="")
    remarks: str = spec("特别说明", default="")


@dataclass(frozen=True)
class DesignCommissionData(CommonFields):
    """设计委托书."""

    designer: str = spec("设计单位", default="")
    # The letter is dated by R5 at the first reply's 申请日期, before that reply's 答复日期: it
    # cites the application (报装), which comes before it, and no paper dated after it.
    application_date_cn: str = spec("报装日期", default="")


@dataclass(frozen=True)
class CompletionRequestData(CommonFields):
    """受电工程竣工检查申请."""

    license_no: str = spec("施工单位资质证号", default="")
    midcheck_date_cn: str = spec("中间检查结果通知单日期", default="")
    attachments: str = spec("随申请附上的资料（增容不附负控费发票复印件）", default="")


@dataclass(frozen=True)
class LiveWorkRequestData(CommonFields):
    """委托带电施工申请."""

    bureau_name: str = spec("供电公司（全宗名称）", default="")
    live_work: str = spec("带电作业内容", default="")
    acceptance_date_cn: str = spec("竣工验收单日期", default="")


@dataclass(frozen=True)
class EquipmentRow:
    seq: str
    name: str
    model: str
    power_kw: str
    quantity: str
    total_kw: str
    load_class: str
    start_mode: str
    note: str


@dataclass(frozen=True)
class EquipmentListData(CommonFields):
    """启动设备清单; ``equipment`` rows have seq, name, model, power_kw, quantity, start_mode, note."""

    equipment: tuple[EquipmentRow, ...] = spec("设备行（表格行循环）", default=())
    total_count: str = spec("设备总台数", default="")
    total_kw: str = spec("设备总容量（千瓦）", default="")
    application_no: str = spec("申请编号", default="")
    demand_kw: str = spec("需求负荷（千瓦）", default="")


@dataclass(frozen=True)
class ProofData(CommonFields):
    """证明 (no equipment over 100 kW)."""

    max_power_note: str = spec("（最大单台设备容量为 X 千瓦）；没有设备清单时为空", default="")


#: Template key → the model a template with that key may use.
MODELS: dict[str, type] = {
    "application_register": RegisterData,
    "design_commission": DesignCommissionData,
    "completion_request": CompletionRequestData,
    "live_work_request": LiveWorkRequestData,
    "startup_equipment_list": EquipmentListData,
    "customer_proof": ProofData,
    "archive_cover": CoverData,
    "archive_catalog": CatalogData,
    "archive_note": NoteData,
}


def template_fields(key: str) -> tuple[tuple[str, str], ...]:
    """(name, description) of every variable the template ``key`` may use."""
    if key not in MODELS:
        raise TemplateError(f"没有名为“{key}”的表单模板；可用的有：{'、'.join(MODELS)}")
    return tuple((f.name, f.metadata.get("doc", "")) for f in fields(MODELS[key]))


def _common(case: Case, paper: Paper | None) -> dict[str, str]:
    cust, con, cap = case.customer, case.contractor, case.capacity
    day = paper.date if paper else None
    return {
        "case_id": case.case_id,
        "kind": case.kind,
        "customer_name": cust.name,
        "account_no": cust.account_no or "",
        "address": cust.address or "",
        "legal_rep": cust.legal_rep or "",
        "agent_name": cust.agent.name if cust.agent else "",
        "agent_mobile": (cust.agent.mobile or "") if cust.agent else "",
        "contractor_name": con.name if con else "",
        "contractor_contact": (con.contact or "") if con else "",
        "contractor_phone": (con.phone or "") if con else "",
        "project_name": case.application.project_name or f"{cust.name}{case.kind}用电工程",
        "capacity_kva": _num(cap.requested_kva) if cap else "",
        "voltage_kv": _num(cap.voltage_kv) if cap else "",
        "number": (paper.document.number or "") if paper else "",
        "date_cn": chinese(day),
        "year": str(day.year) if day else "",
        "month": str(day.month) if day else "",
        "day": str(day.day) if day else "",
    }


def _latest_date_cn(resolved: Resolved, key: str) -> str:
    """The date of the case's last dated paper of form ``key``, as the form prints it ("" for none)."""
    dated = [p for p in resolved.of(key) if p.date]
    return chinese(dated[-1].date) if dated else ""


def _address_lines(cust: Customer) -> tuple[str, str]:
    """The 用电地址 in the official form's two rows, each part before its label."""
    parts = cust.address_parts
    if parts is None:
        return cust.address or "", ""

    def part(value: str | None, label: str) -> str:
        return f"{value or '　　'} {label}"

    first = "　".join(
        (
            part(parts.county, "县(市/区)"),
            part(parts.street, "街道(镇/乡)"),
            part(parts.community, "社区(居委会/村)"),
        )
    )
    second = "　".join(
        (part(parts.road, "道路"), part(parts.estate, "小区"), part(parts.block, "组团(片区)"))
    )
    return first, second


def _completion_attachments(resolved: Resolved) -> str:
    """What goes with the 竣工检查申请: the 负控费发票复印件 only where the case has one (not 增容)."""
    invoice = resolved.bureau.form_by_key("load_control_invoice")
    with_invoice = invoice is not None and resolved.applies(invoice)
    return "、".join([*(["负控费发票复印件"] if with_invoice else []), "设备合格证及试验报告"])


def _has_self_power(text: str | None) -> bool | None:
    """自备电源: None when not answered, False for 无 (or blank), True for a description."""
    if text is None:
        return None
    return text.strip() not in {"", "无"}


def form_data(resolved: Resolved, key: str, paper: Paper | None) -> dict[str, object]:
    """The template context of a generated form, as the model's fields."""
    case = resolved.case
    base = _common(case, paper)
    cust, cap, app = case.customer, case.capacity, case.application
    model: object
    if key == "application_register":
        agent = cust.agent
        model = RegisterData(
            **base,
            id_type=cust.id_type or "",
            id_number=cust.id_number or "",
            industry=cust.industry or "",
            important_boxes=_yes_no(cust.important),
            address_line1=_address_lines(cust)[0],
            address_line2=_address_lines(cust)[1],
            legal_rep_id_digits=digits(cust.legal_rep_id, 18),
            mobile_digits=digits(cust.mobile, 11),
            agent_id_digits=digits(agent.id_number if agent else None, 18),
            agent_mobile_digits=digits(agent.mobile if agent else None, 11),
            self_power_kw=_num(app.self_power_kw) if app.self_power_kw else "",
            mail_address=cust.mail_address or "",
            postcode=cust.postcode or "",
            email=cust.email or "",
            legal_rep_id=cust.legal_rep_id or "",
            phone=cust.phone or "",
            mobile=cust.mobile or "",
            agent_id=(agent.id_number or "") if agent else "",
            agent_phone=(agent.phone or "") if agent else "",
            business_type_boxes=check_box([*KINDS, "临时用电"], case.kind),
            usage_category_boxes=check_box(["工业", "非工业", "商业", "农业", "其它"], app.usage_category),
            first_existing_kva=_num(cap.existing_kva) if cap else "",
            first_requested_kva=_num(cap.requested_kva) if cap else "",
            second_existing_kva=_num(cap.second_existing_kva) if cap else "",
            second_requested_kva=_num(cap.second_requested_kva) if cap else "",
            self_power_boxes=_yes_no(_has_self_power(app.self_power), "有", "无"),
            self_power="" if app.self_power in {None, "无"} else (app.self_power or ""),
            vat_invoice_boxes=_yes_no(app.vat_invoice),
            nonlinear_boxes=_yes_no(app.nonlinear_load, "有", "无"),
            remarks=app.remarks or "",
        )
    elif key == "design_commission":
        model = DesignCommissionData(
            **base, designer=app.designer or "", application_date_cn=chinese(case.application_date)
        )
    elif key == "completion_request":
        model = CompletionRequestData(
            **base,
            license_no=(case.contractor.license_no or "") if case.contractor else "",
            midcheck_date_cn=_latest_date_cn(resolved, "midcheck_result"),
            attachments=_completion_attachments(resolved),
        )
    elif key == "live_work_request":
        model = LiveWorkRequestData(
            **base,
            bureau_name=case.archive.fonds or "供电公司",
            live_work=app.live_work or "",
            acceptance_date_cn=_latest_date_cn(resolved, "completion_acceptance"),
        )
    elif key == "startup_equipment_list":
        rows = tuple(
            EquipmentRow(
                str(i),
                e.name,
                e.model or "",
                _num(e.power_kw),
                str(e.quantity),
                _num(e.power_kw * e.quantity),
                e.load_class or "",
                e.start_mode or "",
                e.note or "",
            )
            for i, e in enumerate(case.equipment, 1)
        )
        model = EquipmentListData(
            **base,
            equipment=rows,
            total_count=str(sum(e.quantity for e in case.equipment)),
            total_kw=_num(sum(e.power_kw * e.quantity for e in case.equipment)),
            application_no=app.application_no or "",
            demand_kw=_num(app.demand_kw) if app.demand_kw else "",
        )
    elif key == "customer_proof":
        largest = max((e.power_kw for e in case.equipment), default=0.0)
        note = f"（最大单台设备容量为 {_num(largest)} 千瓦）" if largest > 0 else ""
        model = ProofData(**base, max_power_note=note)
    else:
        raise TemplateError(f"没有名为“{key}”的表单模板；可用的有：{'、'.join(MODELS)}")
    return asdict(model)
