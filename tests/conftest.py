from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Subprocesses (`python -m nianbao`) import this checkout's source, whatever is installed.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT / "tui"), os.environ.get("PYTHONPATH")) if p)
SAMPLES = ROOT / "samples"
SEED = SAMPLES / "yuzhong-emergency-2024.toml"
BLANK = SAMPLES / "blank.toml"
SCHEMA = ROOT / "schema" / "gov-info-disclosure-2021.toml"


@pytest.fixture
def seed_copy(tmp_path: Path) -> Path:
    target = tmp_path / "seed.toml"
    shutil.copy(SEED, target)
    return target


@pytest.fixture(autouse=True)
def _private_config(tmp_path_factory, monkeypatch):
    """The recent-drafts list goes to a temporary folder, never the developer's home."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("config")))


class OtherNianbao:
    """A live process on this machine standing in for another running nianbao."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        self.pid = self.proc.pid

    def holds(self, path: Path, user: str = "wang") -> None:
        """Write its lock beside the draft, as nianbao would."""
        from nianbao.store.lock import lock_path

        lock_path(path).write_text(
            json.dumps({"pid": self.pid, "host": socket.gethostname(), "user": user,
                        "started": "2025-01-20T09:00:00+08:00", "token": "x"}),
            encoding="utf-8",
        )

    def quit(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def other_nianbao():
    other = OtherNianbao()
    yield other
    other.quit()


@pytest.fixture(scope="module")
def base() -> dict:
    """The real template as parsed TOML; tests deep-copy it before mutating."""
    return tomllib.loads(SCHEMA.read_text(encoding="utf-8"))


def with_rule(base: dict, **rule) -> dict:
    """The template data with one more rule (a harmless one unless `rule` says otherwise)."""
    data = copy.deepcopy(base)
    data["rules"].append({"id": "EVIL", "severity": "warning", "check": "1 == 1", "message": "m", **rule})
    return data
