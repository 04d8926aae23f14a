"""Attack classes 8, 13, 14, 15: side files that are FIFOs, symlinked drafts, permissions,
and `recover --discard` in a read-only folder."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.store import lock
from nianbao.store.draft import load_draft, save_draft
from nianbao.store.recovery import recovery_files, recovery_path, write_recovery
from tests.conftest import SEED


def run(*args, timeout=30, **kw):
    return subprocess.run([sys.executable, "-m", "nianbao", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL, **kw)


@pytest.fixture
def draft(tmp_path) -> Path:
    target = tmp_path / "d.toml"
    shutil.copy(SEED, target)
    return target


def mode(p: Path) -> int:
    return stat.S_IMODE(os.lstat(p).st_mode)


# ---------------------------------------------------------------- 8: FIFOs never block


def test_a_fifo_lock_does_not_block(draft):
    os.mkfifo(lock.lock_path(draft))
    assert lock.read_lock(draft) is None
    held = lock.acquire(draft)  # the FIFO is garbage: replaced by a real lock
    assert held.acquired and stat.S_ISREG(os.lstat(lock.lock_path(draft)).st_mode)
    held.release()


def test_recover_with_a_fifo_lock_and_a_fifo_recovery_file(draft):
    os.mkfifo(lock.lock_path(draft))
    os.mkfifo(recovery_path(draft))
    for extra in ([], ["--apply"], ["--discard"]):
        r = run("recover", draft, *extra, timeout=20)
        assert "Traceback" not in r.stderr


def test_a_fifo_as_the_draft_is_refused_at_once(tmp_path):
    fifo = tmp_path / "d.toml"
    os.mkfifo(fifo)
    r = run("check", fifo, timeout=20)
    assert r.returncode == 2 and "普通文件" in r.stderr


# ---------------------------------------------------------------- 13: symlinks


def test_saving_through_a_link_updates_the_real_file_and_keeps_the_link(draft, tmp_path):
    link = tmp_path / "link.toml"
    link.symlink_to(draft)
    d = load_draft(link)
    d.meta["org_name"] = "链接测试局"
    save_draft(d, link)
    assert link.is_symlink()
    assert load_draft(draft).org_name == "链接测试局"


def test_a_draft_by_two_names_has_one_lock(draft, tmp_path, other_nianbao):
    link = tmp_path / "link.toml"
    link.symlink_to(draft)
    assert lock.lock_path(link) == lock.lock_path(draft)
    other_nianbao.holds(draft)
    with pytest.raises(lock.DraftLocked):
        lock.acquire(link)


def test_a_planted_recovery_link_is_not_offered_and_not_followed(draft, tmp_path):
    victim = tmp_path / "someone-else.toml"
    shutil.copy(SEED, victim)
    os.chmod(victim, 0o644)
    before = victim.read_bytes()
    recovery_path(draft).symlink_to(victim)
    assert recovery_files(draft) == []
    os.chmod(draft, 0o600)
    write_recovery(load_draft(draft), draft)
    assert victim.read_bytes() == before and mode(victim) == 0o644  # untouched
    rec = recovery_path(draft)
    assert not rec.is_symlink() and mode(rec) == 0o600


# ---------------------------------------------------------------- 14: permissions


def test_side_files_are_never_wider_than_the_draft(draft, tmp_path):
    os.chmod(draft, 0o600)
    write_recovery(load_draft(draft), draft)
    assert mode(recovery_path(draft)) == 0o600
    held = lock.acquire(draft)
    assert mode(lock.lock_path(draft)) & 0o077 == 0
    held.release()
    out = tmp_path / "r.md"
    assert run("render", draft, "-o", out).returncode == 0
    assert mode(out) == 0o600


def test_new_files_respect_the_umask(tmp_path):
    code = ("import os, sys; os.umask(0o077); from nianbao.cli.main import main; sys.exit(main(sys.argv[1:]))")
    d = tmp_path / "n.toml"
    r = subprocess.run([sys.executable, "-c", code, "new", str(d), "--org", "甲局", "--year", "2025", "--no-open"],
                       capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert mode(d) == 0o600
    os.chmod(d, 0o644)  # render -o takes the draft's mode, within the umask
    r = subprocess.run([sys.executable, "-c", code, "render", "--force", str(d), "-o", str(tmp_path / "o.md")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and mode(tmp_path / "o.md") == 0o600
    r = subprocess.run([sys.executable, "-c", code, "total", str(tmp_path / "t.toml"), str(SEED)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert mode(tmp_path / "t.toml") == 0o600


# ---------------------------------------------------------------- 15: recover --discard tells the truth


@pytest.mark.skipif(os.geteuid() == 0, reason="root may delete in a read-only folder")
def test_discard_in_a_read_only_folder_reports_failure(draft):
    write_recovery(load_draft(draft), draft)
    folder = draft.parent
    os.chmod(folder, 0o555)
    try:
        r = run("recover", draft, "--discard")
    finally:
        os.chmod(folder, 0o755)
    assert r.returncode == 2
    assert "无法删除" in r.stderr and recovery_path(draft).exists()


def test_discard_that_cannot_delete_reports_failure_in_process(draft, monkeypatch, capsys):
    """The same as above for any user (root can delete in a read-only folder)."""
    import argparse

    from nianbao.cli.recover_cmd import run as recover_command

    write_recovery(load_draft(draft), draft)
    real_unlink = Path.unlink

    def refuse(self, *a, **kw):
        if self.name.endswith(".recover"):
            raise PermissionError(13, "Permission denied")
        return real_unlink(self, *a, **kw)

    monkeypatch.setattr(Path, "unlink", refuse)
    code = recover_command(argparse.Namespace(draft=str(draft), apply=False, discard=True))
    assert code == 2
    assert "无法删除" in capsys.readouterr().err and recovery_path(draft).exists()
