"""`paperwork intake`: scans made at run time (seal over the date, turned, noisy, JPEG 60) with known answers.

The OCR tests need the `[ocr]` extra (its models come inside the wheel: they run offline);
under CI=true its absence is a failure, not a skip. The reading rules are also tested on
OCR lines written by hand, which needs nothing.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from paperwork.cli import cli
from paperwork.intake.engine import TextLine
from paperwork.intake.reading import read_paper
from paperwork.rules.bureau import load_bureau
from tests.conftest import DEMO, REFERENCE_FORMS, copy_demo
from tests.scanmaker import (
    Expected,
    Notice,
    as_pdf,
    draw_notice,
    loose_pages,
    make_forms,
    make_notices,
    scanned,
)

BUREAU = load_bureau()


def _line(text: str, y: float, x: float = 100, h: float = 30, score: float = 0.98) -> TextLine:
    return TextLine(text, x, y, x + 30 * len(text), y + h, score)


# -- the reading rules, on lines written by hand ----------------------------------------------


def test_the_reply_date_is_the_answer_date_not_the_application_date() -> None:
    lines = [
        _line("高压供电方案答复单", 100, h=50),
        _line("申请日期：2023年3月2日", 400),
        _line("答复日期：2023年3月20日", 500),
    ]
    r = read_paper([lines], [1754], BUREAU)
    assert (r.title.value, r.date.value, r.application_date.value) == (
        "供电方案答复单",
        "2023-03-20",
        "2023-03-02",
    )


def test_a_quoted_number_is_not_the_papers_own() -> None:
    lines = [
        _line("设计委托书", 100, h=50),
        _line("根据贵公司顺供方案〔2023〕17号答复，委托贵院设计本工程。", 300),
        _line("2023年3月2日", 900, x=800),
    ]
    r = read_paper([lines], [1754], BUREAU)
    assert r.number.value is None and r.date.value == "2023-03-02"


def test_own_number_date_in_words_and_a_quoted_date() -> None:
    lines = [
        _line("受电工程图纸审核结果通知单", 100, h=50),
        _line("顺供审图[2023]41号", 180),
        _line("贵户于2023年4月20日送审的受电工程图纸经审核需修改。", 300),
        _line("二〇二三年四月二十八日", 900, x=800),
    ]
    r = read_paper([lines], [1754], BUREAU)
    assert (r.number.value, r.date.value) == ("顺供审图〔2023〕41号", "2023-04-28")


def test_titles_through_traditional_characters_and_a_dropped_character() -> None:
    for seen in ("受電工程竣工驗收單", "受电工程工验收单", "国网北京市电力公司受电工程竣工验收单"):
        r = read_paper([[_line(seen, 100, h=50), _line("2023年8月10日", 900)]], [1754], BUREAU)
        assert r.title.value == "受电工程竣工验收单", seen
    r = read_paper([[_line("会议纪要", 100, h=50)]], [1754], BUREAU)
    assert r.form is None


def test_other_labelled_dates_lose() -> None:
    lines = [
        _line("受电工程图纸审核登记表", 100, h=50),
        _line("受理日期：2023年4月21日", 400),
        _line("登记日期：2023年4月20日", 460),
    ]
    assert read_paper([lines], [1754], BUREAU).date.value == "2023-04-20"


def test_the_issue_line_under_the_signature_is_not_the_papers_date() -> None:
    """An official document's 版记 ends with the date it was printed (…印发), later on the page than the
    落款 date and alone on its line when the issuing office stands apart; a deadline (…日前) is not it
    either."""
    lines = [
        _line("受电工程竣工验收单", 100, h=50),
        _line("请于2023年8月20日前缴清费用", 300),
        _line("国网北京市电力公司顺义供电公司", 800, x=700),
        _line("2023年8月10日", 850, x=800),
        _line("抄送：营销部", 1500),
        _line("2023年8月11日印发", 1560, x=900),
    ]
    assert read_paper([lines], [1754], BUREAU).date.value == "2023-08-10"
    alone = [*lines[:4], _line("2023年8月20日前", 1560, x=900)]
    assert read_paper([alone], [1754], BUREAU).date.value == "2023-08-10"


# -- without the extra --------------------------------------------------------------------------


def test_without_the_extra_intake_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "rapidocr", None)  # import rapidocr now fails, as when not installed
    (tmp_path / "a.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    result = CliRunner().invoke(cli, ["intake", str(tmp_path)])
    assert result.exit_code == 2
    assert "pip install 'hv-paperwork[ocr]'" in result.output and "Traceback" not in result.output
    assert CliRunner().invoke(cli, ["validate", str(DEMO)]).exit_code == 0


# -- real OCR on generated scans ---------------------------------------------------------------


def _need_ocr() -> None:
    from paperwork.intake.engine import ocr_available

    if not ocr_available():
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but the OCR extra is missing (pip install '.[ocr]')")
        pytest.skip("the OCR extra is not installed")


@dataclass(frozen=True)
class Corpus:
    root: Path
    expected: dict[str, Expected]
    loose: list[tuple[str, int]]
    result: dict[str, object]


@pytest.fixture(scope="module")
def corpus(soffice: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    """Every kind of test scan, read once by the CLI (JSON); the OCR cache is kept for the other tests."""
    _need_ocr()
    root = tmp_path_factory.mktemp("intake")
    expected = {e.file: e for e in make_notices(root / "notices")}
    expected.update({e.file: e for e in make_forms(root / "forms", REFERENCE_FORMS, DEMO)})
    loose = loose_pages(root / "loose")
    env = {**os.environ, "XDG_CACHE_HOME": str(root / "cache")}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "paperwork",
            "intake",
            str(root / "notices"),
            str(root / "forms"),
            str(root / "loose"),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    assert done.returncode == 0, done.stderr
    with pytest.MonkeyPatch.context() as patch:  # the other tests here read through the same OCR cache
        patch.setenv("XDG_CACHE_HOME", env["XDG_CACHE_HOME"])
        yield Corpus(root, expected, loose, json.loads(done.stdout))


def _by_file(corpus: Corpus) -> dict[str, dict[str, object]]:
    docs = corpus.result["documents"]
    assert isinstance(docs, list)
    return {Path(str(d["file"])).name: d for d in docs}


def test_json_contract(corpus: Corpus) -> None:
    docs = corpus.result["documents"]
    assert isinstance(docs, list) and docs
    for d in docs:
        assert {
            "file",
            "pages",
            "title",
            "date",
            "number",
            "round",
            "application_date",
            "confidence",
            "evidence",
        } <= set(d)
        assert 0 <= d["confidence"] <= 1
        for clue in d["evidence"].values():
            assert 0 <= clue["confidence"] <= 1 and isinstance(clue["text"], str)
    assert isinstance(corpus.result["unmatched"], list)


def test_accuracy_on_realistic_scans(corpus: Corpus) -> None:
    got = _by_file(corpus)
    unmatched = {Path(str(u["file"])).name for u in corpus.result["unmatched"]}  # type: ignore[union-attr]
    titles = dates = numbers = 0
    invented = []
    wrong = []
    for name, e in corpus.expected.items():
        d = got.get(name)
        if e.title is None:  # not a paper of the binders: nothing proposed
            titles += name in unmatched
            dates += name in unmatched
            numbers += name in unmatched
            continue
        if d is None:
            wrong.append(f"{name}: not proposed")
            continue
        titles += d["title"] == e.title
        dates += d["date"] == e.date
        numbers += d["number"] == e.number
        if e.number is None and d["number"] is not None:
            invented.append(f"{name}: {d['number']}")
        if (d["title"], d["date"], d["number"]) != (e.title, e.date, e.number):
            wrong.append(f"{name}: {d['title']} {d['date']} {d['number']} != {e.title} {e.date} {e.number}")
    n = len(corpus.expected)
    assert titles / n >= 0.95, wrong
    assert dates / n >= 0.90, wrong
    assert numbers / n >= 0.90, wrong
    assert not invented


def _wrongly_read(folder: Path, expected: list[Expected], corpus: Corpus) -> list[str]:
    """``paperwork intake FOLDER --format json`` against the answers: the papers read wrong (title,
    own date, 文号, 申请日期), or not at all."""
    env = {**os.environ, "XDG_CACHE_HOME": str(corpus.root / "cache")}
    done = subprocess.run(
        [sys.executable, "-m", "paperwork", "intake", str(folder), "--format", "json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr
    got = {Path(str(d["file"])).name: d for d in json.loads(done.stdout)["documents"]}
    return [
        f"{e.file}: {got.get(e.file)}"
        for e in expected
        if e.file not in got
        or (got[e.file]["title"], got[e.file]["date"], got[e.file]["number"], got[e.file]["application_date"])
        != (e.title, e.date, e.number, e.application_date)
    ]


def test_official_notices_made_another_way(tmp_path: Path, corpus: Corpus) -> None:
    """The layout of a Chinese official document, drawn apart from the corpus (tests/noticemaker.py): red
    版头 and rule, the 文号 under it (签发人 beside it on one), a body that quotes dates — at the start
    of a line, in parentheses, as 登记日期, in Chinese numerals — and other 文号, the 落款 date under a
    seal (in numerals on two), a 版记 with a later 印发 date; 200 and 300 dpi, two photographed with
    perspective, two with a second seal over the body. Every title, own date and 文号 right, nothing
    invented."""
    from tests.noticemaker import make_officials

    expected = make_officials(tmp_path / "officials")
    wrong = _wrongly_read(tmp_path / "officials", expected, corpus)
    assert not wrong, wrong


def test_notices_typeset_by_libreoffice_and_stamped_received(tmp_path: Path, corpus: Corpus) -> None:
    """A third way (tests/typesetmaker.py): notices laid out by LibreOffice from DOCX in three
    typefaces (Noto Serif, a 楷体, a 黑体), rendered by PDFium at 150 and 200 dpi, one photographed;
    the seal over the 落款 date found in the PDF; a 收文 stamp with the later day the bureau took the
    paper in, at the top right of most; a standalone 登记日期 line in the body; dates with dots, with
    spaces, in numerals, before 前; 文号 with 第, printed （2024） or [2024] beside a 签发人, one only
    quoted. Every title, own date, 文号 and 申请日期 right, nothing invented."""
    from tests.typesetmaker import make_typeset

    expected = make_typeset(tmp_path / "typeset")
    wrong = _wrongly_read(tmp_path / "typeset", expected, corpus)
    assert not wrong, wrong


def test_reply_and_rounds(corpus: Corpus) -> None:
    got = _by_file(corpus)
    assert got["reply-1.pdf"]["application_date"] == "2023-03-02"
    assert [got[f"review-register-{k}.pdf"]["round"] for k in (1, 2)] == [1, 2]
    assert [got[f"review-result-{k}.pdf"]["round"] for k in (1, 2)] == [1, 2]
    assert got["reply-1.pdf"]["round"] is None


def test_loose_pages_are_grouped_by_title_pages(corpus: Corpus) -> None:
    got = _by_file(corpus)
    first = got["scan001.jpg"]
    assert (first["title"], first["pages"]) == corpus.loose[0]
    assert [Path(f).name for f in first["files"]] == ["scan001.jpg", "scan002.jpg"]  # type: ignore[union-attr]
    assert "scan002.jpg" in str(first["grouping"])
    assert (got["scan003.jpg"]["title"], got["scan003.jpg"]["pages"]) == corpus.loose[1]


def test_a_new_case_with_proposals_never_overwritten(corpus: Corpus, tmp_path: Path) -> None:
    folder = tmp_path / "case"
    shutil.copytree(corpus.root / "loose", folder / "scans")
    out = folder / "case.yaml"
    result = CliRunner().invoke(cli, ["intake", str(folder / "scans"), "-o", str(out)])
    text = out.read_text(encoding="utf-8")
    assert text.count("# 待确认：OCR 置信度") == 2
    assert "file: scans/scan001-scan002.pdf" in text  # the two loose pages joined into the paper's file
    assert (folder / "scans" / "scan001-scan002.pdf").is_file()
    assert (
        result.exit_code == 1 and "FIELD_MISSING" in result.output
    )  # validate ran: the clerk fills in the rest
    again = CliRunner().invoke(cli, ["intake", str(folder / "scans"), "-o", str(out)])
    assert again.exit_code == 2 and "不会覆盖" in again.output
    assert out.read_text(encoding="utf-8") == text


def test_added_to_a_case_nothing_changed_and_rules_checked(corpus: Corpus, tmp_path: Path) -> None:
    case = copy_demo(tmp_path / "demo").parent
    before = (case / "case.yaml").read_text(encoding="utf-8")
    # a notice whose date breaks the order: the mid-check result before the drawings were reviewed
    rng = random.Random(3)
    late = Notice(
        "受电工程中间检查结果通知单", "2023-04-01", "顺供中检〔2023〕3号", ("贵户受电工程中间检查合格。",)
    )
    (case / "new").mkdir()
    as_pdf([scanned(draw_notice(late, rng), rng)], case / "new" / "midcheck.pdf")
    shutil.copy(corpus.root / "notices" / "reply-1.pdf", case / "new" / "reply-1.pdf")  # already in the case
    result = CliRunner().invoke(
        cli, ["intake", str(case / "new"), "--case", str(case / "case.yaml"), "--format", "json"]
    )
    payload = json.loads(result.output)
    after = (case / "case.yaml").read_text(encoding="utf-8")
    import yaml

    old, new = yaml.safe_load(before), yaml.safe_load(after)
    assert new["documents"][: len(old["documents"])] == old["documents"]  # nothing in the case changed
    assert {k: v for k, v in new.items() if k != "documents"} == {
        k: v for k, v in old.items() if k != "documents"
    }
    assert all(
        line in after for line in before.splitlines() if line.lstrip().startswith("#")
    )  # nor its comments
    assert payload["written"]["added"] == 1 and payload["written"]["already_in_case"] == 1
    assert (
        "{title: 受电工程中间检查结果通知单, date: 2023-04-01, number: 顺供中检〔2023〕3号, file: new/midcheck.pdf}"
        in after
    )
    codes = {f["code"] for f in payload["written"]["findings"]}
    assert codes & {"ORDER_VIOLATED", "PAPER_DUPLICATE"} and result.exit_code == 1


# -- the case page: an uploaded scan becomes a proposed row the clerk confirms ---------------


def test_uploaded_scan_is_proposed_then_confirmed_on_the_page(corpus: Corpus, tmp_path: Path) -> None:
    from tests.conftest import CHROMIUM_FLAGS, chromium_path
    from tests.serving import running, workspace

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Playwright is missing")
        pytest.skip("Playwright is missing")
    ws = workspace(tmp_path / "ws")
    scan = corpus.root / "notices" / "review-result-2.pdf"
    with running(ws) as srv, srv.client() as api:
        answer = api.post(
            "/api/cases/GY-2026-088/proposals", files={"file": ("通知单.pdf", scan.read_bytes())}
        )
        assert answer.status_code == 201, answer.text
        proposal = answer.json()["proposal"]
        assert (proposal["title"], proposal["date"], proposal["number"]) == (
            "受电工程图纸审核结果通知单",
            "2023-05-17",
            "顺供审图〔2023〕52号",
        )
        assert answer.json()["file"] == "scans/通知单.pdf"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(srv.url + "/cases/GY-2023-017")
            rows = page.locator("#papers .row").count()
            # a scan the case already holds (same title and date as row 12) is said so, not added twice
            page.locator("#scan-file").set_input_files(str(corpus.root / "notices" / "review-notice.pdf"))
            page.locator('#scan-state[data-duplicate-of="11"]').wait_for(timeout=120_000)
            assert "第 12 行" in (page.locator("#scan-state").text_content() or "")
            assert page.locator("#papers .row").count() == rows
            page.locator("#scan-file").set_input_files(str(corpus.root / "notices" / "midcheck-result.pdf"))
            proposed = page.locator("#papers .row.proposed")
            proposed.wait_for(timeout=120_000)
            at = f"documents.{rows}"
            assert page.locator(f'[data-path="{at}.title"]').input_value() == "受电工程中间检查结果通知单"
            assert page.locator(f'[data-path="{at}.date"]').input_value() == "2023-06-20"
            assert page.locator(f'[data-path="{at}.number"]').input_value() == "顺供中检〔2023〕9号"
            page.locator("#scan-viewer iframe").wait_for()  # the scan beside the proposal
            assert "midcheck-result.pdf" not in (ws / "demo" / "case.yaml").read_text(encoding="utf-8")
            date = page.locator(f'[data-path="{at}.date"]')
            date.fill("2023年6月21号")  # she corrects a field: still not saved until she confirms
            date.dispatch_event("change")
            assert "midcheck-result.pdf" not in (ws / "demo" / "case.yaml").read_text(encoding="utf-8")
            proposed.get_by_role("button", name="确认").click()
            page.locator("#papers .row.proposed").wait_for(state="detached")
            assert page.locator("#papers .row").count() == rows + 1
            # the confirmed row is saved
            deadline = time.monotonic() + 30
            while not _saved_row(ws / "demo" / "case.yaml", "scans/midcheck-result.pdf"):
                assert time.monotonic() < deadline, "the confirmed paper was not saved"
                time.sleep(0.2)
            saved = _saved_row(ws / "demo" / "case.yaml", "scans/midcheck-result.pdf")
            assert saved is not None
            assert (saved["title"], str(saved["date"]), saved["number"]) == (
                "受电工程中间检查结果通知单",
                "2023-06-21",  # typed as 2023年6月21号, saved as YYYY-MM-DD
                "顺供中检〔2023〕9号",
            )
            browser.close()


def _saved_row(case_file: Path, file: str) -> dict[str, object] | None:
    import yaml

    docs = yaml.safe_load(case_file.read_text(encoding="utf-8"))["documents"]
    return next((d for d in docs if d.get("file") == file), None)


def test_two_signature_blocks_side_by_side_each_date_under_its_label() -> None:
    lines = [
        _line("高压供电方案答复单", 100, h=50),
        TextLine("客户签名（单位盖章）：                    供电企业（盖章）：", 100, 1500, 1100, 1530, 0.95),
        TextLine("2023年3月25日", 100, 1560, 330, 1590, 0.95),
        TextLine("2023年3月20日（系统自动生成）", 700, 1560, 1100, 1590, 0.95),
    ]
    assert read_paper([lines], [1754], BUREAU).date.value == "2023-03-20"
    swapped = [
        _line("高压供电方案答复单", 100, h=50),
        TextLine("供电企业（盖章）：                    客户签名（单位盖章）：", 100, 1500, 1100, 1530, 0.95),
        TextLine("2023年3月20日", 100, 1560, 330, 1590, 0.95),
        TextLine("2023年3月25日", 700, 1560, 930, 1590, 0.95),
    ]
    assert read_paper([swapped], [1754], BUREAU).date.value == "2023-03-20"


def test_a_bureau_s_own_labels_decide_the_date(tmp_path: Path) -> None:
    from paperwork.errors import ConfigError
    from paperwork.intake.labels import load_labels

    lines = [
        _line("受电工程图纸审核登记表", 100, h=50),
        _line("收件日期：2023年4月18日", 400),
        _line("登记日期：2023年4月20日", 460),
    ]
    assert read_paper([lines], [1754], BUREAU).date.value == "2023-04-20"
    own = tmp_path / "labels.yaml"
    own.write_text("forms:\n  review_register: {date: [收件日期], not: [登记日期]}\n", encoding="utf-8")
    assert read_paper([lines], [1754], BUREAU, load_labels(own)).date.value == "2023-04-18"
    bad = tmp_path / "bad.yaml"
    bad.write_text("forms:\n  review_register: {when: [x]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.yaml"):
        load_labels(bad)
    result = CliRunner().invoke(cli, ["intake", str(tmp_path), "--labels", str(bad)])
    assert result.exit_code == 2 and "bad.yaml" in result.output
