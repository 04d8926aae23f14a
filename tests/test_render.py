"""The Markdown export: parsed back, every cell holds the draft's value and every text is literal."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from nianbao.engine.layout import shown_values
from nianbao.engine.render import escape_inline, escape_line, paragraphs, render_markdown
from nianbao.report.template import Template, load_template, parse_template
from nianbao.store.draft import load_draft, new_draft

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "yuzhong-emergency-2024.toml"
SAMPLE_MD = {"pipe": SAMPLE.with_suffix(".md"), "html": SAMPLE.with_suffix(".html.md")}
TEMPLATE = load_template()
MODES = ("pipe", "html")
REGENERATE = (
    ".venv/bin/python -c \"from pathlib import Path; from nianbao.store.draft import load_draft; "
    "from nianbao.engine.render import render_markdown; d = load_draft('samples/yuzhong-emergency-2024.toml'); "
    "Path('samples/yuzhong-emergency-2024.md').write_text(render_markdown(d), encoding='utf-8', newline='\\n'); "
    "Path('samples/yuzhong-emergency-2024.html.md').write_text(render_markdown(d, tables='html'), "
    "encoding='utf-8', newline='\\n')\""
)


def md() -> MarkdownIt:
    return MarkdownIt("commonmark").enable("table")


# ---------------------------------------------------------------- reading the output back


class _Tables(HTMLParser):
    """Every <table> of an HTML page as rows of (tag, text, rowspan, colspan), head and body apart."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self._part = "body"
        self._cell: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self.tables.append({"head": [], "body": []})
        elif tag in ("thead", "tbody"):
            self._part = tag[1:]
        elif tag == "tr":
            self.tables[-1][self._part].append([])
        elif tag in ("th", "td"):
            self._cell = [tag, "", int(a.get("rowspan") or 1), int(a.get("colspan") or 1)]
        elif self._cell is not None:
            self._cell[1] += f"<{tag}>"  # markup inside a cell must show up in comparisons

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self.tables[-1][self._part][-1].append(tuple(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[1] += data


def grid(rows: list[list[tuple]]) -> list[list[str]]:
    """Expand rowspan/colspan: a spanned cell's text fills every position it covers."""
    out: list[dict[int, str]] = [{} for _ in rows]
    for r, row in enumerate(rows):
        c = 0
        for _tag, text, rowspan, colspan in row:
            while c in out[r]:
                c += 1
            for dr in range(rowspan):
                for dc in range(colspan):
                    if r + dr < len(out):
                        out[r + dr][c + dc] = text
            c += colspan
    return [[row[i] for i in sorted(row)] for row in out]


def html_tables(markdown: str) -> list[dict]:
    p = _Tables()
    p.feed(md().render(markdown))
    return p.tables


def dedup(cells: list[str]) -> list[str]:
    return [c for i, c in enumerate(cells) if i == 0 or c != cells[i - 1]]


def outline(markdown: str) -> list[tuple]:
    """Top-level blocks: ("h2", text), ("p", text), ("b", text) for a bold line, ("table",)…"""
    tokens = md().parse(markdown)
    out = []
    for i, tok in enumerate(tokens):
        if tok.level != 0 or tok.nesting == -1:
            continue
        if tok.type in ("heading_open", "paragraph_open"):
            kids = [k for k in tokens[i + 1].children or [] if not (k.type == "text" and k.content == "")]
            types = [k.type for k in kids]
            text = "".join(k.content for k in kids if k.type == "text")
            if tok.type == "heading_open":
                out.append((tok.tag, text) if set(types) <= {"text"} else (tok.tag, "!", types))
            elif set(types) <= {"text"}:
                out.append(("p", text))
            elif types == ["strong_open", "text", "strong_close"]:
                out.append(("b", text))
            else:
                out.append(("p!", types))
        else:
            out.append((tok.type,))
    return out


class _Meta(dict):
    def __missing__(self, key):
        return ""


def lines_of(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


def expected_outline(draft, mode: str) -> list[tuple]:
    """The document's shape as the issue specifies it, from the template alone."""
    t = draft.template
    meta = _Meta({k: "" if v is None else str(v) for k, v in draft.meta.items()})
    out = [("h1", t.title.format_map(meta).strip())]
    out += [("p", p) for p in lines_of(t.opening.format_map(meta))]
    for s in t.sections:
        out.append(("h2", s.heading))
        labelled = len(s.fields) > 1 or any(f.label not in s.heading for f in s.fields)
        for f in s.fields:
            if labelled:
                out.append(("h3", f.label))
            out += [("p", p) for p in lines_of(draft.texts.get(f.key, ""))]
        for tid in s.tables:
            table = t.tables[tid]
            if len(s.tables) > 1:
                out.append(("b", table.title))
            for block in table.blocks:
                if block.title:
                    out.append(("b", block.title))
                out.append(("table_open",) if mode == "pipe" else ("html_block",))
    for line in t.closing:  # a closing line is printed only when all its placeholders are filled
        names = re.findall(r"\{(\w+)\}", line.text)
        text = " ".join(line.text.format_map(meta).split())
        if all(meta[n].strip() for n in names) and text:
            out.append(("p", text))
    return out


def assert_tables_match(draft, markdown: str) -> None:
    """Each table, in template order, holds the draft's values under the template's labels
    (a computed total whose inputs are not all filled is blank)."""
    values = shown_values(draft)
    parsed = html_tables(markdown)
    tables = [draft.template.tables[tid] for s in draft.template.sections for tid in s.tables]
    expected = [(t, b) for t in tables for b in t.blocks]
    assert len(parsed) == len(expected)
    for got, (table, block) in zip(parsed, expected):
        head, body = grid(got["head"]), grid(got["body"])
        ncols = len(block.columns)
        assert len(body) == len(block.rows)
        for j, cid in enumerate(block.columns):
            col = table.column_by_id[cid]
            assert "/".join(dedup([r[-ncols + j] for r in head])) == "/".join((*col.group, col.label))
        for row_cells, rid in zip(body, block.rows):
            row = table.row_by_id[rid]
            assert len(row_cells) >= ncols
            assert row_cells[-ncols:] == [values[(table.id, rid, c)] for c in block.columns]
            if table.row_labels:
                assert "/".join(dedup(row_cells[:-ncols])) == "/".join((*row.group, row.label))
            else:
                assert len(row_cells) == ncols
        if table.row_labels:
            assert head[0][0] == (block.row_header or table.corner)


# ---------------------------------------------------------------- the sample


@pytest.fixture(scope="module")
def sample():
    return load_draft(SAMPLE)


@pytest.mark.parametrize("mode", MODES)
def test_sample_tables_hold_draft_values(sample, mode):
    assert_tables_match(sample, render_markdown(sample, tables=mode))


@pytest.mark.parametrize("mode", MODES)
def test_sample_outline(sample, mode):
    out = render_markdown(sample, tables=mode)
    assert outline(out) == expected_outline(sample, mode)
    assert out.startswith("# 渝中区应急管理局2024年政府信息公开工作年度报告\n\n根据《中华人民共和国政府信息公开条例》")
    headings = [line for line in out.splitlines() if line.startswith("## ")]
    assert headings == ["## " + s.heading for s in TEMPLATE.sections]
    assert out.endswith("\n") and not out.endswith("\n\n")


def test_sample_table_layout(sample):
    out = render_markdown(sample)
    assert "**第二十条第(一)项**\n\n| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |\n| --- |" in out
    assert "| 信息内容 | 本年收费金额(单位:万元) |" in out
    assert "申请人情况/法人或其他组织/商业企业" in out
    assert "| 三、本年度办理结果/(三)不予公开/1.属于国家秘密 | 0 |" in out
    assert "| (本列数据的勾稽关系为:第一项加第二项之和,等于第三项加第四项之和) | 申请人情况/自然人 |" in out
    t4 = html_tables(out)[-1]
    assert len(t4["body"]) == 1 and len(t4["body"][0]) == 15
    assert [c[1] for c in t4["body"][0]][3:5] == ["3", "3"]


def test_html_mode_merges_headers(sample):
    out = render_markdown(sample, tables="html")
    assert "rowspan" in out and "colspan" in out
    tables = html_tables(out)
    t3 = tables[4]
    spans = {text: (rs, cs) for row in t3["head"] + t3["body"] for _tag, text, rs, cs in row}
    assert spans[TEMPLATE.tables["t3"].corner] == (3, 3)
    assert spans["申请人情况"] == (1, 7)
    assert spans["自然人"] == (2, 1)
    assert spans["法人或其他组织"] == (1, 5)
    assert spans["总计"] == (2, 1)
    assert spans["三、本年度办理结果"] == (22, 1)
    assert spans["(三)不予公开"] == (8, 1)
    assert spans["一、本年新收政府信息公开申请数量"] == (1, 3)
    assert spans["(七)总计"] == (1, 2)
    t4 = tables[5]
    head4 = {text: (rs, cs) for row in t4["head"] for _tag, text, rs, cs in row}
    assert head4["行政复议"] == (1, 5) and head4["行政诉讼"] == (1, 10)
    assert head4["未经复议直接起诉"] == (1, 5)
    assert [c[0] for c in t4["body"][0]] == ["td"] * 15


@pytest.mark.parametrize("mode", MODES)
def test_sample_markdown_file_is_current(sample, mode):
    path = SAMPLE_MD[mode]
    current = path.read_text(encoding="utf-8") if path.exists() else None
    assert current == render_markdown(sample, tables=mode), (
        f"{path.name} is out of date with render_markdown; regenerate it from the repo root with:\n{REGENERATE}"
    )


def test_render_is_deterministic(sample):
    assert render_markdown(sample) == render_markdown(load_draft(SAMPLE))


def test_blank_draft_renders_with_empty_cells():
    blank = load_draft(ROOT / "samples" / "blank.toml")
    for mode in MODES:
        out = render_markdown(blank, tables=mode)
        assert_tables_match(blank, out)
        assert outline(out) == expected_outline(blank, mode)
    assert "| 规章 |  |  |  |" in render_markdown(blank)


def test_unknown_table_mode_is_refused(sample):
    with pytest.raises(ValueError):
        render_markdown(sample, tables="latex")


def test_render_does_not_import_textual():
    code = "import sys, nianbao.engine.render; sys.exit(any(m.split('.')[0] == 'textual' for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


# ---------------------------------------------------------------- escaping

NASTY = [
    "<script>alert(1)</script>",
    "*x* 和 _y_ 和 **z**",
    "[a](b) ![i](x.png) [ref]: http://x",
    "# 不是标题",
    "1. 不是列表",
    "2) 也不是",
    "- 不是列表",
    "+ 不是列表",
    "> 不是引用",
    "| a | b |",
    "`代码` 和 ```",
    "~~~",
    "&amp; &lt; &#35; &",
    "---",
    "***",
    "===",
    "    四个空格缩进",
    "\\ 反斜杠 \\* \\",
    "~~删除线~~ $x$ :smile: [^1] [ ] 任务",
    "<!-- 注释 --> <div>块</div>",
    "标题 #",
    "http://example.com www.example.com",
]


@pytest.mark.parametrize("text", NASTY)
def test_special_text_appears_literally(text):
    out = "\n\n".join(paragraphs(text))
    assert outline(out) == [("p", text.strip())]
    html = md().render(out)
    assert "<script" not in html and "<div" not in html and "<!--" not in html


def test_cjk_punctuation_is_not_escaped():
    text = "根据《条例》(一)“三安全一稳定”、:;,。!?——…【注】"
    assert escape_line(text) == text
    assert escape_inline("12350安全生产举报") == "12350安全生产举报"


def test_every_line_is_a_paragraph():
    assert paragraphs("第一段\n第二段\r\n\n  \n  第三段  ") == ["第一段", "第二段", "第三段"]
    draft = new_draft(TEMPLATE, "某局", 2024)
    draft.texts["s6.other"] = "一行\n二行"
    assert "## 六、其他需要报告的事项\n\n一行\n\n二行\n" in render_markdown(draft)


# ---------------------------------------------------------------- any draft

_ALPHABET = st.sampled_from(list("ab Z09。,、“”()《》:;中文报告\t") + list("\\`*_{}[]()#+-.!|<>&~$:^=\"'@/"))
_SNIPPETS = st.sampled_from(NASTY + ["1.", "- ", "\n", "\n\n", "\n# ", "\n1. ", "\n> ", "\n| x |\n| --- |"])
_TEXT = st.lists(st.one_of(st.text(_ALPHABET, max_size=12), _SNIPPETS), max_size=6).map("".join)
_NAME = st.text(st.sampled_from(list("渝中区局 ab*_<>&[]#|`\\")), max_size=12)


@st.composite
def drafts(draw):
    year = draw(st.one_of(st.none(), st.integers(1990, 2200)))
    draft = new_draft(TEMPLATE, draw(_NAME), year)
    for ref in TEMPLATE.input_cells:
        col = TEMPLATE.column(ref)
        if col.type == "amount":
            value = st.decimals(min_value=0, max_value=10**6, places=col.places, allow_nan=False, allow_infinity=False)
        else:
            value = st.integers(0, 10**9)
        draft.set_value((ref.table, ref.row, ref.col), draw(st.one_of(st.none(), value)))
    for f in TEMPLATE.fields:
        draft.texts[f.key] = draw(_TEXT)
    return draft


def _nasty_draft():
    draft = new_draft(TEMPLATE, "<script>alert(1)</script>", 2024)
    for i, f in enumerate(TEMPLATE.fields):
        draft.texts[f.key] = "\n".join(NASTY[i:] + NASTY[:i])
    return draft


@settings(max_examples=50, deadline=None)
@given(drafts(), st.sampled_from(MODES))
@example(_nasty_draft(), "pipe")
@example(_nasty_draft(), "html")
def test_any_draft_round_trips(draft, mode):
    out = render_markdown(draft, tables=mode)
    assert out.endswith("\n") and not out.endswith("\n\n")
    assert outline(out) == expected_outline(draft, mode)
    assert_tables_match(draft, out)
    html = md().render(out)
    assert not re.search(r"<script|<del|<em|<code|<a |<img|<li|<blockquote|<hr", html)


def test_amount_keeps_its_places():
    draft = new_draft(TEMPLATE, "某局", 2024)
    draft.set_value(("t2", "fees", "fee_amount"), Decimal("1.2500"))
    assert "| 行政事业性收费 | 1.25 |" in render_markdown(draft)


# ---------------------------------------------------------------- another template

OTHER = {
    "template": {
        "id": "demo",
        "version": 1,
        "title": "{org_name}的{year}年度小结{missing}",
        "opening": "第一段 {org_name}\n第二段",
    },
    "meta": [{"id": "org_name", "label": "名称"}, {"id": "year", "label": "年度", "type": "year"}],
    "sections": [
        {"id": "a", "heading": "甲、数据", "fields": [{"id": "note", "label": "补充说明"}], "tables": ["x", "y"]},
        {"id": "b", "heading": "乙、其他事项", "fields": [{"id": "other", "label": "其他事项"}]},
    ],
    "tables": [
        {
            "id": "x",
            "section": "a",
            "title": "表 x",
            "columns": [
                {"id": "p", "label": "a|b", "group": ["G*1*"]},
                {"id": "q", "label": "<b>q</b>", "group": ["G*1*", "H"]},
                {"id": "r", "label": "R", "group": ["G*1*", "H"]},
                {"id": "s", "label": "S"},
            ],
            "rows": [
                {"id": "u", "label": "U|1", "group": ["组 & 1"]},
                {"id": "v", "label": "V", "group": ["组 & 1"]},
                {"id": "w", "label": "W"},
            ],
        },
        {
            "id": "y",
            "section": "a",
            "title": "表 y",
            "row_labels": False,
            "columns": [{"id": "k", "label": "K"}, {"id": "m", "label": "M", "type": "amount", "places": 2}],
            "rows": [{"id": "only", "label": "唯一"}],
        },
    ],
}


@pytest.fixture(scope="module")
def other() -> Template:
    return parse_template(OTHER, "demo.toml")


@pytest.mark.parametrize("mode", MODES)
def test_another_template_renders(other, mode):
    draft = new_draft(other, "某*机关*", 2030)
    draft.texts["a.note"] = "说明文字"
    draft.texts["b.other"] = "无"
    draft.set_value(("x", "u", "p"), 7)
    draft.set_value(("y", "only", "m"), Decimal("3.5"))
    out = render_markdown(draft, tables=mode)
    assert out.startswith("# 某\\*机关\\*的2030年度小结\n\n第一段 某\\*机关\\*\n\n第二段\n")
    assert outline(out) == expected_outline(draft, mode)
    assert ("b", "表 x") in outline(out) and ("h3", "补充说明") in outline(out)
    assert ("h3", "其他事项") not in outline(out)
    assert_tables_match(draft, out)
    if mode == "html":
        assert '<th rowspan="3" colspan="2"></th><th colspan="3">G*1*</th><th rowspan="3">S</th>' in out
        assert '<th rowspan="2">a|b</th><th colspan="2">H</th>' in out
        assert "<th>&lt;b&gt;q&lt;/b&gt;</th>" in out
        assert '<th rowspan="2">组 &amp; 1</th><th>U|1</th><td>7</td>' in out
        assert '<th colspan="2">W</th>' in out
    else:
        assert "| 组 &amp; 1/U\\|1 | 7 |  |  |  |" in out


# ---------------------------------------------------------------- pandoc

PANDOC = shutil.which("pandoc") or shutil.which("/usr/bin/pandoc")


def pandoc(markdown: str) -> str:
    done = subprocess.run(
        [PANDOC, "-f", "gfm", "-t", "html"],
        input=markdown, capture_output=True, text=True, encoding="utf-8", timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr
    return done.stdout


@pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed")
@pytest.mark.parametrize("mode", MODES)
def test_pandoc_converts_without_warnings(sample, mode):
    html = pandoc(render_markdown(sample, tables=mode))
    assert html.count("<table") == 6
    assert "渝中区应急管理局2024年政府信息公开工作年度报告" in html
    assert (">22<" in html) and (">40<" in html)
    if mode == "html":
        assert 'colspan="7"' in html


@pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed")
def test_pandoc_keeps_special_text_literal():
    draft = new_draft(TEMPLATE, "某局", 2024)
    draft.texts["s6.other"] = "\n".join(NASTY)
    html = pandoc(render_markdown(draft))
    for tag in ("<script", "<del", "<em", "<code", "<li", "<blockquote", "<hr", "footnote", "checkbox", "<img", "<div"):
        assert tag not in html
    assert html.count("<h1") == 1 and html.count("<h2") == len(TEMPLATE.sections)
    assert ":smile:" in html and "😄" not in html
