"""Typing for Pilot tests.

Pilot's press() sleeps in 20 ms steps after every key and cannot type some CJK punctuation
(it looks up '。' as "ideographic_full_stop" and loses the character). `type_keys` hands
each key event to the driver exactly as Pilot does, with the right character, and waits
for the app once at the end: what a fast typist or an input method produces.
"""

from __future__ import annotations

from textual import events
from textual.keys import _character_to_key

NAMED = {"\n": "enter", "\t": "tab", " ": "space"}


async def type_keys(pilot, text: str, *, then: tuple[str, ...] = ()) -> None:
    app = pilot.app
    for ch in text:
        key = NAMED.get(ch) or _character_to_key(ch)
        event = events.Key(key, ch if ch not in NAMED or ch == " " else None)
        event.set_sender(app)
        app._driver.send_message(event)
    await pilot.pause()
    if then:
        await pilot.press(*then)


def burst(app, *keys: str) -> None:
    """Named keys handed to the driver back to back, without waiting: what tmux send-keys, a
    paste without bracketing or a slow SSH link delivers. Let the app settle afterwards."""
    for key in keys:
        event = events.Key(key, key if len(key) == 1 else None)
        event.set_sender(app)
        app._driver.send_message(event)
