"""Render a draft as one self-contained web page, laid out like the official form.

One file: inline CSS, no script, no external resource (fonts are the reader's own). Tables are
bordered with their headers really merged (rowspan/colspan); a table of several blocks (表二) is
one table whose block titles span its width. A wide table scrolls inside its own box on a
phone; printing gives A4 pages with header rows repeated.

The markup is semantic so it can be read back (see docs/export.md): every table is
``<table class="report-table" data-table="ID">``; a one-block table has its header rows in
``<thead>`` and its data in ``<tbody>``; a table of blocks has one ``<tbody class="block">`` per
block, opening with the block title row (``<th class="block-title" colspan=…>``) and the
block's header rows. Header cells are ``<th scope="col">``, the corner ``<th class="corner">``,
row labels ``<th scope="row">`` and every figure a ``<td data-cell="TABLE.ROW.COL">`` (blank
stays empty). Text is escaped, so nothing a clerk types becomes markup.
"""

from __future__ import annotations

import html

from nianbao import __version__
from nianbao.engine.layout import (
    BLOCK_TITLE,
    COLUMN,
    CORNER,
    GROUP,
    ROW_LABEL,
    GridCell,
    ReportLayout,
    TableLayout,
    printable,
    report_layout,
)
from nianbao.store.draft import Draft

STYLE = """
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f4f4f1; color: #111;
  font-family: "FangSong", "仿宋", "FangSong_GB2312", "STFangsong", "Songti SC", "SimSun", serif;
  font-size: 16px; line-height: 1.8; }
main.report { max-width: 60em; margin: 0 auto; padding: 2em 1.5em 3em; background: #fff; }
h1 { font-family: "FZXiaoBiaoSong-B05S", "方正小标宋简体", "STZhongsong", "SimSun", serif;
  font-size: 1.6em; font-weight: normal; text-align: center; line-height: 1.5; margin: 0.5em 0 1em; }
h2 { font-family: "SimHei", "黑体", "Heiti SC", "PingFang SC", sans-serif; font-size: 1.1em;
  font-weight: normal; margin: 1.4em 0 0.4em; }
h3 { font-family: "KaiTi", "楷体", "KaiTi_GB2312", "STKaiti", serif; font-size: 1em;
  font-weight: normal; margin: 0.8em 0 0.2em; text-indent: 2em; }
p { margin: 0.2em 0; text-indent: 2em; overflow-wrap: anywhere; }
p.closing-right { text-align: right; text-indent: 0; }
p.closing-left { text-indent: 2em; }
.closing { margin-top: 2em; }
.table-box { overflow-x: auto; -webkit-overflow-scrolling: touch; margin: 0.6em 0 1em;
  border: 1px solid transparent; }
table.report-table { border-collapse: collapse; margin: 0 auto; font-size: 0.875em;
  line-height: 1.45; min-width: 100%; }
table.report-table caption { font-family: "SimHei", "黑体", sans-serif; padding: 0.3em; }
table.report-table th, table.report-table td { border: 1px solid #000; padding: 0.3em 0.45em;
  vertical-align: middle; text-indent: 0; }
table.report-table th { font-weight: normal; text-align: center; background: #f7f7f7; }
table.report-table th[scope="row"] { text-align: left; background: #fff; min-width: 5em; }
table.report-table th.block-title { text-align: left; background: #ececec;
  font-family: "SimHei", "黑体", sans-serif; }
table.report-table th.corner { font-size: 0.9em; min-width: 9em; }
table.report-table td { text-align: center; min-width: 3.2em; white-space: nowrap;
  font-variant-numeric: tabular-nums; }
table.report-table td.total { background: #fafaf5; }
.record { margin-top: 3em; border-top: 1px solid #999; font-size: 0.85em; color: #333; }
.record p { text-indent: 0; }
@media (max-width: 40em) {
  body { font-size: 15px; }
  main.report { padding: 1em 0.75em 2em; }
  table.report-table th[scope="row"] { min-width: 8em; }
}
@media print {
  @page { size: A4; margin: 37mm 26mm 35mm 28mm; }
  body { background: #fff; font-size: 16pt; line-height: 28pt; }
  main.report { max-width: none; margin: 0; padding: 0; }
  .table-box { overflow: visible; }
  table.report-table { font-size: 10.5pt; line-height: 1.35; }
  table.report-table th { background: none; }
  thead { display: table-header-group; }
  tr, th, td { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
}
"""


