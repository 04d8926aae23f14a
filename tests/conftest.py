from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SEED = SAMPLES / "yuzhong-emergency-2024.toml"
BLANK = SAMPLES / "blank.toml"


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    target = tmp_path / "seed.toml"
    shutil.copy(SEED, target)
    return target


@pytest.fixture(autouse=True)
def _private_config(tmp_path_factory, monkeypatch):
    """The recent-drafts list goes to a temporary folder, never the developer's home."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))
