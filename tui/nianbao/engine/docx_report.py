"""Render a draft as a Word file (DOCX), written directly with python-docx (no pandoc).

Typography follows the conventions of Chinese official documents (GB/T 9704): A4, margins
37/35/28/26 mm, body 仿宋 三号 (16 pt) on a 28 pt line pitch with a two-character first-line
indent, 一级标题 黑体, 二级标题 楷体, the title 小标宋 二号, page numbers "— 1 —" in 宋体 四号
(odd pages right, even pages left). Tables are real Word tables drawn from the layout: merged
header cells, header rows repeated on every page, rows never split; a table wider than
`PORTRAIT_MAX_COLUMNS` grid columns gets its own landscape section. Table cells use their own
paragraph style, so no indent or line pitch of the body leaks into them.
"""

from __future__ import annotations

import io
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from nianbao.engine.layout import (
    BLOCK_TITLE,
    COLUMN,
    CORNER,
    GROUP,
    ROW_LABEL,
    ReportLayout,
    TableLayout,
    printable,
    report_layout,
)
from nianbao.store.draft import Draft

PORTRAIT_MAX_COLUMNS = 8  # a wider table is set on a landscape page
KEEP_TOGETHER_ROWS = 15  # a table this short is kept on one page
A4 = (Mm(210), Mm(297))
PORTRAIT_MARGINS = {"top": Mm(37), "bottom": Mm(35), "left": Mm(28), "right": Mm(26)}
LANDSCAPE_MARGINS = {"top": Mm(28), "bottom": Mm(26), "left": Mm(37), "right": Mm(35)}

BODY_FONT, HEADING1_FONT, HEADING2_FONT, TITLE_FONT, PAGE_FONT = "仿宋", "黑体", "楷体", "方正小标宋简体", "宋体"
LATIN_FONT = "Times New Roman"
BODY_SIZE, TITLE_SIZE, TABLE_SIZE, PAGE_SIZE, RECORD_SIZE = Pt(16), Pt(22), Pt(10.5), Pt(14), Pt(12)
LINE_PITCH = Pt(28)
INDENT = Pt(32)  # two characters of 三号

TITLE, H1, H2, BODY, CELL, HEAD_CELL, RIGHT, RECORD = (
    "报告标题", "一级标题", "二级标题", "报告正文", "表格文字", "表头文字", "落款", "校验记录",
)


def _set_fonts(element: Any, east_asian: str, size: Any = None) -> None:
    """Name the fonts of a style or run explicitly (theme fonts would override the names)."""
    rpr = element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    fonts.set(qn("w:ascii"), LATIN_FONT)
    fonts.set(qn("w:hAnsi"), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asian)
    fonts.set(qn("w:cs"), LATIN_FONT)
    if size is not None:
        for tag in ("w:sz", "w:szCs"):
            el = rpr.find(qn(tag))
            if el is None:
                el = OxmlElement(tag)
                rpr.append(el)
            el.set(qn("w:val"), str(int(size.pt * 2)))


def _style(doc: Any, name: str, font: str, size: Any, *, align: Any = None, indent: Any = 0,
           pitch: Any = LINE_PITCH, outline: int | None = None, before: Any = 0, after: Any = 0) -> Any:
    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = None
    style.quick_style = True
    _set_fonts(style.element, font, size)
    style.font.color.rgb = None
    fmt = style.paragraph_format
    fmt.first_line_indent = indent
    fmt.left_indent = 0
    fmt.right_indent = 0
    fmt.space_before = before
    fmt.space_after = after
    if pitch is None:
        fmt.line_spacing_rule = WD_LINE_SPACING.SINGLE
    else:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = pitch
    fmt.widow_control = True
    if align is not None:
        fmt.alignment = align
    if outline is not None:
        ppr = style.element.get_or_add_pPr()
        lvl = OxmlElement("w:outlineLvl")
        lvl.set(qn("w:val"), str(outline))
        ppr.append(lvl)
        fmt.keep_with_next = True
    return style


