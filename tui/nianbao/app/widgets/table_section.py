"""A table section: the grid, and a line that shows the full label and help of the cursor cell."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from nianbao.app.widgets.table_grid import TableGrid
from nianbao.report.template import Section, Template


class TablePane(Vertical):
    def __init__(self, section: Section, template: Template, values, **kwargs):
        super().__init__(**kwargs)
        self.section = section
        self.template = template
        self.values = values

    def compose(self) -> ComposeResult:
        yield Static(self.section.heading, classes="pane-title")
        for tid in self.section.tables:
            yield TableGrid(self.template.tables[tid], self.values, id=f"grid-{tid}")
        yield Static("", classes="cell-help", id=f"help-{self.section.id}")

    @property
    def grids(self) -> list[TableGrid]:
        return list(self.query(TableGrid))

    def grid_for(self, table_id: str) -> TableGrid | None:
        for g in self.grids:
            if g.table.id == table_id:
                return g
        return None

    def on_table_grid_cursor_moved(self, event: TableGrid.CursorMoved) -> None:
        """The grid shows the cell's labels; this line adds what the template says about it."""
        tid, rid, cid = event.key
        table = self.template.tables[tid]
        row, col = table.row_by_id[rid], table.column_by_id[cid]
        notes = []
        if table.is_derived(rid, cid):
            notes.append("总计由程序计算")
        elif col.type == "amount":
            notes.append(f"单位:{col.unit},最多 {col.places} 位小数")
        if row.help:
            notes.append(row.help)
        self.query_one(f"#help-{self.section.id}", Static).update(" · ".join(notes))