def _text(text: str) -> str:
    return html.escape(printable(" ".join(text.splitlines()).strip()), quote=False)


def _attr(text: str) -> str:
    return html.escape(printable(text), quote=True)


def _cell(cell: GridCell) -> str:
    attrs = ""
    if cell.rowspan > 1:
        attrs += f' rowspan="{cell.rowspan}"'
    if cell.colspan > 1:
        attrs += f' colspan="{cell.colspan}"'
    if cell.kind == CORNER:
        return f'<th class="corner"{attrs}>{_text(cell.text)}</th>'
    if cell.kind in (COLUMN, GROUP):
        scope = "colgroup" if cell.kind == GROUP else "col"
        return f'<th scope="{scope}"{attrs}>{_text(cell.text)}</th>'
    if cell.kind == ROW_LABEL:
        scope = "rowgroup" if cell.rowspan > 1 else "row"
        return f'<th scope="{scope}"{attrs}>{_text(cell.text)}</th>'
    if cell.kind == BLOCK_TITLE:
        return f'<th class="block-title" scope="colgroup"{attrs}>{_text(cell.text)}</th>'
    key = ".".join(cell.key) if cell.key else ""
    total = ' class="total"' if cell.derived else ""
    return f'<td data-cell="{_attr(key)}"{total}{attrs}>{_text(cell.text)}</td>'


def table_html(layout: TableLayout) -> list[str]:
    table = layout.table
    out = ['<div class="table-box">', f'<table class="report-table" data-table="{_attr(table.id)}">']
    if layout.caption:
        out.append(f"<caption>{_text(layout.caption)}</caption>")
    blocks = all(part.kind == "body" for part in layout.parts)  # a table of blocks: no common head
    for part in layout.parts:
        if part.kind == "head":
            out.append("<thead>")
        else:
            out.append('<tbody class="block">' if blocks else "<tbody>")
        out += ["<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in part.rows]
        out.append("</thead>" if part.kind == "head" else "</tbody>")
    out += ["</table>", "</div>"]
    return out


def _paragraphs(texts: list[str], cls: str = "") -> list[str]:
    attr = f' class="{cls}"' if cls else ""
    return [f"<p{attr}>{_text(t)}</p>" for t in texts]


def layout_html(layout: ReportLayout, record: str = "") -> str:
    title = _text(layout.title)
    out = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="generator" content="nianbao {_attr(__version__)}">',
        f'<meta name="nianbao-template" content="{_attr(layout.template.id)} {layout.template.version}">',
        f"<title>{title}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        '<main class="report">',
        f"<h1>{title}</h1>",
    ]
    out += _paragraphs(layout.opening)
    for section in layout.sections:
        out.append(f'<section id="{_attr(section.section.id)}">')
        out.append(f"<h2>{_text(section.heading)}</h2>")
        for field in section.fields:
            if field.label:
                out.append(f"<h3>{_text(field.label)}</h3>")
            out += _paragraphs(field.paragraphs)
        for table in section.tables:
            out += table_html(table)
        out.append("</section>")
    if layout.closing:
        out.append('<div class="closing">')
        out += [f'<p class="closing-{c.align}">{_text(c.text)}</p>' for c in layout.closing]
        out.append("</div>")
    if record:
        first, *rest = [line for line in record.splitlines() if line.strip()]
        out.append('<section class="record" id="nianbao-record">')
        out.append(f"<h2>{_text(first)}</h2>")
        out += _paragraphs(rest)
        out.append("</section>")
    out += ["</main>", "</body>", "</html>"]
    return "\n".join(out) + "\n"


def render_html(draft: Draft, record: str = "") -> str:
    """The whole report as one self-contained HTML page; ``record`` is appended at the end."""
    return layout_html(report_layout(draft), record)