def _styles(doc: Any) -> None:
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    if defaults is not None:  # the template's theme fonts would win over every named font
        for fonts in defaults.iter(qn("w:rFonts")):
            for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
                fonts.attrib.pop(qn(attr), None)
    normal = doc.styles["Normal"]
    _set_fonts(normal.element, BODY_FONT, BODY_SIZE)
    rpr = normal.element.get_or_add_rPr()
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    rpr.append(lang)
    _style(doc, TITLE, TITLE_FONT, TITLE_SIZE, align=WD_ALIGN_PARAGRAPH.CENTER, pitch=Pt(36), after=LINE_PITCH)
    _style(doc, H1, HEADING1_FONT, BODY_SIZE, indent=INDENT, outline=0)
    _style(doc, H2, HEADING2_FONT, BODY_SIZE, indent=INDENT, outline=1)
    _style(doc, BODY, BODY_FONT, BODY_SIZE, indent=INDENT, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _style(doc, RIGHT, BODY_FONT, BODY_SIZE, align=WD_ALIGN_PARAGRAPH.RIGHT)
    doc.styles[RIGHT].paragraph_format.right_indent = INDENT
    _style(doc, CELL, BODY_FONT, TABLE_SIZE, pitch=None, align=WD_ALIGN_PARAGRAPH.CENTER)
    _style(doc, HEAD_CELL, HEADING1_FONT, TABLE_SIZE, pitch=None, align=WD_ALIGN_PARAGRAPH.CENTER)
    _style(doc, RECORD, BODY_FONT, RECORD_SIZE, pitch=None, after=Pt(3))


# ---------------------------------------------------------------- pages


def _page(section: Any, landscape: bool) -> None:
    width, height = A4
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (height, width) if landscape else (width, height)
    margins = LANDSCAPE_MARGINS if landscape else PORTRAIT_MARGINS
    section.top_margin, section.bottom_margin = margins["top"], margins["bottom"]
    section.left_margin, section.right_margin = margins["left"], margins["right"]
    section.footer_distance = Mm(20)
    section.header_distance = Mm(15)


def _text_width(section: Any) -> int:
    return int(section.page_width - section.left_margin - section.right_margin)


def _page_number(paragraph: Any, align: Any) -> None:
    """ "— 7 —" with the page number as a field, one character in from the edge."""
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.first_line_indent = 0
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        fmt.right_indent = PAGE_SIZE
    else:
        fmt.left_indent = PAGE_SIZE
    paragraph.add_run("— ")
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field.append(run)
    paragraph._p.append(field)
    paragraph.add_run(" —")
    for r in paragraph._p.iter(qn("w:r")):
        rpr = r.find(qn("w:rPr"))
        if rpr is None:
            rpr = OxmlElement("w:rPr")
            r.insert(0, rpr)
        holder = type("R", (), {"get_or_add_rPr": lambda self, rpr=rpr: rpr})()
        _set_fonts(holder, PAGE_FONT, PAGE_SIZE)


def _footers(doc: Any) -> None:
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


# ---------------------------------------------------------------- tables


# Column widths are multiples of 72 twips (1.27 mm, also a whole number of 1/100 mm), so merged
# widths add up exactly in Word's twips and in LibreOffice's 1/100 mm (which splits the grid else).
WIDTH_STEP = 45720  # EMU


def _column_widths(layout: TableLayout, total: int) -> list[int]:
    return [w - w % WIDTH_STEP for w in _raw_widths(layout, total)]


def _raw_widths(layout: TableLayout, total: int) -> list[int]:
    values = layout.width - layout.label_width
    if not layout.label_width:
        return [total // layout.width] * layout.width
    value = max(min(total // 2 // values, int(Mm(30))), int(Mm(12)))
    labels = total - value * values
    group = min(int(Mm(16)), labels // (layout.label_width + 1))
    leaf = labels - group * (layout.label_width - 1)
    return [group] * (layout.label_width - 1) + [leaf] + [value] * values


def _mark_row(row: Any, header: bool) -> None:
    trpr = row._tr.get_or_add_trPr()
    split = OxmlElement("w:cantSplit")
    trpr.append(split)
    if header:
        repeat = OxmlElement("w:tblHeader")
        repeat.set(qn("w:val"), "true")
        trpr.append(repeat)


def _table(doc: Any, layout: TableLayout, width: int) -> None:
    if layout.caption:
        doc.add_paragraph(printable(layout.caption), style=HEAD_CELL).paragraph_format.keep_with_next = True
    table = doc.add_table(rows=layout.height, cols=layout.width)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = _column_widths(layout, width)
    for i, column in enumerate(table.columns):
        column.width = widths[i]
    grid = table._cells  # fetched once: table.cell() rebuilds this list on every call
    for i, cell in enumerate(grid):
        cell.width = widths[i % layout.width]
    head_rows = sum(len(p.rows) for p in layout.parts if p.kind == "head")
    for i, row in enumerate(table.rows):
        _mark_row(row, i < head_rows)
    together = layout.height <= KEEP_TOGETHER_ROWS
    spans = []
    header_style, cell_style = doc.styles[HEAD_CELL], doc.styles[CELL]
    for line in layout.rows:
        for cell in line:
            target = grid[cell.row * layout.width + cell.col]
            target.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            header = cell.kind in (CORNER, GROUP, COLUMN, BLOCK_TITLE)
            paragraph = target.paragraphs[0]
            paragraph.style = header_style if header else cell_style
            if cell.kind in (ROW_LABEL, BLOCK_TITLE):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
            paragraph.paragraph_format.keep_with_next = together and cell.row + cell.rowspan < layout.height
            if cell.text:
                paragraph.add_run(printable(cell.text))
            if cell.rowspan > 1 or cell.colspan > 1:
                spans.append((cell, target))
    # Merge last: the layout's rectangles are disjoint, so no merge touches another's corners,
    # and the covered cells are empty (merging moves nothing but the top-left text).
    for cell, target in spans:
        corner = grid[(cell.row + cell.rowspan - 1) * layout.width + cell.col + cell.colspan - 1]
        merged = target.merge(corner)
        merged.width = sum(widths[cell.col:cell.col + cell.colspan])


# ---------------------------------------------------------------- the document


def layout_docx(layout: ReportLayout, record: str = "") -> bytes:
    doc = Document()
    _styles(doc)
    props = doc.core_properties
    props.title = printable(layout.title)
    props.author = ""
    props.last_modified_by = ""
    props.comments = "nianbao"
    props.keywords = ""
    section = doc.sections[0]
    _page(section, landscape=False)
    _footers(doc)
    landscape = False
    body = doc.paragraphs[0] if doc.paragraphs else None
    if body is not None:  # the default template's empty first paragraph
        body._p.getparent().remove(body._p)

    doc.add_paragraph(printable(layout.title), style=TITLE)
    for text in layout.opening:
        doc.add_paragraph(printable(text), style=BODY)
    for part in layout.sections:
        wide = any(t.width > PORTRAIT_MAX_COLUMNS for t in part.tables)
        if wide != landscape:
            section = doc.add_section(WD_SECTION.NEW_PAGE)
            _page(section, landscape=wide)
            landscape = wide
        doc.add_paragraph(printable(part.heading), style=H1)
        for field in part.fields:
            if field.label:
                doc.add_paragraph(printable(field.label), style=H2)
            for text in field.paragraphs:
                doc.add_paragraph(printable(text), style=BODY)
        for table in part.tables:
            _table(doc, table, _text_width(section))
            doc.add_paragraph("", style=CELL)  # keeps two tables, or a table and a heading, apart
    for line in layout.closing:
        doc.add_paragraph(printable(line.text), style=RIGHT if line.align == "right" else BODY)
    if record:
        doc.add_paragraph("", style=RECORD)
        for text in record.splitlines():
            if text.strip():
                doc.add_paragraph(printable(text), style=RECORD)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def render_docx(draft: Draft, record: str = "") -> bytes:
    """The whole report as a Word file's bytes; ``record`` is appended at the end."""
    return layout_docx(report_layout(draft), record)
