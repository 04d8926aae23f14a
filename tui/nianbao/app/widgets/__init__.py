"""Reusable widgets of the nianbao terminal app."""

from nianbao.app.widgets.table_grid import TableGrid

__all__ = ["TableGrid"]
