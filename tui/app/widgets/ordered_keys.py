"""Text fields whose editing keys take effect in the order they were typed.

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
from textual.widgets import Input


class OrderedKeys:
    """Mix in before a Textual text widget (`class X(OrderedKeys, TextArea)`)."""

    # Left to Textual's own timing: run straight after a paste in the same burst, TextArea's
    # undo raised "document line index out of bounds" from its soft-wrap bookkeeping (fuzz).
    UNORDERED_ACTIONS = frozenset({"undo", "redo"})

    async def _on_key(self, event: events.Key) -> None:
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
        await super()._on_key(event)


class OrderedInput(OrderedKeys, Input):
    """An Input whose editing keys apply in the order typed."""
