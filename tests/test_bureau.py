from pathlib import Path

import pytest

from paperwork import ConfigError, load_bureau, load_case, resolve, validate
from paperwork.rules.catalog import catalogs
from tests.conftest import DEMO


def test_default_library_knows_every_paper_of_process_md() -> None:
    bureau = load_bureau()
    for title in [
        "用电申请书",
        "高压客户用电登记表",
        "供电方案答复单",
        "设计委托书",
        "受电工程图纸审核登记表",
        "受电工程图纸审核结果通知单",
        "审图通知单",
        "负控费发票",
        "启动设备清单",
        "证明",
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
        "用户电工证",
    ]:
        assert bureau.form(title) is not None, title
    small = bureau.binder("小本资料")
    assert [e.paper for e in small.parts[0].papers][:3] == [
        "受电工程竣工检查申请",
        "受电工程竣工验收登记表",
        "受电工程竣工验收单",
    ]
    assert [p.name for p in small.parts] == ["正文", "附件"]
    assert bureau.form("预缴电费发票") is not None and not bureau.binders_of(bureau.form("预缴电费发票"))


def test_override_patches_forms_and_replaces_binders(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "forms:\n"
        "  - {key: site_photos, title: 隐蔽工程照片, issuer: contractor, source: scan, step: 施工, date_meaning: 拍照日期}\n"
        "binders:\n"
        "  - {name: 大本资料, title: 客服大本资料, archive_key: big, date_start: application,\n"
        "     parts: [{name: 正文, papers: [用电申请书, 隐蔽工程照片]}]}\n"
        "  - {name: 小本资料, title: 小本资料, archive_key: small, note_date: 用户客户档案记录卡,\n"
        "     parts: [{name: 正文, papers: [用户客户档案记录卡]}]}\n",
        encoding="utf-8",
    )
    bureau = load_bureau(mine)
    assert bureau.form("隐蔽工程照片") is not None
    assert len(bureau.steps) == len(load_bureau().steps)  # steps kept
    case = load_case(DEMO)
    big, _small = catalogs(resolve(case, bureau))
    assert [r.label for r in big.rows] == ["用电申请书", "隐蔽工程照片"]
    assert big.missing[0].label == "隐蔽工程照片"
    assert not validate(resolve(case, bureau)).ok  # the new required paper is missing


def test_override_with_bad_reference_is_a_config_error(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        "forms:\n  - {key: a, title: 采集单, issuer: 谁, source: scan, step: x, date_meaning: y}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"mine\.yaml"):
        load_bureau(mine)
