"""The core must never import Textual: only nianbao/app/ may (harlequin's rule)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import nianbao

CORE = sorted(
    m.name
    for m in pkgutil.walk_packages(nianbao.__path__, "nianbao.")
    if not m.name.startswith(("nianbao.app", "nianbao._schema")) and m.name != "nianbao.__main__"
)


def test_core_modules_found():
    assert {"nianbao.report.template", "nianbao.store.draft", "nianbao.engine.checks", "nianbao.engine.render", "nianbao.cli.main", "nianbao.report.expr.compiler"} <= set(CORE)


@pytest.mark.parametrize("module", CORE)
def test_core_module_does_not_import_textual(module):
    code = f"import sys, {module}; sys.exit(1 if any(m == 'textual' or m.startswith('textual.') for m in sys.modules) else 0)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parent)
    assert result.returncode == 0, f"{module} imports textual\n{result.stderr}"
