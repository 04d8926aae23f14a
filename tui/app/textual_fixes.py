"""Workarounds for Textual 8.2 behaviour that would crash the app on ordinary key presses.

Each is small, guarded, and named after what it prevents; remove it when Textual fixes it.
"""

from __future__ import annotations

from textual.widgets import OptionList

_move_page = OptionList._move_page


def _safe_move_page(self, direction) -> None:
    # PageUp/PageDown reaching an OptionList before its lines are laid out (e.g. Ctrl+P then
    # PageDown in one burst) raises KeyError in Textual 8.2; a page move then does nothing.
    try:
        _move_page(self, direction)
    except (KeyError, IndexError):
        pass


OptionList._move_page = _safe_move_page
