"""Time limits: regimes as data, steps with missing events, overdue counts, status and its chart."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import yaml
from click.testing import CliRunner
from PIL import Image

from paperwork import load_case, loads_case, resolve, validate
from paperwork.cli import cli
from paperwork.rules.timeline import load_regimes, timeline
from paperwork.rules.workdays import load_calendar
from tests.conftest import DEMO, FIXTURES

IN_PROGRESS = FIXTURES / "in-progress" / "case.yaml"
D = dt.date


def steps_of(path: Path, regime: str, today: dt.date) -> dict[str, dict]:
    line = timeline(resolve(load_case(path)), load_regimes()[regime], load_calendar(), today)
    return {s.step: s.to_dict() for s in line.steps}


def test_reply_after_30_working_days_is_overdue_under_the_regulation() -> None:
    steps = steps_of(IN_PROGRESS, "供电监管办法", D(2026, 11, 2))
    reply = steps["供电方案答复"]
    assert reply["working_days"] == 30 and reply["limit"] == 20 and reply["overdue"] is True
    assert reply["start"] == "2026-08-03" and reply["end"] == "2026-09-14"


def test_open_step_counts_to_today_and_unstarted_steps_are_not_guessed() -> None:
    steps = steps_of(IN_PROGRESS, "供电监管办法", D(2026, 11, 2))
    review = steps["设计文件审核（第1轮）"]
    assert review["end"] is None and review["working_days"] == 10 and review["overdue"] is False
    mid = steps["中间检查"]
    assert mid["start"] is None and mid["working_days"] is None and mid["overdue"] is False


def test_each_regime_and_the_dual_source_limit() -> None:
    regulation = steps_of(DEMO, "供电监管办法", D(2026, 1, 5))
    promise = steps_of(DEMO, "国家电网承诺", D(2026, 1, 5))
    assert regulation["供电方案答复"]["limit"] == 20 and promise["供电方案答复"]["limit"] == 15
    assert regulation["中间检查"]["limit"] == 5 and promise["竣工检验"]["limit"] == 5
    assert promise["装表接电"]["overdue"] is True and regulation["装表接电"]["overdue"] is False
    assert "设计文件审核（第2轮）" in regulation  # one entry per review round
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    data["power_sources"] = 2
    for d in data["documents"]:
        d.pop("file", None)
    line = timeline(
        resolve(loads_case(yaml.safe_dump(data, allow_unicode=True))),
        load_regimes()["国家电网承诺"],
        load_calendar(),
        D(2026, 1, 5),
    )
    assert line.steps[0].limit == 30


def test_users_own_regime_file(tmp_path: Path, runner: CliRunner) -> None:
    own = tmp_path / "mine.yaml"
    own.write_text(
        "regimes:\n  - name: 本局承诺\n    steps:\n"
        "      - {step: 方案答复, start: application, end: 供电方案答复单, limit: 10}\n",
        encoding="utf-8",
    )
    assert load_regimes(own)["本局承诺"].steps[0].limit.dual == 10
    result = runner.invoke(
        cli, ["status", str(IN_PROGRESS), "--regime", str(own), "--format", "json", "--today", "2026-11-02"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["regime"] == "本局承诺" and data["steps"][0]["overdue"] is True


def test_status_json_contract(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["status", str(IN_PROGRESS), "--format", "json", "--today", "2026-11-02"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    # applied for in 2026: timed by the 2024 《供电营业规则》, each limit with its article
    assert data["regime"] == "供电营业规则"
    for step in data["steps"]:
        assert {"step", "start", "end", "working_days", "limit", "overdue", "article"} <= set(step)
    reply = data["steps"][0]
    assert (reply["step"], reply["limit"], reply["article"]) == ("供电方案答复", 10, "第二十二条")
    # 设计文件审核 is timed by the 2024 rules only for 重要电力用户; this customer is not one: shown untimed
    review = next(s for s in data["steps"] if s["step"].startswith("设计文件审核"))
    assert review["timed"] is False and review["overdue"] is False and review["due"] is None
    assert review["working_days"] == 10 and review["remaining"] is None
    assert data["next_step"]["step"] == "图纸送审"


def test_older_regimes_stay_selectable(runner: CliRunner) -> None:
    for regime, limit in (("供电监管办法", 20), ("国家电网承诺", 15)):
        result = runner.invoke(
            cli, ["status", str(IN_PROGRESS), "--format", "json", "--today", "2026-11-02", "--regime", regime]
        )
        data = json.loads(result.output)
        assert data["regime"] == regime and data["steps"][0]["limit"] == limit
    demo = json.loads(runner.invoke(cli, ["status", str(DEMO), "--format", "json"]).output)
    assert demo["regime"] == "供电监管办法"  # applied for in 2023, before the 2024 rules


def test_status_text_names_the_next_step(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["status", str(IN_PROGRESS), "--today", "2026-11-02"])
    assert "超期 20 个工作日" in result.output and "供电营业规则" in result.output
    assert "下一步【图纸送审】" in result.output and "待取回：受电工程图纸审核结果通知单" in result.output


def test_status_usage_errors(runner: CliRunner) -> None:
    assert runner.invoke(cli, ["status", str(DEMO), "--regime", "不存在的制度"]).exit_code == 2
    assert runner.invoke(cli, ["status", str(DEMO), "--regime", "nope.yaml"]).exit_code == 2


def year_without_data() -> int:
    """The first year from 2030 on that chinesecalendar has no data for: whichever years a future
    release adds, the tests below still find one it lacks."""
    from paperwork.rules.workdays import WorkCalendar

    year = 2030
    while WorkCalendar().has_data(year):
        year += 1
    return year


def test_status_says_when_a_year_has_no_calendar_data(runner: CliRunner) -> None:
    year = year_without_data()
    today = f"{year}-03-02"
    result = runner.invoke(cli, ["status", str(IN_PROGRESS), "--format", "json", "--today", today])
    assert any(str(year) in w for w in json.loads(result.output)["warnings"])


def test_chart_is_a_real_picture(runner: CliRunner, tmp_path: Path) -> None:
    png = tmp_path / "timeline.png"
    result = runner.invoke(cli, ["status", str(IN_PROGRESS), "--chart", str(png), "--today", "2026-11-02"])
    assert result.exit_code == 0, result.output
    with Image.open(png) as img:
        assert img.width >= 800 and img.height >= 300
        colours = img.convert("RGB").getcolors(maxcolors=1_000_000)
        assert colours is not None and len(colours) > 50
        red = sum(n for n, (r, g, b) in colours if r > 180 and g < 80 and b < 80)
        assert red > 500  # the overdue bar


def bureau_paper_on(day: str) -> list:
    data = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    for d in data["documents"]:
        d.pop("file", None)
        if d["title"] == "保护定值单":
            d["date"] = day
    return list(validate(loads_case(yaml.safe_dump(data, allow_unicode=True))).findings)  # no "today"


def test_holiday_warning_names_the_day_and_holiday() -> None:
    found = bureau_paper_on("2023-06-22")  # 端午节
    (f,) = [f for f in found if f.code == "DATE_HOLIDAY"]
    assert f.severity == "warning" and "2023-06-22" in f.message and "端午节" in f.message
    assert f.path is not None and f.path.endswith(".date")


def test_make_up_saturday_gets_no_warning() -> None:
    assert not [f for f in bureau_paper_on("2023-06-25") if f.code == "DATE_HOLIDAY"]  # 调休上班的星期日


def test_customer_papers_on_holidays_are_fine() -> None:
    report = validate(load_case(DEMO))  # the 冷缩头合格证 is dated on a Sunday
    assert not [f for f in report.findings if f.code == "DATE_HOLIDAY"]


def test_year_without_data_warns() -> None:
    year = year_without_data()
    saturday = next(D(year, 6, d) for d in range(1, 8) if D(year, 6, d).weekday() == 5)
    codes = {f.code for f in bureau_paper_on(saturday.isoformat())}
    assert "CALENDAR_NO_DATA" in codes and "DATE_HOLIDAY" in codes  # a Saturday, by the weekend fallback
