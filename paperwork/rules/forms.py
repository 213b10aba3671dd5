"""The form library: every paper of the process as a typed, immutable model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from paperwork.case.model import KINDS, Kind

__all__ = ["CONDITION_NAMES", "ISSUER_NAMES", "Condition", "Count", "Form", "Issuer", "Origin"]

Issuer = Literal["bureau", "customer", "contractor"]
Origin = Literal["template", "scan"]  # a form the contractor fills, or a paper that comes as a scan
Count = Literal["one", "many", "per_round"]
Condition = Literal[Kind, "large_equipment", "no_large_equipment"]

ISSUER_NAMES: dict[str, str] = {"bureau": "供电局", "customer": "客户", "contractor": "施工单位"}
CONDITION_NAMES: dict[str, str] = {
    **{kind: f"仅{kind}" for kind in KINDS},
    "large_equipment": "有超过100kW设备时",
    "no_large_equipment": "无超过100kW设备时",
}


@dataclass(frozen=True)
class Form:
    """One paper of the process: who issues it, how it is made, when it is needed.

    ``when`` is empty when the paper applies to every case; otherwise every
    condition in it must hold. In a kind listed in ``optional_for`` the paper
    is filed when present but not required. ``derived`` names the rule (R4, R5) that
    computes its date. ``reply`` marks the 供电方案答复单, which carries an
    申请日期 as well as its own date. ``absence`` is how a missing paper counts once its step is
    passed: ``error``, or ``warning`` for a paper the source names only as a thing to bring
    (filed when the case has it; a bureau's data may make it ``error``). ``prints`` are the
    case-file fields a generated form prints: left blank, each is named in a FORM_FIELD_BLANK.
    """

    key: str
    title: str
    issuer: Issuer
    source: Origin
    step: str
    date_meaning: str
    aliases: tuple[str, ...] = ()
    required: bool = True
    when: tuple[Condition, ...] = ()
    count: Count = "one"
    optional_for: tuple[Kind, ...] = ()
    may_predate: bool = False
    derived: str | None = None
    reply: bool = False
    filed: bool = True
    absence: Literal["error", "warning"] = "error"
    prints: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The title and every alias a case file may use for this paper."""
        return (self.title, *self.aliases)

    @property
    def generated(self) -> bool:
        """Whether the contractor fills it from a DOCX template."""
        return self.source == "template"

    def applies(self, kind: str, large_equipment: bool) -> bool:
        """Whether this paper belongs to a case of ``kind`` at all."""
        facts: dict[str, bool] = {
            **{k: kind == k for k in KINDS},
            "large_equipment": large_equipment,
            "no_large_equipment": not large_equipment,
        }
        return all(facts[c] for c in self.when)

    def needed(self, kind: str, large_equipment: bool) -> bool:
        """Whether a case of ``kind`` lacks something when it lacks this paper."""
        return self.required and kind not in self.optional_for and self.applies(kind, large_equipment)

    def describe_requirement(self) -> str:
        """The requirement in words: 必备／选填, with its conditions."""
        base = ("必备" if self.absence == "error" else "需带，有则归档") if self.required else "选填"
        if self.required and self.optional_for:
            base += "（" + "、".join(self.optional_for) + "选填）"
        if self.count == "per_round":
            base += "，每轮图纸审核一份"
        elif self.count == "many":
            base += "，可多份"
        if self.when:
            base += "（" + "、".join(CONDITION_NAMES[c] for c in self.when) + "）"
        return base
