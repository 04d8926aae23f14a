"""Read the figures back out of a published report (Markdown, HTML or DOCX written by nianbao)
and compare them with a draft: ``nianbao verify PUBLISHED DRAFT.toml``.

Figures are found where the writers put them: in HTML by each ``<td data-cell="T.R.C">`` (or, in
a page without them, every ``<td>`` in reading order); in Markdown by the pipe tables' value
cells or the HTML tables' ``<td>``; in DOCX by the grid position the layout gives each value.
"""

from __future__ import annotations

import html
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from nianbao.engine.layout import ReportLayout, report_layout, value_order
from nianbao.engine.record import figures_digest, recorded_digest
from nianbao.errors import NianbaoError, os_reason
from nianbao.store.draft import Draft

CellKey = tuple[str, str, str]
MAX_PUBLISHED_BYTES = 50 * 1024 * 1024
FORMATS = {".md": "md", ".markdown": "md", ".txt": "md", ".html": "html", ".htm": "html", ".docx": "docx"}


class PublishedUnreadable(NianbaoError):
    """The published copy cannot be read as a nianbao report (exit 2)."""


@dataclass
class Published:
    figures: dict[CellKey, str]  # what the copy prints, by cell
    digest: str | None  # the digest in its validation record, if any
    missing: int = 0  # value cells the copy does not have


@dataclass
class Comparison:
    cells: int
    differences: list[tuple[CellKey, str, str]] = field(default_factory=list)  # (cell, published, draft)
    missing: int = 0
    record_digest: str | None = None
    draft_digest: str = ""
    published_digest: str = ""

    @property
    def matches(self) -> bool:
        if self.differences or self.missing:
            return False
        return self.record_digest is None or self.record_digest == self.draft_digest


def _clean(text: str) -> str:
    return " ".join(html.unescape(text).replace("\\", "").split())


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.keyed: dict[str, str] = {}
        self.ordered: list[str] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self._key: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "td":
            self._cell, self._key = [], dict(attrs).get("data-cell")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            text = _clean("".join(self._cell))
            self.ordered.append(text)
            if self._key:
                self.keyed[self._key] = text
            self._cell = self._key = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _by_order(order: list[CellKey], found: list[str]) -> Published:
    figures = dict(zip(order, found))
    return Published(figures, None, max(0, len(order) - len(found)))


def _from_html(text: str, layout: ReportLayout) -> Published:
    parser = _Cells()
    parser.feed(text)
    parser.close()
    order = value_order(layout)
    if parser.keyed:
        figures = {k: parser.keyed[".".join(k)] for k in order if ".".join(k) in parser.keyed}
        out = Published(figures, None, len(order) - len(figures))
    else:
        out = _by_order(order, parser.ordered)
    out.digest = recorded_digest(html.unescape("".join(parser.text)))
    return out


_SEPARATOR = re.compile(r"^\|(\s*:?-{3,}:?\s*\|)+\s*$")


def _pipe_cells(line: str) -> list[str]:
    cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
    return [_clean(c) for c in cells]


def _from_markdown(text: str, layout: ReportLayout) -> Published:
    if "<table" in text:
        return _from_html(text, layout)
    lines = text.splitlines()
    tables: list[list[list[str]]] = []
    for i, line in enumerate(lines):
        if _SEPARATOR.match(line) and i > 0 and lines[i - 1].startswith("|"):
            rows = []
            for data in lines[i + 1:]:
                if not data.startswith("|"):
                    break
                rows.append(_pipe_cells(data))
            tables.append(rows)
    found: list[str] = []
    blocks = [(t.table, b) for t in layout.tables for b in t.table.blocks]
    for rows, (table, block) in zip(tables, blocks):
        for row in rows:
            found += row[-len(block.columns):] if table.row_labels else row
    out = _by_order(value_order(layout), found)
    out.digest = recorded_digest(html.unescape(text.replace("\\", "")))
    return out


def _from_docx(path: Path, layout: ReportLayout) -> Published:
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    try:
        doc = Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError, OSError, SyntaxError) as exc:
        # SyntaxError: lxml's XMLSyntaxError for a damaged part inside the zip
        raise PublishedUnreadable(f"{path}:不是可以读取的 Word(.docx)文件({exc})") from None
    figures: dict[CellKey, str] = {}
    missing = 0
    for word, table in zip(doc.tables, layout.tables):
        for cell in table.value_cells:
            try:
                figures[cell.key] = _clean(word.cell(cell.row, cell.col).text)  # type: ignore[index]
            except IndexError:
                missing += 1
    missing += sum(len(t.value_cells) for t in layout.tables[len(doc.tables):])
    text = "\n".join(p.text for p in doc.paragraphs)
    return Published(figures, recorded_digest(text), missing)


def read_published(path: Path, draft: Draft) -> Published:
    """The figures of a published copy, located by the draft's template. Raises PublishedUnreadable."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise PublishedUnreadable(f"{path}:不认识的文件类型“{path.suffix}”,只能核对 .md、.html 或 .docx")
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise PublishedUnreadable(f"{path}:不是普通文件")
    except OSError as exc:
        raise PublishedUnreadable(f"{path}:无法读取({os_reason(exc)})") from None
    if size > MAX_PUBLISHED_BYTES:
        raise PublishedUnreadable(f"{path}:文件过大({size // 1024 // 1024} MB),不像是一份年报")
    layout = report_layout(draft)
    if kind == "docx":
        return _from_docx(path, layout)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise PublishedUnreadable(f"{path}:无法读取({os_reason(exc)})") from None
    except UnicodeDecodeError:
        raise PublishedUnreadable(f"{path}:不是 UTF-8 编码的文本") from None
    return _from_html(text, layout) if kind == "html" else _from_markdown(text, layout)


def compare(published: Published, draft: Draft) -> Comparison:
    layout = report_layout(draft)
    expected = layout.values
    order = value_order(layout)
    result = Comparison(
        cells=len(order),
        missing=published.missing,
        record_digest=published.digest,
        draft_digest=figures_digest(expected),
        published_digest=figures_digest({k: published.figures.get(k, "") for k in expected}),
    )
    for key in order:
        if key in published.figures and published.figures[key] != expected[key]:
            result.differences.append((key, published.figures[key], expected[key]))
    return result
