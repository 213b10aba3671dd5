"""Templates: their variables match their form models, they rebuild the same, they escape and refuse unknowns."""

from __future__ import annotations

import importlib.util
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from docxtpl import DocxTemplate

from paperwork import TemplateError, load_bureau, load_case, resolve
from paperwork.render.contexts import MODELS, form_data, template_fields
from paperwork.render.docx_templates import default_templates, render_docx, template_variables
from tests.conftest import DEMO, ROOT, docx_text, edit_case


@pytest.mark.parametrize("key", sorted(MODELS))
def test_each_template_uses_only_its_model_fields(key: str) -> None:
    path = default_templates() / f"{key}.docx"
    used = template_variables(path)
    allowed = {name for name, _ in template_fields(key)}
    assert used, key
    assert used <= allowed, used - allowed


def test_every_generated_form_has_a_template_and_model() -> None:
    generated = {f.key for f in load_bureau().forms if f.generated}
    assert generated <= set(MODELS)
    for key in MODELS:
        assert (default_templates() / f"{key}.docx").is_file()


def test_templates_rebuild_to_the_same_content(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("template_build", ROOT / "templates" / "make_docx.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for path in module.build(tmp_path):
        committed = default_templates() / path.name
        assert docx_text(path) == docx_text(committed), path.name
        assert template_variables(path) == template_variables(committed)


def test_templates_are_a4_with_cjk_fonts() -> None:
    for key in MODELS:
        doc = Document(str(default_templates() / f"{key}.docx"))
        section = doc.sections[0]
        assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
        xml = doc.element.xml
        assert "宋体" in xml or "黑体" in xml


def test_special_characters_come_out_verbatim(tmp_path: Path) -> None:
    def strip_files(data: dict[str, Any]) -> None:
        data["customer"]["name"] = '宏达&<精密>"机械"'
        for d in data["documents"]:
            d.pop("file", None)

    case_file = edit_case(DEMO, strip_files, to=tmp_path / "case.yaml")
    resolved = resolve(load_case(case_file))
    paper = resolved.of("高压客户用电登记表")[0]
    out = render_docx(
        "application_register", form_data(resolved, "application_register", paper), tmp_path / "r.docx"
    )
    text = docx_text(out)
    assert '宏达&<精密>"机械"' in text
    assert "&amp;" not in text and "&lt;" not in text


def own_template(tmp_path: Path, key: str, text: str) -> Path:
    """A folder with one user template for ``key``: a single paragraph of ``text``."""
    folder = tmp_path / "mine"
    folder.mkdir(exist_ok=True)
    doc = Document()
    doc.add_paragraph(text)
    doc.save(str(folder / f"{key}.docx"))
    return folder


def test_unknown_variable_in_a_user_template_is_an_error(tmp_path: Path) -> None:
    own = own_template(tmp_path, "customer_proof", "户名：{{ customer_name }}　{{ favourite_colour }}")
    resolved = resolve(load_case(DEMO))
    with pytest.raises(TemplateError, match="favourite_colour"):
        render_docx("customer_proof", form_data(resolved, "customer_proof", None), tmp_path / "x.docx", own)
    assert not (tmp_path / "x.docx").exists()


def test_user_template_folder_overrides_one_form(tmp_path: Path) -> None:
    own = own_template(tmp_path, "customer_proof", "本局格式证明：{{ customer_name }}，{{ date_cn }}")
    resolved = resolve(load_case(DEMO))
    out = render_docx("customer_proof", form_data(resolved, "customer_proof", None), tmp_path / "p.docx", own)
    assert "本局格式证明：宏达精密机械有限公司" in docx_text(out)
    # other forms still come from the shipped folder
    paper = resolved.of("设计委托书")[0]
    other = render_docx(
        "design_commission", form_data(resolved, "design_commission", paper), tmp_path / "d.docx", own
    )
    assert "设计委托书" in docx_text(other)


def test_undefined_attribute_while_rendering_is_an_error(tmp_path: Path) -> None:
    own = own_template(tmp_path, "customer_proof", "{{ customer_name.nope }}")
    resolved = resolve(load_case(DEMO))
    with pytest.raises(TemplateError):
        render_docx("customer_proof", form_data(resolved, "customer_proof", None), tmp_path / "x.docx", own)


def test_equipment_rows_loop(tmp_path: Path) -> None:
    resolved = resolve(load_case(DEMO))
    paper = resolved.of("启动设备清单")[0]
    out = render_docx(
        "startup_equipment_list", form_data(resolved, "startup_equipment_list", paper), tmp_path / "e.docx"
    )
    table = Document(str(out)).tables[0]
    names = [row.cells[1].text for row in table.rows]
    assert names[3:6] == ["螺杆式空气压缩机", "数控加工中心", "中央空调冷水机组"]
    assert "GY-2023-017" not in docx_text(out)  # no internal case id on a paper the customer stamps
    assert DocxTemplate  # docxtpl is what fills them


def test_template_copy_in_a_user_folder_is_found_first(tmp_path: Path) -> None:
    from paperwork.render.docx_templates import find_template

    own = tmp_path / "own"
    own.mkdir()
    shutil.copy(default_templates() / "archive_note.docx", own / "archive_note.docx")
    assert find_template("archive_note", own) == own / "archive_note.docx"
    assert find_template("archive_cover", own) == default_templates() / "archive_cover.docx"
    with pytest.raises(TemplateError, match="没有名为"):
        find_template("nope", own)


def test_templates_are_slim_and_still_open() -> None:
    import zipfile

    for key in MODELS:
        path = default_templates() / f"{key}.docx"
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            assert "word/stylesWithEffects.xml" not in names
            assert len(z.read("word/styles.xml")) < 20_000
        doc = Document(str(path))
        assert {"Normal", "TableGrid"} <= {s.style_id for s in doc.styles}


def test_slimming_keeps_the_text_and_the_styles_in_use(tmp_path: Path) -> None:
    from paperwork.render.docxfile import slim_docx

    doc = Document()
    doc.add_paragraph("标题文字", style="Heading 1")
    doc.add_paragraph("正文：宏达精密机械有限公司")
    path = tmp_path / "x.docx"
    doc.save(str(path))
    slim_docx(path)
    again = Document(str(path))
    assert [p.text for p in again.paragraphs] == ["标题文字", "正文：宏达精密机械有限公司"]
    assert again.paragraphs[0].style.name == "Heading 1"
    assert len(list(again.styles)) < 20


def _docxtpl_fill(template: Path, context: dict[str, Any], out: Path) -> Path:
    """The same template filled by docxtpl as it is (python-docx opens and saves the package)."""
    from paperwork.render.docx_templates import _environment

    tpl = DocxTemplate(str(template))
    tpl.render(context, _environment(), autoescape=True)
    tpl.save(str(out))
    return out


def _parts(path: Path) -> dict[str, bytes]:
    """Every XML part of a DOCX in canonical form (what a reader sees, not how it is spelled)."""
    from lxml import etree

    with zipfile.ZipFile(path) as z:
        return {
            name: etree.tostring(etree.fromstring(z.read(name)), method="c14n")
            for name in z.namelist()
            if name.endswith((".xml", ".rels")) and name != "docProps/core.xml"
        }


def _pretty_printed(template: Path, folder: Path) -> Path:
    """``template`` with its body indented, as some XML writers save it: whitespace between elements."""
    from lxml import etree

    folder.mkdir()
    out = folder / template.name
    with zipfile.ZipFile(template) as z, zipfile.ZipFile(out, "w") as w:
        for name in z.namelist():
            data = z.read(name)
            if name == "word/document.xml":
                data = etree.tostring(
                    etree.fromstring(data), pretty_print=True, xml_declaration=True, encoding="UTF-8"
                )
            w.writestr(name, data)
    return out


def test_forms_are_filled_as_docxtpl_fills_them(tmp_path: Path) -> None:
    """The fast fill writes the rendered body among the template's parts; every part, the body and
    its tables included, is what docxtpl with python-docx would write."""
    resolved = resolve(load_case(DEMO))
    jobs: list[tuple[Path, dict[str, Any]]] = []
    for form in resolved.bureau.forms:
        if form.generated and resolved.applies(form):
            papers = resolved.of(form.key)
            context = form_data(resolved, form.key, papers[0] if papers else None)
            jobs.append((default_templates() / f"{form.key}.docx", dict(context)))
    listing = own_template(tmp_path, "customer_proof", "户名：{{ customer_name }}。{{ date_cn }}")
    jobs.append(
        (listing / "customer_proof.docx", {"customer_name": "甲\n乙\t丙 & <丁>", "date_cn": "二〇二四年"})
    )
    table = next(job for job in jobs if job[0].stem == "startup_equipment_list")  # a row loop
    jobs.append((_pretty_printed(table[0], tmp_path / "pretty"), table[1]))  # another writer's layout
    for n, (template, context) in enumerate(jobs):
        fast = render_docx(template.stem, context, tmp_path / f"fast{n}.docx", template.parent)
        slow = _docxtpl_fill(template, context, tmp_path / f"slow{n}.docx")
        assert _parts(fast) == _parts(slow), template.name
        assert docx_text(fast) == docx_text(slow)
    listed = docx_text(tmp_path / f"fast{len(jobs) - 2}.docx")  # the listing: a line break, escaped text
    assert "甲\n乙" in listed and "& <丁>" in listed


def test_a_template_with_jinja_in_its_header_has_the_header_filled(tmp_path: Path) -> None:
    folder = own_template(tmp_path, "customer_proof", "正文：{{ customer_name }}")
    doc = Document(str(folder / "customer_proof.docx"))
    doc.sections[0].header.paragraphs[0].text = "页眉：{{ customer_name }}"
    doc.save(str(folder / "customer_proof.docx"))
    out = render_docx("customer_proof", {"customer_name": "宏达"}, tmp_path / "h.docx", folder)
    filled = Document(str(out))
    assert filled.sections[0].header.paragraphs[0].text == "页眉：宏达"
    assert "正文：宏达" in docx_text(out)
