"""Markdown that stays text under pandoc's readers (markdown, commonmark_x, gfm): hostile
narrative, org names and contacts never become divs, spans, lists or event-handler attributes."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser

import pytest

from nianbao.engine.render import escape_line, render_markdown
from nianbao.report.template import load_template
from nianbao.store.draft import new_draft
from tests.test_render import NASTY, md, outline

PANDOC = shutil.which("pandoc")
READERS = ("markdown", "commonmark_x", "gfm")
TEMPLATE = load_template()

HOSTILE = [
    '::: {onclick="alert(1)" .x}',
    ":::: warning",
    "文字 {onclick=alert(1)}",
    "[点这里]{onclick=alert(1)}",
    "`x`{=html}",
    "**粗**{#id onmouseover=alert(1)}",
    "术语",
    ": 定义 {onclick=alert(1)}",
    "~ 另一种定义",
    "(@) 例子列表",
    "(1) 半角括号编号",
    "a. 字母编号",
    "B) 字母编号",
    "iv. 罗马数字编号",
    "#. 自动编号",
    "^上标^ 和 ~下标~ 和 ^[脚注]",
    "@引用 和 [@cite]",
    "Table: 表格标题",
    "% 标题块",
    "<div onclick=alert(1)>x</div>",
    "<span onmouseover=alert(1)>x</span>",
    "\\begin{document} $x$ $$y$$",
    "| 行块",
    "+---+---+",
    "---",
    "[ref]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![图](javascript:alert(1)){onerror=alert(1)}",
    "```{=html}",
    "{.class onclick=alert(1)}",
]

# What the body of a converted report may contain: its own structure, nothing from the text.
ALLOWED_TAGS = {"h1", "h2", "h3", "p", "strong", "hr", "table", "thead", "tbody", "tr", "th", "td",
                "colgroup", "col", "br"}
ALLOWED_ATTRS = {"id", "class", "style", "rowspan", "colspan", "align", "width"}


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def hostile_draft():
    draft = new_draft(TEMPLATE, "某局\n::: {onclick=\"alert(1)\"}\n", 2024)
    draft.meta["contact"] = "电话 {onclick=alert(1)}\n: 定义"
    for i, f in enumerate(TEMPLATE.fields):
        draft.texts[f.key] = "\n".join(HOSTILE[i:] + HOSTILE[:i] + NASTY)
    return draft


def pandoc(markdown: str, reader: str) -> str:
    done = subprocess.run([PANDOC, "-f", reader, "-t", "html"], input=markdown, capture_output=True,
                          text=True, encoding="utf-8", timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(PANDOC is None, reason="pandoc is not installed")
@pytest.mark.parametrize("tables", ["pipe", "html"])
@pytest.mark.parametrize("reader", READERS)
def test_pandoc_readers_keep_hostile_text_literal(reader, tables):
    out = pandoc(render_markdown(hostile_draft(), tables=tables), reader)
    parsed = _Tags()
    parsed.feed(out)
    for tag, attrs in parsed.tags:
        if tag == "a" and reader == "gfm":  # gfm links a bare http:// URL typed in the text; nothing else
            assert set(attrs) == {"href"} and attrs["href"].startswith(("http://", "https://")), attrs
            continue
        assert tag in ALLOWED_TAGS, (reader, tag, attrs)
        assert set(attrs) <= ALLOWED_ATTRS, (reader, tag, attrs)
        assert not any(k.startswith("on") for k in attrs)
    text = "".join(parsed.text)
    for word in ("onclick=alert(1)", "(@) 例子列表", "^上标^", "@引用", "Table: 表格标题", "::: {onclick="):
        assert word in text.replace("\u201c", '"').replace("\u201d", '"'), (reader, word)
    h2 = [t for t, _ in parsed.tags if t == "h2"]
    assert len(h2) == len(TEMPLATE.sections)


@pytest.mark.parametrize("line", HOSTILE)
def test_hostile_line_is_one_literal_paragraph_in_commonmark(line):
    assert outline(escape_line(line)) == [("p", line.strip())]
    parsed = _Tags()
    parsed.feed(md().render(escape_line(line)))
    assert [t for t, _ in parsed.tags] == ["p"] and parsed.tags[0][1] == {}


def test_org_name_with_newline_stays_on_its_line():
    out = render_markdown(hostile_draft())
    assert out.startswith('# 某局 ::: \\{onclick="alert(1)"\\}2024年')  # a mid-line ::: is no fence
    assert "\n:::" not in out and "\n{" not in out and "\n: " not in out
