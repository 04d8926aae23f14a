"""Reusable widgets of the nianbao terminal app."""

from .table_grid import TableGrid

__all__ = ["TableGrid"]
