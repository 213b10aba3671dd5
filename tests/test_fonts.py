"""Real bureau forms keep every character: exact row heights laid out with substitutes of the right metrics.

For each real form we hold, the page as laid out with every exact row height turned into a
minimum height (nothing can be cut there) is the truth; every character of it must be in the
binder's pages of the same form.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from pypdf import PdfReader

from paperwork import build, load_case, resolve
from paperwork.binder.libreoffice import convert_batch
from paperwork.render.fonts import SUBSTITUTES, printed_in
from tests.conftest import REFERENCE_FORMS, copy_demo, edit_case

FORMS = sorted(REFERENCE_FORMS.glob("*.docx"))


def relaxed(source: Path, target: Path) -> Path:
    """The same form with every exact row height made a minimum height."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "word/document.xml":
                data = re.sub(rb'w:hRule="exact"', b'w:hRule="atLeast"', data)
            zout.writestr(item, data)
    return target


def characters(pages: list) -> Counter[str]:  # type: ignore[type-arg]
    return Counter(c for page in pages for c in page.extract_text() if not c.isspace())


def test_every_reference_form_keeps_every_character_in_the_binder(soffice: Path, tmp_path: Path) -> None:
    case_dir = copy_demo(tmp_path / "case").parent
    papers = ["供电方案答复单", "高压客户用电登记表", "前期资料", "启动设备清单"]
    attach = dict(zip(papers, FORMS, strict=False))
    for form in attach.values():
        shutil.copy(form, case_dir / "scans" / form.name)
    case = edit_case(
        case_dir / "case.yaml", documents={t: {"file": f"scans/{f.name}"} for t, f in attach.items()}
    )
    result = build(resolve(load_case(case)), tmp_path / "out")
    truths = convert_batch(
        [relaxed(f, tmp_path / f"relaxed-{i}.docx") for i, f in enumerate(attach.values())], tmp_path / "pdf"
    )
    big = PdfReader(str(result.binders[0].path))
    marks = {str(m.title).split("（")[0]: big.get_destination_page_number(m) for m in _flat(big.outline)}
    starts = [*sorted(set(marks.values())), len(big.pages)]
    for (title, form), truth in zip(attach.items(), truths, strict=True):
        first = marks[
            title
            if title != "高压客户用电登记表"
            else next(k for k in marks if "登记表" in k and "审核" not in k)
        ]
        end = starts[starts.index(first) + 1]
        bound = characters(big.pages[first:end])
        lost = characters(PdfReader(str(truth)).pages) - bound
        assert not lost, f"{form.name}: {''.join(lost.elements())} cut"


def _flat(items: list) -> list:  # type: ignore[type-arg]
    out = []
    for item in items:
        out.extend(_flat(item) if isinstance(item, list) else [item])
    return out


@pytest.mark.parametrize("family", ["宋体", "SimSun", "仿宋_GB2312", "黑体"])
def test_windows_families_print_in_a_one_em_substitute(soffice: Path, family: str) -> None:
    from paperwork.binder.libreoffice import user_font_dir
    from paperwork.render.fonts import metric_fonts

    shown = printed_in(family, metric_fonts(user_font_dir()))
    assert shown == SUBSTITUTES[family][0], shown
