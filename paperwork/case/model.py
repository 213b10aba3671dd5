"""The case file: one high-voltage hookup, as a clerk writes it in YAML.

These frozen dataclasses are the case file's only description: the reader, the
JSON Schema (``paperwork schema``) and the commented starter file
(``paperwork init``) are all made from them.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

import yaml

from paperwork.case.reader import read, spec, to_plain
from paperwork.case.yamlfile import Parsed, line_of, parse_yaml, read_yaml
from paperwork.errors import CaseError
from paperwork.finding import Finding

__all__ = [
    "KINDS",
    "AddressParts",
    "ApplicationForm",
    "Archive",
    "BinderInfo",
    "Capacity",
    "Case",
    "Contractor",
    "Customer",
    "Document",
    "Equipment",
    "Kind",
    "Person",
    "dump_case",
    "load_case",
    "loads_case",
]

#: The kinds of hookup (业务类型): written here once; forms, steps and the 登记表 take it from here.
Kind = Literal["新装", "增容"]
KINDS: tuple[Kind, ...] = get_args(Kind)


@dataclass(frozen=True)
class Person:
    """经办人 or another contact person."""

    name: str = spec("姓名", "李娜")
    id_number: str | None = spec("身份证号", "110101199001011234", default=None)
    phone: str | None = spec("固定电话", "010-61234567", default=None)
    mobile: str | None = spec("移动电话", "13800001234", default=None)


@dataclass(frozen=True)
class AddressParts:
    """用电地址 as the official 登记表 (附件3-4) asks for it, part by part."""

    county: str | None = spec("县（市/区）", "顺义区", default=None)
    street: str | None = spec("街道（镇/乡）", "林河", default=None)
    community: str | None = spec("社区（居委会/村）", "顺仁", default=None)
    road: str | None = spec("道路", "顺仁路 18 号", default=None)
    estate: str | None = spec("小区", default=None)
    block: str | None = spec("组团（片区）", default=None)


@dataclass(frozen=True)
class Customer:
    """The customer (甲方, 用电客户) as the 登记表 shows it."""

    name: str = spec("户名（甲方单位全称）", "宏达精密机械有限公司")
    account_no: str | None = spec("户号（供电局编的客户编号）", "0123456789", default=None)
    id_type: str | None = spec("证件名称", "营业执照", default=None)
    id_number: str | None = spec("证件号码（统一社会信用代码）", "91110000MA01234567", default=None)
    industry: str | None = spec("行业", "通用设备制造业", default=None)
    important: bool | None = spec("是否重要客户（不填则登记表上两格都空着）", False, default=None)
    address: str | None = spec("用电地址", "北京市顺义区某某路 8 号", default=None)
    address_parts: AddressParts | None = spec(
        "用电地址分项（登记表按 县/街道/社区/道路/小区/组团 填写）", default=None
    )
    mail_address: str | None = spec("通信地址", "北京市顺义区某某路 8 号", default=None)
    postcode: str | None = spec("邮编", "101300", default=None)
    email: str | None = spec("电子邮箱", "office@example.com", default=None)
    legal_rep: str | None = spec("法人代表", "王建国", default=None)
    legal_rep_id: str | None = spec("法人代表身份证号", "110101197001011234", default=None)
    phone: str | None = spec("固定电话", "010-61234567", default=None)
    mobile: str | None = spec("移动电话", "13900001234", default=None)
    agent: Person | None = spec("经办人", default=None)


@dataclass(frozen=True)
class Contractor:
    """The electrical contractor (施工单位) the clerk works for."""

    name: str = spec("施工单位名称", "华电安装工程有限公司")
    contact: str | None = spec("施工单位联系人", "张敏", default=None)
    phone: str | None = spec("施工单位联系电话", "13700001234", default=None)
    license_no: str | None = spec("承装（修、试）电力设施许可证编号", "1-1-00123-2020", default=None)


@dataclass(frozen=True)
class Capacity:
    """Supply capacity in kVA, as the 登记表 asks for it."""

    requested_kva: float = spec("第一路电源申请容量（kVA）", 800)
    existing_kva: float = spec("第一路电源原有容量（kVA），新装为 0", 0, default=0)
    second_requested_kva: float | None = spec("第二路电源申请容量（kVA），单电源不填", default=None)
    second_existing_kva: float | None = spec("第二路电源原有容量（kVA）", default=None)
    voltage_kv: float = spec("供电电压（kV）", 10, default=10)


@dataclass(frozen=True)
class Equipment:
    """A piece of the customer's equipment (for the 启动设备清单)."""

    name: str = spec("设备名称", "空气压缩机")
    power_kw: float = spec("单台功率（kW）", 132)
    quantity: int = spec("台数", 1, default=1)
    model: str | None = spec("型号", "GA132", default=None)
    start_mode: str | None = spec("启动方式", "软启动", default=None)
    note: str | None = spec("备注", default=None)
    load_class: str | None = spec("负荷等级（一级/二级/三级）", "三级", default=None)


