"""What the CLI writes to a terminal: never raw control characters, never an encoding crash,
and a reader that goes away (`check … | head`) costs nothing but the rest of the output."""

from __future__ import annotations

import os
import re
import sys
from typing import Any, TextIO, cast

from nianbao.errors import printable

# JSON escapes C0 itself; C1, DEL and the line/bidi controls would reach the terminal raw.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class PrintableStream:
    """stdout/stderr as the CLI writes to them: control characters from a file's content or name
    are shown as escapes (errors.printable), never sent to the terminal. Rich output goes to the
    raw stream (`raw_stream`) with every value made printable first."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        return int(self.raw.write(printable(text)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.raw, name)


def raw_stream(stream: Any) -> Any:
    return stream.raw if isinstance(stream, PrintableStream) else stream


def prepare_streams() -> tuple[Any, Any]:
    """Never die on an encoding (a GBK or ASCII terminal, LANG=C): what cannot be encoded is
    written as an escape. Returns the streams to put back."""
    saved = (sys.stdout, sys.stderr)
    for stream in saved:
        try:
            raw_stream(stream).reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError, OSError):
            pass
    sys.stdout = cast(TextIO, PrintableStream(raw_stream(sys.stdout)))
    sys.stderr = cast(TextIO, PrintableStream(raw_stream(sys.stderr)))
    return saved


def silence_stdout() -> None:
    """The reader of a pipe went away: drop the rest of the output, and let the interpreter's
    last flush find nothing to complain about ("Exception ignored")."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, raw_stream(sys.stdout).fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def needs_terminal() -> str:
    """Why the app cannot start here ("" if it can): without a terminal it would write escape
    codes into a file and wait for keys that never come, holding the draft's lock."""
    try:
        if sys.stdin.isatty() and raw_stream(sys.stdout).isatty():
            return ""
    except (AttributeError, ValueError, OSError):
        pass
    return "填写界面需要在终端中运行(标准输入或输出不是终端)。检查草稿请用 nianbao check 草稿.toml,导出请用 nianbao render"


def json_safe(text: str) -> str:
    """JSON text with the characters a terminal would act on written as \\u escapes."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
