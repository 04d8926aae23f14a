"""Errors the user may see. Every message is Chinese and names the place it concerns."""

from __future__ import annotations

# Exit codes scripts can rely on (documented in the README).
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2


def printable(text: str) -> str:
    """Text safe to print on a clerk's terminal: control characters (from a file's content,
    e.g. escape sequences) are shown as escapes instead of being sent to the terminal."""
    return "".join(ch if ch in "\n\t" or (ch.isprintable() or ch == " ") else ascii(ch)[1:-1] for ch in text)


class NianbaoError(Exception):
    """An expected failure with a message fit to show a clerk; never a traceback."""

    exit_code = EXIT_UNUSABLE

    def __init__(self, message: str):
        message = printable(message)
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class TemplateError(NianbaoError):
    """A template file is malformed; the message names the file and the place."""
