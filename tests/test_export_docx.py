"""The Word export, read back with python-docx: real tables with every figure, merged headers,
repeated header rows, A4 pages in the conventions of official documents; and, where LibreOffice
is installed, a PDF of the expected length whose tables are still tables."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from nianbao.engine.docx_report import PORTRAIT_MAX_COLUMNS, render_docx
from nianbao.engine.layout import report_layout
from nianbao.report.template import parse_template
from nianbao.store.draft import load_draft, new_draft
from tests.export_helpers import ROOT, samples, with_closing
from tests.test_render import NASTY, OTHER

SAMPLE = ROOT / "samples" / "yuzhong-emergency-2024.toml"


def read(data: bytes):
    return Document(io.BytesIO(data))


def mm(*lengths) -> list[int]:
    return [round(x.mm) for x in lengths]


def east_asian_font(style) -> str:
    return style.element.rPr.rFonts.get(qn("w:eastAsia"))


def assert_tables_match(draft, doc) -> None:
    """Each Word table is the layout's grid: every position holds the text of the cell covering
    it, a spanned cell is one merged Word cell, header rows repeat, rows never split."""
    layout = report_layout(draft)
    assert len(doc.tables) == len(layout.tables)
    for word, table in zip(doc.tables, layout.tables):
        assert len(word.rows) == table.height and len(word.columns) == table.width
        for cell in (c for row in table.rows for c in row):
            first = word.cell(cell.row, cell.col)
            assert first.text == cell.text, (table.table.id, cell)
            for r in range(cell.row, cell.row + cell.rowspan):
                for c in range(cell.col, cell.col + cell.colspan):
                    assert word.cell(r, c)._tc is first._tc or word.cell(r, c).text == cell.text
            if cell.colspan > 1:
                assert first._tc.grid_span == cell.colspan
            if cell.rowspan > 1:
                below = word.rows[cell.row + 1]._tr.tc_lst
                assert any(tc.vMerge == "continue" for tc in below)
        head = sum(len(p.rows) for p in table.parts if p.kind == "head")
        for i, row in enumerate(word.rows):
            trpr = row._tr.trPr
            assert trpr is not None and trpr.find(qn("w:cantSplit")) is not None
            repeat = trpr.find(qn("w:tblHeader"))
            assert (repeat is not None) == (i < head), (table.table.id, i)


@pytest.mark.parametrize("draft", samples(), ids=lambda d: d.org_name or "blank")
def test_every_sample_as_word_tables(draft):
    doc = read(render_docx(draft))
    assert_tables_match(draft, doc)
    texts = [p.text for p in doc.paragraphs]
    assert texts[0] == report_layout(draft).title
    for s in draft.template.sections:
        assert s.heading in texts


def test_merged_headers_of_table_three():
    doc = read(render_docx(load_draft(SAMPLE)))
    t3 = doc.tables[1]
    assert t3.cell(0, 0)._tc is t3.cell(2, 2)._tc  # the corner: 3 rows x 3 label columns
    assert t3.cell(0, 3).text == "申请人情况" and t3.cell(0, 3)._tc is t3.cell(0, 9)._tc
    assert t3.cell(1, 4).text == "法人或其他组织" and t3.cell(1, 4)._tc is t3.cell(1, 8)._tc
    assert t3.cell(1, 3)._tc is t3.cell(2, 3)._tc  # 自然人 reaches the last header row
    assert t3.cell(5, 0).text == "三、本年度办理结果" and t3.cell(5, 0)._tc is t3.cell(26, 0)._tc
    assert t3.cell(3, 0).text.startswith("一、本年新收") and t3.cell(3, 0)._tc is t3.cell(3, 2)._tc
    header_rows = [r for r in t3.rows if r._tr.trPr.find(qn("w:tblHeader")) is not None]
    assert len(header_rows) == 3


def test_table_two_is_one_table_with_spanning_block_rows():
    doc = read(render_docx(load_draft(SAMPLE)))
    t2 = doc.tables[0]
    assert t2.cell(0, 0).text == "第二十条第(一)项" and t2.cell(0, 0)._tc is t2.cell(0, 3)._tc
    licensing = next(i for i, r in enumerate(t2.rows) if r.cells[0].text == "行政许可")
    assert t2.cell(licensing, 1).text == "40" and t2.cell(licensing, 1)._tc is t2.cell(licensing, 3)._tc


def test_official_document_conventions():
    doc = read(render_docx(with_closing(load_draft(SAMPLE))))
    first = doc.sections[0]
    assert mm(first.page_width, first.page_height) == [210, 297]
    assert mm(first.top_margin, first.bottom_margin, first.left_margin, first.right_margin) == [37, 35, 28, 26]
    styles = doc.styles
    assert east_asian_font(styles["报告正文"]) == "仿宋" and styles["报告正文"].font.size == Pt(16)
    assert styles["报告正文"].paragraph_format.line_spacing == Pt(28)
    assert styles["报告正文"].paragraph_format.first_line_indent == Pt(32)
    assert east_asian_font(styles["一级标题"]) == "黑体" and east_asian_font(styles["二级标题"]) == "楷体"
    assert east_asian_font(styles["报告标题"]) == "方正小标宋简体" and styles["报告标题"].font.size == Pt(22)
    by_text = {p.text: p for p in doc.paragraphs}
    assert by_text["一、总体情况"].style.name == "一级标题"
    assert by_text["(一)主动公开"].style.name == "二级标题"
    # no indent or line pitch of the body inside a table
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    assert p.style.name in ("表格文字", "表头文字")
                    assert p.style.paragraph_format.first_line_indent == 0
                    assert p.paragraph_format.first_line_indent is None
                    assert p.style.paragraph_format.line_spacing == 1.0  # single, not the body's 28 pt
    # page numbers "— N —": odd pages right, even pages left
    assert doc.settings.odd_and_even_pages_header_footer
    odd, even = first.footer.paragraphs[0], first.even_page_footer.paragraphs[0]
    for p in (odd, even):
        assert p.text.startswith("— ") and p.text.endswith(" —")
        assert p._p.find(qn("w:fldSimple")).get(qn("w:instr")) == "PAGE"
    # the closing lines, the agency and the date at the right
    assert by_text["联系方式:本机关办公室,电话 010-0000 0000"].style.name == "报告正文"
    assert by_text["渝中区应急管理局"].style.name == "落款" and by_text["2025年1月20日"].style.name == "落款"


def test_wide_tables_get_a_landscape_section():
    draft = load_draft(SAMPLE)
    doc = read(render_docx(draft))
    layout = report_layout(draft)
    wide = [t for t in layout.tables if t.width > PORTRAIT_MAX_COLUMNS]
    assert [t.table.id for t in wide] == ["t3", "t4"]
    orientations = [s.orientation for s in doc.sections]
    assert orientations == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    assert mm(doc.sections[1].page_width, doc.sections[1].page_height) == [297, 210]
    for table in doc.tables:  # every table fits the text width of its page
        widths = [int(c.width) for c in table.columns]
        assert sum(widths) <= int(Mm(297 - 37 - 35)) + len(widths)


def test_hostile_text_is_text():
    draft = load_draft(SAMPLE)
    draft.texts["s6.other"] = "\n".join(NASTY) + "\n控制\x01字符\x1b[31m\ud800"
    draft.meta["org_name"] = "某局\n::: {onclick=x}"
    doc = read(render_docx(draft))
    texts = [p.text for p in doc.paragraphs]
    assert "<script>alert(1)</script>" in texts and "控制字符[31m" in texts
    assert texts[0].startswith("某局 ::: {onclick=x}")


def test_blank_totals_stay_blank():
    from nianbao.report.template import load_template

    draft = new_draft(load_template(), "某局", 2024)
    draft.set_value(("t3", "new", "natural"), 3)
    t3 = read(render_docx(draft)).tables[1]
    assert t3.cell(3, 3).text == "3" and t3.cell(3, 9).text == ""


def test_another_template_renders():
    other = parse_template(OTHER, "demo.toml")
    draft = new_draft(other, "某机关", 2030)
    draft.set_value(("x", "u", "p"), 7)
    doc = read(render_docx(draft))
    assert_tables_match(draft, doc)
    assert "表 x" in [p.text for p in doc.paragraphs]


# ---------------------------------------------------------------- LibreOffice

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


def convert(path: Path, target: str, outdir: Path) -> Path:
    done = subprocess.run(
        [SOFFICE, "--headless", f"-env:UserInstallation=file://{outdir}/profile", "--convert-to", target,
         "--outdir", str(outdir), str(path)],
        capture_output=True, text=True, timeout=240,
    )
    out = outdir / (path.stem + "." + target.split(":")[0])
    assert done.returncode == 0 and out.exists(), done.stderr
    return out


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed")
def test_libreoffice_reads_real_tables(tmp_path):
    draft = with_closing(load_draft(SAMPLE))
    source = tmp_path / "src" / "report.docx"
    source.parent.mkdir()
    source.write_bytes(render_docx(draft))
    pdf = convert(source, "pdf", tmp_path)
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert 4 <= pages <= 8, pages  # the pandoc route gave 12 pages of one paragraph per cell
    again = read(convert(source, "docx:MS Word 2007 XML", tmp_path).read_bytes())
    layout = report_layout(draft)
    assert len(again.tables) == len(layout.tables)
    for word, table in zip(again.tables, layout.tables):
        assert len(word.rows) == table.height
        for row, cells in zip(word.rows, table.rows):
            values = [c.text for c in cells if c.kind == "value"]
            distinct = row._tr.tc_lst  # one per Word cell: LibreOffice may re-slice the column grid
            texts = ["".join(t.text or "" for t in tc.iter(qn("w:t"))) for tc in distinct]
            if values:
                assert texts[-len(values):] == values
