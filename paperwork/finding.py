"""Findings: what a check says about a case, for clerks (Chinese) and scripts (code)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["CODES", "SEVERITY_NAMES", "Finding", "Severity", "error", "refusal", "todo", "warning"]

#: ``error``: the case is wrong; ``warning``: worth a look; ``todo``: a paper of a step the case has not
#: passed yet (to do, not wrong).
Severity = Literal["error", "warning", "todo"]
#: How each severity is called on a screen or a page.
SEVERITY_NAMES: dict[str, str] = {"error": "错误", "warning": "警告", "todo": "待办"}

#: Every stable finding code, with what it means. Scripts key on these.
CODES: dict[str, str] = {
    "CASE_UNREADABLE": "案卷文件不存在、是文件夹或打不开",
    "YAML_SYNTAX": "案卷文件不是合法的 YAML",
    "YAML_DUPLICATE_KEY": "同一层级出现重复的键",
    "TEXT_CONTROL_CHAR": "文字中有看不见的控制字符（如 Word 的软回车）",
    "TEXT_TOO_LONG": "文字太长，表单上印不下（一般最多 200 个字，备注 1000 个字）",
    "FIELD_MISSING": "缺少必填字段",
    "FIELD_TYPE": "字段的类型或取值不对",
    "FIELD_UNKNOWN": "不认识的字段（可能是拼写错误）",
    "FIELD_NOT_ALLOWED": "该字段不属于这种资料",
    "DATE_INVALID": "日期无法识别或不存在",
    "DATE_MISSING": "资料缺少日期",
    "DATE_IN_FUTURE": "日期晚于今天",
    "DATE_BEFORE_APPLICATION": "供电局或流程产生的资料早于报装日期",
    "DATE_IMPLAUSIBLE": "日期比报装日期早得不合理（多半是年份写错）",
    "DERIVED_DATE_MISMATCH": "按规则推算的日期与案卷中写的不一致",
    "ORDER_VIOLATED": "资料日期不符合流程先后顺序",
    "REVIEW_ROUND_ORDER": "图纸审核轮次的日期顺序不对",
    "REVIEW_ROUND_INCOMPLETE": "某一轮图纸审核缺少登记表或结果通知单（R6）",
    "REVIEW_ROUND_DUPLICATE": "同一轮图纸审核有重复的资料（R6）",
    "PAPER_MISSING": "本案卷应有的资料缺失",
    "PAPER_UNKNOWN": "资料题名不在表单库中",
    "PAPER_NOT_APPLICABLE": "本案卷类型不需要这份资料",
    "PAPER_DUPLICATE": "只应有一份的资料出现多份",
    "FILE_MISSING": "资料的扫描件或文件不存在",
    "FILE_UNREADABLE": "资料的文件损坏、加密、格式不对或无法转换",
    "CONFIG_INVALID": "局方数据文件不可用",
    "DATE_HOLIDAY": "供电局出具的资料落在非工作日",
    "CALENDAR_NO_DATA": "该年份没有官方节假日数据，按周末推算",
    "ARCHIVE_NUMBER_BLANK": "案卷的归档号或档号是空的，封面和目录上会空着",
    "FORM_FIELD_BLANK": "施工单位打印的表单上有空着的栏目（按表单列出）",
    "REQUEST_INVALID": "网页或脚本发来的内容不能用（缺少的项、错误的名字或日期）",
    "CASE_EXISTS": "要新建的案卷编号已经有了",
    "CASE_STALE": "案卷在读取之后已被别人修改，这次修改没有保存",
    "UPLOAD_REFUSED": "上传的文件是空的，或不是 PDF、图片、DOCX、DOC、RTF",
    "UPLOAD_TOO_LARGE": "上传的文件或发来的内容超过大小上限",
    "CASE_NOT_FOUND": "工作区里没有这个案卷",
    "OUTPUT_MISSING": "要下载的装订结果或预览还没有（先装订）",
    "PATH_OUTSIDE_WORKSPACE": "案卷指向工作区之外的文件（绝对路径、../ 或链接），服务器不用它",
    "HOST_NOT_ALLOWED": "请求的主机名不是这台服务器允许的（防 DNS 重绑定）",
    "QUEUE_UNREACHABLE": "服务器连不上装订队列（Redis），装订没有交出去",
    "ROUTE_NOT_FOUND": "没有这个网址（接口）",
    "METHOD_NOT_ALLOWED": "这个网址不接受这种请求方法",
    "LOGIN_THROTTLED": "登录连续失败太多次（同一用户名一分钟内五次），请一分钟后再试",
    "LOGIN_REQUIRED": "需要登录：没有登录、登录已过期或已退出，或用户已被删除",
    "LOGIN_FAILED": "用户名或密码不对，或脚本口令无效（已作废）",
    "ADMIN_REQUIRED": "只有管理员能管理用户",
    "ACCOUNT_INVALID": "用户不能这样添加或修改（已存在、不存在、名字或密码不合要求）",
    "HISTORY_UNAVAILABLE": "修改记录数据库无法读写（损坏或被占用）：为了不留下没有记录的修改，不能保存",
    "HISTORY_NOT_FOUND": "没有这一号修改记录",
    "OPERATION_FAILED": "操作没有完成：LibreOffice、磁盘或数据文件的问题，原因见说明",
    "BINDER_UNREADABLE": "案卷 PDF 打不开：不是 PDF，或已损坏",
    "BINDER_RECORD_DAMAGED": "案卷 PDF 里的装订记录已损坏",
    "BINDER_PAGE_COUNT": "案卷的页数与装订时不同",
    "BINDER_PAGE_CHANGED": "某页与装订时不同：被改动或换成了别的页",
    "BINDER_PAGE_MISSING": "装订时的某页不见了（被删除）",
    "BINDER_PAGE_ADDED": "多出了装订时没有的页",
    "BINDER_PAGE_MOVED": "某页被挪了位置",
    "BINDER_PAGE_NUMBER": "页面上印的页号与卷内目录不符",
    "BINDER_BOOKMARK": "书签缺失，或指向的页与卷内目录的页号不符",
    "BINDER_COVER_DATES": "封面起止日期与卷内目录的日期不符（R1/R2）",
    "BINDER_COUNTS": "件数、页数在卷内目录、封面、备考表之间不一致",
    "BINDER_CATALOG_CHANGED": "卷内目录（目录页或卷内目录.xlsx）与装订时不同",
    "BINDER_FONT_NOT_EMBEDDED": "PDF 用的字体没有嵌入，别的电脑上可能显示成别的字",
    "BINDER_PDFA": "PDF 声明是 PDF/A，却没有通过 PDF/A 校验",
    "BINDER_ATTACHMENT": "PDF/A-3 里附带的文件（案卷文件、卷内目录）缺失或与装订时不同",
    "INTERNAL_ERROR": "服务器内部错误（程序的问题），请把操作步骤和服务器日志发给维护者",
}


@dataclass(frozen=True)
class Finding:
    """One thing wrong (error) or worth a look (warning) in a case file.

    ``path`` is the field path in the case file (``documents[3].date``), or
    None for the case as a whole; ``line`` is the 1-based line in the case file
    where there is one; ``rule`` is R1…R6 where one of the dating rules applies.
    ``subject`` is what the finding is about, for programs (the missing form's title for
    PAPER_MISSING); the message is for people and is never parsed. ``label`` names the field
    as the page shows it (资料第 5 行 · 日期), ``fields`` the case-file paths of every blank box
    of a FORM_FIELD_BLANK.
    """

    code: str
    severity: Severity
    message: str
    path: str | None = None
    line: int | None = None
    rule: str | None = None
    source: str | None = None
    subject: str | None = field(default=None, compare=False)
    label: str | None = field(default=None, compare=False)
    fields: tuple[str, ...] = field(default=(), compare=False)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}")

    def to_dict(self) -> dict[str, object]:
        """The JSON shape of a finding (the CLI's contract)."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "rule": self.rule,
            "label": self.label,
            **({"fields": list(self.fields)} if self.fields else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """A finding back from :meth:`to_dict` (a worker's answer through the queue)."""
        severity = data.get("severity")
        return cls(
            code=str(data["code"]),
            severity=severity if severity in ("error", "warning", "todo") else "error",
            message=str(data.get("message") or ""),
            path=data.get("path"),
            line=data.get("line"),
            rule=data.get("rule"),
            label=data.get("label"),
            fields=tuple(data.get("fields") or ()),
        )

    def where(self) -> str:
        """``case.yaml:12 documents[3].date`` — for a person reading a list."""
        place = self.source or ""
        if self.line is not None:
            place += f":{self.line}"
        if self.path:
            place += f" {self.path}" if place else self.path
        return place


def error(code: str, message: str, **where: object) -> Finding:
    """An error finding; ``where`` takes path, line, rule, source."""
    return Finding(code, "error", message, **where)  # type: ignore[arg-type]


def todo(code: str, message: str, **where: object) -> Finding:
    """A to-do finding (a paper of a step not reached yet); ``where`` as for :func:`error`."""
    return Finding(code, "todo", message, **where)  # type: ignore[arg-type]


def warning(code: str, message: str, **where: object) -> Finding:
    """A warning finding; ``where`` takes path, line, rule, source."""
    return Finding(code, "warning", message, **where)  # type: ignore[arg-type]


def refusal(findings: tuple[Finding, ...] | list[Finding]) -> str:
    """Why a final build was refused, counted: ``2 个错误``, ``3 份要归档的资料还没有``, or both."""
    errors = sum(1 for f in findings if f.severity == "error")
    waiting = sum(1 for f in findings if f.severity == "todo")
    parts = [f"{errors} 个错误"] if errors or not waiting else []
    if waiting:
        parts.append(f"{waiting} 份要归档的资料还没有")
    return "，".join(parts)
