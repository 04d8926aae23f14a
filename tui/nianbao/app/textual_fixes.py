"""Workarounds for Textual 8.2 behaviour that would crash the app on ordinary key presses.

Each is small, guarded, and named after what it prevents; remove it when Textual fixes it.
"""

from __future__ import annotations

from rich.console import Console
from rich.segment import Segment
from textual import work
from textual.command import CommandPalette
from textual.css.query import NoMatches
from textual.strip import Strip
from textual.widgets import OptionList

from nianbao.errors import without_controls

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


_strip_render = Strip.render


def _render_without_controls(self: Strip, console: Console) -> str:
    # Everything the app draws passes here on its way to the terminal: an org name, a narrative,
    # a file name holding ESC ] 52 (a clipboard write) or \x9b would otherwise reach the terminal
    # as a command. Control characters take no cell, so removing them keeps the layout.
    if self._render_cache is None:
        segments = self._segments
        if any(without_controls(text) is not text for text, _, _ in segments):
            self._segments = [Segment(without_controls(t), s, c) for t, s, c in segments]
    return _strip_render(self, console)


Strip.render = _render_without_controls  # type: ignore[method-assign]
