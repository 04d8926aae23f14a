"""Keys take effect in the order they were typed, also across focus changes.

Textual runs a widget's key bindings (Backspace, Ctrl+U, Home, arrows…) through the app's
binding machinery, after the key has bubbled, while printable characters go into the field at
once. Keys arriving in one burst (a fast typist, a paste through tmux, a slow SSH link) can then
be applied out of order: "Ctrl+U a b c" ends with an empty field, "ab Backspace c" with "abc".
The table grid avoids this by handling its keys itself; `OrderedKeys` does the same for a text
widget's own bindings. (The screen's and app's priority bindings, F2 and the like, are taken
before a key reaches the widget and are not affected.)
"""

from __future__ import annotations

import inspect

from textual import events
from textual.actions import SkipAction, parse
from textual.widget import Widget
from textual.widgets import Input


def follow_focus(widget: Widget, event: events.Key) -> bool:
    """Pass on a key that was queued for `widget` before the focus moved on (a Tab, a section
    change or a dialog earlier in the same burst): it belongs where the focus is now. If the
    focus is between two places (a new section being laid out), it is delivered once it lands.
    True if the key was passed on."""
    app = widget.app
    if app.focused is widget:  # (not has_focus: that stays true under a dialog)
        return False
    event.stop()
    event.prevent_default()
    key = events.Key(event.key, event.character)

    def deliver() -> None:
        (app.focused or app.screen).post_message(key)

    if app.focused is not None:
        deliver()
    elif not getattr(app.screen, "hold_key", lambda k: False)(key):  # the screen keeps it, in order
        app.call_after_refresh(deliver)
    return True


def tab_moves_focus(widget: Widget, event: events.Key) -> bool:
    """Tab / Shift+Tab move the focus at once, not after the key has bubbled to the app: the
    letters typed after it in the same burst must go to the next field."""
    if event.key not in ("tab", "shift+tab"):
        return False
    event.stop()
    event.prevent_default()
    if event.key == "tab":
        widget.screen.focus_next()
    else:
        widget.screen.focus_previous()
    return True


class OrderedKeys:
    """Mix in before a Textual text widget (`class X(OrderedKeys, TextArea)`)."""

    # Left to Textual's own timing: run straight after a paste in the same burst, TextArea's
    # undo raised "document line index out of bounds" from its soft-wrap bookkeeping (fuzz).
    UNORDERED_ACTIONS = frozenset({"undo", "redo"})

    async def _on_key(self, event: events.Key) -> None:
        if follow_focus(self, event):
            return
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            _, name, params = parse(binding.action)
            if name in self.UNORDERED_ACTIONS:
                break
            method = getattr(self, f"action_{name}", None)
            if method is None or self.check_action(name, params) is False:
                continue
            try:
                result = method(*params)
                if inspect.isawaitable(result):
                    await result
            except SkipAction:
                continue  # e.g. ← at the start of the field: the key goes on to the screen
            event.stop()
            event.prevent_default()
            return
        if getattr(self, "tab_behavior", "focus") == "focus" and tab_moves_focus(self, event):
            return
        await super()._on_key(event)


class OrderedInput(OrderedKeys, Input):
    """An Input whose editing keys apply in the order typed."""