@dataclass(frozen=True)
class ApplicationForm:
    """Extra fields of the 高压客户用电登记表."""

    usage_category: Literal["工业", "非工业", "商业", "农业", "其它"] | None = spec(
        "用电类别", "工业", default=None
    )
    self_power: str | None = spec("自备电源（无则写“无”；不填则两格都空着）", "无", default=None)
    self_power_kw: float | None = spec("自备电源容量（千瓦）", default=None)
    application_no: str | None = spec("申请编号（供电企业受理后给的编号）", default=None)
    demand_kw: float | None = spec("需求负荷（千瓦，设备清单用）", default=None)
    vat_invoice: bool | None = spec("是否需要增值税发票", True, default=None)
    nonlinear_load: bool | None = spec("是否有非线性负荷", False, default=None)
    remarks: str | None = spec("特别说明", default=None)
    project_name: str | None = spec("工程名称（竣工检查申请、委托带电施工申请用）", default=None)
    designer: str | None = spec("设计单位（设计委托书用）", "某某电力设计院有限公司", default=None)
    live_work: str | None = spec("带电作业内容（委托带电施工申请用）", default=None)


@dataclass(frozen=True)
class BinderInfo:
    """Archive fields of one binder; dates here are checked against R1–R3."""

    title: str | None = spec("案卷题名（不填则按户名自动生成）", default=None)
    archive_no: str | None = spec("归档号", default=None)
    file_no: str | None = spec("档号", default=None)
    start: dt.date | None = spec("封面起日期（可不填，按 R1/R2 推算）", default=None)
    end: dt.date | None = spec("封面止日期（可不填，按 R1/R2 推算）", default=None)
    note_date: dt.date | None = spec("备考表日期（可不填；小本按 R3 推算）", default=None)
    note: str | None = spec("备考表补充说明", default=None)


@dataclass(frozen=True)
class Archive:
    """GB/T 9705 archive fields shared by both binders."""

    fonds: str | None = spec("全宗名称", "某某供电公司", default=None)
    category: str | None = spec("类目名称", "业扩报装", default=None)
    retention: str = spec("保管期限", "30年", default="30年")
    filer: str | None = spec("立卷人", "张敏", default=None)
    checker: str | None = spec("检查人", "刘强", default=None)
    filing_date: dt.date | None = spec("立卷时间", default=None)
    check_date: dt.date | None = spec("检查时间（不填同备考表日期）", default=None)
    big: BinderInfo = spec("客服大本资料", default=BinderInfo())
    small: BinderInfo = spec("小本资料", default=BinderInfo())


@dataclass(frozen=True)
class Document:
    """One dated paper of the case, in any order."""

    title: str = spec("资料题名（与表单库一致）", "供电方案答复单")
    date: dt.date | None = spec("资料日期（答复单为答复日期）", "2023-03-20", default=None)
    application_date: dt.date | None = spec(
        "答复单上的申请日期（仅供电方案答复单）", "2023-03-02", default=None
    )
    round: int | None = spec("图纸审核第几轮（仅图纸审核资料）", default=None)
    number: str | None = spec("文号", "供电方案〔2023〕17号", default=None)
    issuer: str | None = spec("责任者（不填按表单库）", "某某供电公司", default=None)
    file: str | None = spec("扫描件或文档，相对于案卷文件", "scans/reply-1.pdf", default=None)
    pages: int | None = spec("页数（有文件时可不填）", default=None)
    note: str | None = spec("备注", default=None)


