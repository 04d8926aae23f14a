"""The wheel installs the `nianbao` package only (PyPI has an unrelated `tui`), with its
templates inside it and the LICENSE in its metadata."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

from .conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    # pip fetches the build backend (hatchling) into an isolated build environment
    r = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    built = list(out.glob("nianbao-*.whl"))
    if r.returncode != 0 or not built:
        pytest.skip(f"cannot build the wheel here (pip or the build backend unavailable offline): {r.stderr[-300:]}")
    return zipfile.ZipFile(built[0])


def test_the_only_top_level_package_is_nianbao(wheel):
    names = wheel.namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"nianbao"}
    assert "nianbao/__init__.py" in names and "nianbao/__main__.py" in names
    assert not any(n.startswith(("tui/", "schema/", "tests/")) for n in names)


def test_the_wheel_carries_the_templates_and_the_license(wheel):
    names = wheel.namelist()
    assert any(n.startswith("nianbao/_schema/") and n.endswith(".toml") for n in names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = wheel.read(metadata).decode("utf-8")
    assert "License-Expression: MIT" in text and "Requires-Dist: tomlkit" in text
    entry = wheel.read(next(n for n in names if n.endswith("entry_points.txt"))).decode("utf-8")
    assert "nianbao = nianbao.cli:main" in entry
