"""The web page export: one self-contained file, and every figure under its row and column labels."""

from __future__ import annotations

import re
import shutil
import subprocess
from decimal import Decimal

import pytest

from nianbao.engine.html_report import render_html
from nianbao.engine.layout import shown_values
from nianbao.report.template import load_template, parse_template
from nianbao.store.draft import load_draft, new_draft
from tests.export_helpers import ROOT, PageTables, expand, labels_above, labels_left, samples, with_closing
from tests.test_render import NASTY, OTHER

TEMPLATE = load_template()


def parse(page: str) -> PageTables:
    p = PageTables()
    p.feed(page)
    p.close()
    return p


def assert_values_under_labels(draft, page: str) -> None:
    """Every cell of every table holds the draft's figure, under the template's row and column path."""
    template = draft.template
    values = shown_values(draft)
    tables = {t["attrs"]["data-table"]: t for t in parse(page).tables}
    order = [tid for s in template.sections for tid in s.tables]
    assert list(tables) == order
    for tid in order:
        table = template.tables[tid]
        grid = expand([cells for _part, _i, cells in tables[tid]["rows"]])
        seen = set()
        for r, row in enumerate(grid):
            for c, cell in enumerate(row):
                if cell["tag"] != "td" or id(cell) in seen:
                    continue
                seen.add(id(cell))
                t, rid, cid = cell["attrs"]["data-cell"].split(".")
                assert t == tid
                col, trow = table.column_by_id[cid], table.row_by_id[rid]
                assert labels_above(grid, r, c) == [*col.group, col.label]
                if table.row_labels:
                    left = labels_left(grid, r, c)
                    corner_free = [x for x in left]
                    assert corner_free == [*trow.group, trow.label]
                assert cell["text"] == values[(tid, rid, cid)]
        assert len(seen) == len(table.cells)


@pytest.mark.parametrize("draft", samples(), ids=lambda d: d.org_name or "blank")
def test_every_sample_page_holds_every_figure(draft):
    page = render_html(draft)
    assert_values_under_labels(draft, page)


def test_the_page_is_self_contained_and_scriptless():
    draft = load_draft(ROOT / "samples" / "yuzhong-emergency-2024.toml")
    draft.texts["s6.other"] = "\n".join(NASTY)
    draft.meta["org_name"] = '<img src=x onerror="alert(1)">某局\n::: {onclick="alert(1)"}'
    page = render_html(draft)
    parsed = parse(page)
    names = {tag for tag, _ in parsed.tags}
    assert "script" not in names and "img" not in names and "link" not in names and "iframe" not in names
    for tag, attrs in parsed.tags:
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        assert "src" not in attrs and "href" not in attrs
    assert not re.search(r"url\(|@import|https?://", page.split("</style>")[0])
    assert "<style>" in page and page.startswith("<!DOCTYPE html>")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_table_two_is_one_table_of_blocks():
    draft = load_draft(ROOT / "samples" / "yuzhong-emergency-2024.toml")
    t2 = next(t for t in parse(render_html(draft)).tables if t["attrs"]["data-table"] == "t2")
    assert [p for p, _ in t2["parts"]] == ["tbody"] * 4
    titles = [cells[0] for _p, _i, cells in t2["rows"] if "block-title" in cells[0]["attrs"].get("class", "")]
    assert [c["text"] for c in titles] == [b.title for b in TEMPLATE.tables["t2"].blocks]
    assert {c["colspan"] for c in titles} == {4}
    licensing = next(cells for _p, _i, cells in t2["rows"] if cells[0]["text"] == "行政许可")
    assert [c["colspan"] for c in licensing] == [1, 3] and licensing[1]["text"] == "40"


def test_merged_headers_of_table_three():
    draft = load_draft(ROOT / "samples" / "yuzhong-emergency-2024.toml")
    t3 = next(t for t in parse(render_html(draft)).tables if t["attrs"]["data-table"] == "t3")
    assert [p for p, _ in t3["parts"]] == ["thead", "tbody"]
    spans = {c["text"]: (c["rowspan"], c["colspan"]) for _p, _i, cells in t3["rows"] for c in cells}
    assert spans[TEMPLATE.tables["t3"].corner] == (3, 3)
    assert spans["申请人情况"] == (1, 7) and spans["法人或其他组织"] == (1, 5)
    assert spans["三、本年度办理结果"] == (22, 1) and spans["(三)不予公开"] == (8, 1)
    head = [cells for part, _i, cells in t3["rows"] if part == "thead"]
    assert len(head) == 3 and all(c["tag"] == "th" for row in head for c in row)


def test_blank_totals_stay_blank():
    draft = new_draft(TEMPLATE, "某局", 2024)
    draft.set_value(("t3", "new", "natural"), 3)
    page = render_html(draft)
    assert '<td data-cell="t3.new.total" class="total"></td>' in page
    assert '<td data-cell="t3.total.natural" class="total"></td>' in page
    assert '<td data-cell="t3.new.natural">3</td>' in page
    for cid in ("business", "research", "nonprofit", "legal", "other_org"):
        draft.set_value(("t3", "new", cid), 1)
    assert '<td data-cell="t3.new.total" class="total">8</td>' in render_html(draft)


def test_closing_lines_and_their_absence():
    draft = with_closing(load_draft(ROOT / "samples" / "yuzhong-emergency-2024.toml"))
    page = render_html(draft)
    closing = page.split('<div class="closing">')[1].split("</div>")[0]
    assert "<p class=\"closing-left\">联系方式:本机关办公室,电话 010-0000 0000</p>" in closing
    assert '<p class="closing-right">渝中区应急管理局</p>' in closing
    assert '<p class="closing-right">2025年1月20日</p>' in closing
    draft.meta["contact"] = ""
    assert "联系方式" not in render_html(draft)


def test_phone_and_print_styles():
    page = render_html(load_draft(ROOT / "samples" / "yuzhong-emergency-2024.toml"))
    assert "overflow-x: auto" in page and "@media print" in page and "@media (max-width" in page
    assert 'name="viewport"' in page
    assert page.count('<div class="table-box">') == 3


def test_another_template_renders():
    other = parse_template(OTHER, "demo.toml")
    draft = new_draft(other, "某<机关>", 2030)
    draft.set_value(("x", "u", "p"), 7)
    draft.set_value(("y", "only", "m"), Decimal("3.5"))
    page = render_html(draft)
    assert_values_under_labels(draft, page)
    assert "<caption>表 x</caption>" in page and "某&lt;机关&gt;的2030年度小结" in page


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
@pytest.mark.parametrize("width", [390, 1280])
def test_chromium_draws_the_page(tmp_path, width):
    page = tmp_path / "r.html"
    page.write_text(render_html(load_draft(ROOT / "samples" / "yuzhong-emergency-2024.toml")), encoding="utf-8")
    shot = tmp_path / "r.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--window-size={width},2400",
                    f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 10_000
