"""Reading nianbao's exports back, independently of the writers: HTML tables as label grids,
and what each value cell should sit under according to the template alone."""

from __future__ import annotations

import datetime as dt
from html.parser import HTMLParser
from pathlib import Path

from nianbao.store.draft import Draft, load_draft

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_FILES = sorted((ROOT / "samples").glob("*.toml"))


def samples() -> list[Draft]:
    return [load_draft(p) for p in SAMPLE_FILES]


def with_closing(draft: Draft) -> Draft:
    draft.meta["contact"] = "本机关办公室,电话 010-0000 0000"
    draft.meta["publish_date"] = dt.date(2025, 1, 20)
    return draft


class PageTables(HTMLParser):
    """Every <table> of a page: its rows, each (part, [cells]); a cell is a dict of tag, attrs, text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[dict] = []
        self.tags: list[tuple[str, dict]] = []
        self._part = ""
        self._cell: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table":
            self.tables.append({"attrs": a, "rows": [], "parts": []})
        elif tag in ("thead", "tbody"):
            self._part = tag
            self.tables[-1]["parts"].append((tag, a))
        elif tag == "tr":
            self.tables[-1]["rows"].append((self._part, len(self.tables[-1]["parts"]) - 1, []))
        elif tag in ("th", "td"):
            self._cell = {"tag": tag, "attrs": a, "text": "",
                          "rowspan": int(a.get("rowspan") or 1), "colspan": int(a.get("colspan") or 1)}

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self.tables[-1]["rows"][-1][2].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data


def expand(rows: list[list[dict]]) -> list[list[dict]]:
    """Grid positions of a table's cells: a spanned cell fills every position it covers."""
    out: list[dict[int, dict]] = [{} for _ in rows]
    for r, row in enumerate(rows):
        c = 0
        for cell in row:
            while c in out[r]:
                c += 1
            for dr in range(cell["rowspan"]):
                for dc in range(cell["colspan"]):
                    if r + dr < len(out):
                        out[r + dr][c + dc] = cell
            c += cell["colspan"]
    return [[row[i] for i in sorted(row)] for row in out]


def labels_above(grid: list[list[dict]], r: int, c: int) -> list[str]:
    """The column header texts above grid position (r, c), nearest block only, outermost first."""
    out: list[str] = []
    i = r - 1
    while i >= 0 and grid[i][c]["tag"] == "td":
        i -= 1  # data rows of the same block
    while i >= 0 and grid[i][c]["tag"] == "th" and "block-title" not in grid[i][c]["attrs"].get("class", ""):
        cell = grid[i][c]
        if not out or out[0] is not cell:
            out.insert(0, cell)
        i -= 1
    return [cell["text"] for cell in out]


def labels_left(grid: list[list[dict]], r: int, c: int) -> list[str]:
    out: list[dict] = []
    for cell in grid[r][:c]:
        if cell["tag"] == "th" and (not out or out[-1] is not cell):
            out.append(cell)
    return [cell["text"] for cell in out]
