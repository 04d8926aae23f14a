"""Errors the user may see. Every message is Chinese and names the place it concerns."""

from __future__ import annotations

# Exit codes scripts can rely on (documented in the README).
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2


class NianbaoError(Exception):
    """An expected failure with a message fit to show a clerk; never a traceback."""

    exit_code = EXIT_UNUSABLE

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class TemplateError(NianbaoError):
    """A template file is malformed; the message names the file and the place."""
