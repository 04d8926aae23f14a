"""Render a draft as a Markdown report: title, opening, the sections, their tables, the closing.

Everything comes from the template (headings, field labels, column and row groups, closing
lines), so any template renders. Narrative text is text: every Markdown or HTML special is
escaped, also what pandoc's extended readers (``markdown``, ``commonmark_x``) treat as
structure — fenced divs, attribute braces, definition lists, fancy list markers, citations,
super/subscripts — so what the clerk typed is what a reader sees under every common reader.
Tables are GFM pipe tables (nested headers flattened with "/") or, with ``tables="html"``,
HTML tables whose headers are really merged. The HTML page and the Word file have their own
writers (`html_report`, `docx_report`) fed by the same `layout`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from nianbao.engine.figures import resolve
from nianbao.engine.layout import VALUE, block_grid, field_label_shown, fill, lines, shown_values
from nianbao.report.model import Block, Table
from nianbao.store.draft import Draft

TABLE_MODES = ("pipe", "html")
PATH_SEP = "/"

# Specials anywhere in a line: CommonMark inline syntax plus GFM/pandoc extras (~ strikeout and
# subscript, ^ superscript and inline notes, $ math, {} attributes and bracketed spans, @ citations
# and example lists, # so a heading never loses a trailing "#"). <>& become entities instead.
_ALWAYS = re.compile(r"([\\`*_\[\]|~#$^{}@])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# pandoc's gfm turns ":name:" into an emoji.
_EMOJI = re.compile(r":(?=[A-Za-z0-9_+-]+:)")
# Block starts that survive the escapes above: a bullet; the "." / ")" of "1." "a)" "iv." (pandoc's
# fancy lists); the "(" of "(1)" "(a)"; colons opening a fenced div (":::") or a definition (": ");
# "Table:" opening a pandoc table caption; "%" opening a pandoc title block.
_BULLET = re.compile(r"^[-+%]")
_ORDERED = re.compile(r"^(\d+|[A-Za-z]|[ivxlcdmIVXLCDM]+)([.)])(?=[ \t]|$)")
_PAREN_LIST = re.compile(r"^\((?=(?:\d+|[A-Za-z]|[ivxlcdmIVXLCDM]+|\\@)\)(?:[ \t]|$))")
_LEADING_COLONS = re.compile(r"^:+")
_CAPTION = re.compile(r"^([Tt]able):")


def escape_inline(text: str) -> str:
    """Escape one line of plain text so Markdown shows it literally (CJK untouched)."""
    text = " ".join(text.splitlines()).strip()
    text = _ALWAYS.sub(r"\\\1", text)
    text = re.sub(r"[&<>]", lambda m: _ENTITIES[m.group()], text)
    return _EMOJI.sub(r"\\:", text)


def escape_line(text: str) -> str:
    """Escape a line that starts a paragraph: also neutralise list, div and definition markers."""
    text = escape_inline(text)
    text = _ORDERED.sub(r"\1\\\2", _BULLET.sub(r"\\\g<0>", text))
    text = _PAREN_LIST.sub(r"\\(", text)
    text = _LEADING_COLONS.sub(lambda m: "\\:" * len(m.group()), text)
    return _CAPTION.sub(r"\1\\:", text)


def paragraphs(text: str) -> list[str]:
    """Each non-blank line of a field is its own paragraph (clerks type one per line)."""
    return [escape_line(line) for line in text.splitlines() if line.strip()]


def _path(group: Sequence[str], label: str) -> tuple[str, ...]:
    return (*group, label)


# ---------------------------------------------------------------- pipe tables


def _pipe_row(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _pipe_block(table: Table, block: Block, values: dict[tuple[str, str, str], str]) -> list[str]:
    columns = [table.column_by_id[c] for c in block.columns]
    header = [escape_inline(PATH_SEP.join(_path(c.group, c.label))) for c in columns]
    if table.row_labels:
        header.insert(0, escape_inline(block.row_header or table.corner))
    lines = [_pipe_row(header), _pipe_row(["---"] * len(header))]
    for rid in block.rows:
        row = table.row_by_id[rid]
        cells = [values.get((table.id, rid, c.id), "") for c in columns]
        if table.row_labels:
            cells.insert(0, escape_inline(PATH_SEP.join(_path(row.group, row.label))))
        lines.append(_pipe_row(cells))
    return lines


# ---------------------------------------------------------------- html tables


def _cell(tag: str, text: str, rowspan: int = 1, colspan: int = 1) -> str:
    attrs = (f' rowspan="{rowspan}"' if rowspan > 1 else "") + (f' colspan="{colspan}"' if colspan > 1 else "")
    return f"<{tag}{attrs}>{html.escape(' '.join(text.splitlines()).strip(), quote=False)}</{tag}>"


def _html_block(table: Table, block: Block, values: dict[tuple[str, str, str], str]) -> list[str]:
    """One block as an HTML table with merged headers, drawn from the shared layout grid."""
    rows, head_count = block_grid(table, block, values)
    lines = ["<table>", "<thead>"]
    for i, row in enumerate(rows):
        if i == head_count:
            lines += ["</thead>", "<tbody>"]
        tr = [_cell("td" if c.kind == VALUE else "th", c.text, c.rowspan, c.colspan) for c in row]
        lines.append("<tr>" + "".join(tr) + "</tr>")
    if head_count == len(rows):
        lines += ["</thead>", "<tbody>"]
    lines += ["</tbody>", "</table>"]
    return lines


# ---------------------------------------------------------------- the document


def _bold(text: str) -> str:
    return f"**{escape_inline(text)}**"


def _table_parts(table: Table, values: dict[tuple[str, str, str], str], tables: str, titled: bool) -> list[str]:
    parts = [_bold(table.title)] if titled and table.title.strip() else []
    draw = _html_block if tables == "html" else _pipe_block
    for block in table.blocks:
        if block.title.strip():
            parts.append(_bold(block.title))
        parts.append("\n".join(draw(table, block, values)))
    return parts


def render_markdown(draft: Draft, tables: str = "pipe", record: str = "") -> str:
    """The whole report as Markdown; ``tables`` is "pipe" (GFM) or "html" (merged headers).
    ``record`` is a validation record's lines (`engine.record`), appended after the closing."""
    if tables not in TABLE_MODES:
        raise ValueError(f"表格格式只能是 {' 或 '.join(TABLE_MODES)},不是“{tables}”")
    template = draft.template
    values = shown_values(draft)
    parts = ["# " + escape_inline(fill(template.title, draft)[0])]
    parts += paragraphs(fill(template.opening, draft)[0])
    for section in template.sections:
        parts.append("## " + escape_inline(section.heading))
        labelled = field_label_shown(section)
        for field in section.fields:
            if labelled:
                parts.append("### " + escape_inline(field.label))
            text = resolve(draft.texts.get(field.key, ""), template, values.get)  # bound figures
            parts += paragraphs(text)
        for tid in section.tables:
            parts += _table_parts(template.tables[tid], values, tables, titled=len(section.tables) > 1)
    parts += [escape_line(line) for line in closing_lines(draft)]
    if record:
        parts += record_parts(record)
    return "\n\n".join(parts) + "\n"


def closing_lines(draft: Draft) -> list[str]:
    """The template's closing lines with metadata filled in; a line with a blank placeholder is left out."""
    out = []
    for line in draft.template.closing:
        text, complete = fill(line.text, draft)
        if complete and text.strip():
            out.append(" ".join(text.split()))
    return out


def record_parts(record: str) -> list[str]:
    """A validation record: a thematic break, its title in bold, one escaped paragraph per line."""
    title, *rest = lines(record)
    return ["* * *", _bold(title), *(escape_line(line) for line in rest)]