@dataclass(frozen=True)
class Case:
    """One hookup: the customer, the contractor, and every dated paper."""

    case_id: str = spec("案卷编号", "GY-2023-017")
    kind: Kind = spec("业务类型：新装 或 增容", "新装")
    application_date: dt.date = spec("报装日期", "2023-03-01")
    customer: Customer = spec("用电客户（甲方）")
    documents: tuple[Document, ...] = spec("本案卷每一份有日期的资料，顺序不限", default=())
    contractor: Contractor | None = spec("施工单位", default=None)
    capacity: Capacity | None = spec("容量", default=None)
    power_sources: Literal[1, 2] = spec("电源路数：单电源 1，双电源 2", 1, default=1)
    equipment: tuple[Equipment, ...] = spec("主要用电设备", default=())
    large_equipment: bool | None = spec("是否有超过 100 kW 的设备（不填则按设备清单判断）", default=None)
    review_rounds: int | None = spec("图纸审核轮数（可不填，按资料推算，R6）", default=None)
    application: ApplicationForm = spec("登记表等表单的补充字段", default=ApplicationForm())
    archive: Archive = spec("档案信息", default=Archive())
    bureau: str | None = spec("本局的表单库/案卷目录数据文件（覆盖默认），相对于案卷文件", default=None)
    source: str = field(default="", compare=False, repr=False, init=False)
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False, repr=False, init=False)
    load_findings: tuple[Finding, ...] = field(default=(), compare=False, repr=False, init=False)

    @property
    def has_large_equipment(self) -> bool:
        """Whether the customer has equipment over 100 kW (启动设备清单 vs 证明)."""
        if self.large_equipment is not None:
            return self.large_equipment
        return any(item.power_kw > 100 for item in self.equipment)

    @property
    def folder(self) -> Path:
        """The folder the case file lives in; files are relative to it."""
        return Path(self.source).parent if self.source else Path.cwd()

    @functools.cached_property
    def _line_table(self) -> dict[str, int]:
        return dict(self.lines)

    def path_of(self, name: str) -> Path:
        """A file named in the case, relative to the case file (``scans\\a.pdf`` typed on Windows too)."""
        return self.folder / name.replace("\\", "/")

    def line(self, path: str) -> int | None:
        """The case-file line of a field path, or of its nearest parent."""
        return line_of(self._line_table, path)


def _finish(case: Case, source: str, lines: dict[str, int], findings: list[Finding]) -> Case:
    object.__setattr__(case, "source", source)
    object.__setattr__(case, "lines", tuple(sorted(lines.items())))
    object.__setattr__(case, "load_findings", tuple(findings))
    return case


def _case(parsed: Parsed, source: str) -> Case:
    record, findings = read(Case, parsed, source)
    errors = [f for f in findings if f.severity == "error"]
    if not isinstance(record, Case) or errors:
        raise CaseError(source, tuple(findings))
    return _finish(record, source, parsed.lines, findings)


def loads_case(text: str, source: str = "<case>") -> Case:
    """Read a case from YAML text; raise CaseError with every problem found."""
    return _case(parse_yaml(text, source), source)


def load_case(path: str | Path) -> Case:
    """Read a case file; raise CaseError (with paths and lines) if it is unusable.

    A path that is missing, a folder or unreadable is a CaseError too (code
    CASE_UNREADABLE). Warnings found while reading (unknown keys) stay on
    ``case.load_findings``.
    """
    path = Path(path)
    return _case(read_yaml(path), str(path))


def dump_case(case: Case) -> str:
    """The case as YAML text; reading it back gives an equal case."""
    return yaml.safe_dump(to_plain(case), allow_unicode=True, sort_keys=False, width=100)
