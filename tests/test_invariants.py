"""Generated case files, valid and broken: the invariants that hold for every one.

The examples are derandomized, so CI runs the same corpus every time; run with
``--hypothesis-seed=random`` (and without derandomize) to explore new ones.

- every command exits 0, 1 or 2, never with 内部错误 or a traceback;
- a case that fails names its file;
- a build leaves OUT holding the previous complete build or the new complete one, and no
  staging folders.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperwork import PaperworkError, build, load_case, resolve
from paperwork.cli import cli
from tests.conftest import DEMO, blank_pdfs

BASE = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
for _doc in BASE["documents"]:
    _doc.pop("file", None)

odd_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=0, max_size=12)
values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    odd_text,
    st.sampled_from(
        ["2023-02-30", "9999-12-31", "1900-01-01", "20230301", "2023年3月1日", "nan", "1e400", ""]
    ),
    st.lists(odd_text, max_size=2),
    st.dictionaries(odd_text, odd_text, max_size=2),
)
TOP_KEYS = sorted(BASE)
DOC_KEYS = ["title", "date", "application_date", "round", "number", "file", "pages", "issuer", "note"]


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(min_value=0, max_value=4))):
        action = draw(st.sampled_from(["top", "doc", "drop", "customer"]))
        if action == "top":
            data[draw(st.sampled_from(TOP_KEYS))] = draw(values)
        elif action == "drop":
            data.pop(draw(st.sampled_from(TOP_KEYS)), None)
        elif action == "customer" and isinstance(data.get("customer"), dict):
            data["customer"][draw(st.sampled_from(["name", "account_no", "important"]))] = draw(values)
        elif isinstance(data.get("documents"), list) and data["documents"]:
            doc = draw(st.sampled_from(data["documents"]))
            if isinstance(doc, dict):
                doc[draw(st.sampled_from(DOC_KEYS))] = draw(values)
    return data


def _text(data: dict[str, Any]) -> str:
    try:
        return yaml.safe_dump(data, allow_unicode=True)
    except (yaml.YAMLError, ValueError):
        return yaml.safe_dump(BASE, allow_unicode=True)


raw_damage = st.tuples(st.integers(min_value=0, max_value=4000), odd_text)


def _check(args: list[str], case: Path) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.output)
    assert "内部错误" not in result.output and "Traceback" not in result.output, result.output
    if result.exit_code == 1:
        assert case.name in result.output or "个错误" in result.output, result.output


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=mutated(),
    damage=st.one_of(st.none(), raw_damage),
    command=st.sampled_from(["validate", "dates", "checklist", "status"]),
)
def test_every_generated_case_gets_a_clean_answer(data: dict[str, Any], damage: Any, command: str) -> None:
    text = _text(data)
    if damage is not None:
        at, insert = damage
        text = text[:at] + insert + text[at:]
    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp) / "case.yaml"
        case.write_text(text, encoding="utf-8", errors="surrogatepass")
        _check([command, str(case)], case)


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated())
def test_out_holds_one_complete_build_or_the_previous_one(data: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        good = folder / "good.yaml"
        good.write_text(yaml.safe_dump(BASE, allow_unicode=True), encoding="utf-8")
        out = folder / "out"
        build(resolve(load_case(good)), out, converter=blank_pdfs)
        before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
        case = folder / "case.yaml"
        case.write_text(_text(data), encoding="utf-8")
        try:
            build(resolve(load_case(case)), out, converter=blank_pdfs)
            rebuilt = True
        except PaperworkError:
            rebuilt = False
        after = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
        assert set(after) == set(before)  # the same complete set of outputs
        if not rebuilt:
            assert after == before
        assert not list(out.glob(".paperwork-*"))
        assert not (out / ".paperwork" / "previous").exists()
        shutil.rmtree(out)
