"""The core must never import Textual: only tui/app/ may (harlequin's rule)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import tui

CORE = sorted(
    m.name
    for m in pkgutil.walk_packages(tui.__path__, "tui.")
    if not m.name.startswith("tui.app") and not m.name.startswith("tui._schema")
)


def test_core_modules_found():
    assert {"tui.template", "tui.draft", "tui.checks", "tui.render", "tui.cli", "tui.expr.compiler"} <= set(CORE)


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_not_import_textual(module):
    code = f"import sys, {module}; sys.exit(1 if any(m == 'textual' or m.startswith('textual.') for m in sys.modules) else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parent)
    assert result.returncode == 0, f"{module} imports textual\n{result.stderr}"
