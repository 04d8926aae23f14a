"""Workarounds for Textual 8.2 behaviour that would crash the app on ordinary key presses.

Each is small, guarded, and named after what it prevents; remove it when Textual fixes it.
"""

from __future__ import annotations

from textual import work
from textual.command import CommandPalette
from textual.css.query import NoMatches
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


class SafeCommandPalette(CommandPalette):
    """The command palette, minus a crash: its search worker queries the command list, which
    is gone when the palette closed (or not there yet when it opened) in the same burst of keys
    (NoMatches -> WorkerFailed ends the app in Textual 8.2). The search then just stops."""

    @work(exclusive=True, group=CommandPalette._GATHER_COMMANDS_GROUP)
    async def _gather_commands(self, search_value: str) -> None:
        try:
            await CommandPalette._gather_commands.__wrapped__(self, search_value)
        except NoMatches:
            pass
