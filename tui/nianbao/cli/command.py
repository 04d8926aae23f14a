"""What a sub-command of `nianbao` is, and the helpers every sub-command shares.

A sub-command is a module `nianbao/cli/<name>_cmd.py` defining `COMMAND = SubCommand(...)`;
registering it is one line in `COMMANDS` in `nianbao/cli/main.py` (see CONTRIBUTING.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class SubCommand:
    name: str  # as typed: `nianbao NAME …`
    summary: str  # one line (Chinese) for `nianbao --help`
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]  # returns the exit code (nianbao.errors)
    description: str = ""  # for `nianbao NAME --help`; the summary when empty
    epilog: str = ""


def err(message: str) -> None:
    """A message for the clerk on stderr, prefixed like every nianbao message."""
    print(f"nianbao:{message}", file=sys.stderr)


def open_app(path: str | None) -> int:
    """Open the terminal app (the only place the CLI imports it)."""
    from nianbao.app.main import run_app

    return run_app(path)
