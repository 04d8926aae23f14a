"""The `nianbao` command: argument parsing and the sub-commands (UI-free except `run_app`)."""

from nianbao.cli.main import main

__all__ = ["main"]
