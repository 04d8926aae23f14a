"""A crash at any step of a save never loses the draft: the old or the new version is there, whole.

`nianbao.store.draft.atomic_write` writes a temporary file in the same folder, fsyncs it, renames it
over the draft and fsyncs the folder. Each step is broken here twice: in process (an
exception injected with monkeypatch, which also checks the clean-up) and for real (a child
process that SIGKILLs itself at that step, which leaves whatever a power cut would leave
behind, short of losing the page cache).
"""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from nianbao.store.draft import DraftError, dumps, load_draft, save_draft
from nianbao.store.recovery import load_recovery, recovery_path, write_recovery

from .conftest import ROOT, SEED

LONG = "主动公开信息。" * 20000  # makes the new file ~400 KB, so "half written" is real


class Crash(BaseException):
    """Stands for the process dying: not an OSError, so nothing handles it."""


def new_version(d):
    d.values[("t2", "licensing", "decisions")] = 41
    d.texts["s6.other"] = LONG
    return d


@pytest.fixture
def draft_path(tmp_path) -> Path:
    p = tmp_path / "年报.toml"
    p.write_bytes(SEED.read_bytes())
    return p


def leftovers(folder: Path, name: str) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != name)


def assert_whole(path: Path, old: bytes, new: bytes) -> str:
    """The draft is there and is exactly the old or the new version; which one."""
    assert path.is_file(), "the draft is missing"
    data = path.read_bytes()
    assert data, "the draft is empty"
    assert data in (old, new), f"the draft is neither version ({len(data)} bytes; old {len(old)}, new {len(new)})"
    load_draft(path)  # and it loads
    return "old" if data == old else "new"


# ---------------------------------------------------------------- injected exceptions


class HalfWriter:
    """A file object whose write() writes half of the data, flushes it, and then crashes."""

    def __init__(self, fh, exc: BaseException):
        self._fh, self._exc = fh, exc

    def write(self, data):
        self._fh.write(data[: len(data) // 2])
        self._fh.flush()
        raise self._exc

    def __getattr__(self, name):
        return getattr(self._fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._fh.close()


def inject(monkeypatch, point: str, exc: BaseException) -> None:
    """Make step `point` of atomic_write raise `exc`."""
    real_fsync, real_replace, real_open, real_fdopen = os.fsync, os.replace, os.open, os.fdopen
    fsyncs = []

    def raise_(*a, **k):
        raise exc

    if point == "mkstemp":
        monkeypatch.setattr(tempfile, "mkstemp", raise_)
    elif point == "write":
        monkeypatch.setattr(os, "fdopen", lambda fd, *a, **k: HalfWriter(real_fdopen(fd, *a, **k), exc))
    elif point in ("fsync", "after-fsync", "fsync-dir"):

        def fsync(fd):
            fsyncs.append(fd)
            first = len(fsyncs) == 1
            if point == "fsync" and first:
                raise exc
            real_fsync(fd)
            if (point == "after-fsync" and first) or (point == "fsync-dir" and not first):
                raise exc

        monkeypatch.setattr(os, "fsync", fsync)
    elif point == "chmod":
        monkeypatch.setattr(os, "chmod", raise_)
    elif point == "replace":
        monkeypatch.setattr(os, "replace", raise_)
    elif point == "after-replace":

        def replace(a, b):
            real_replace(a, b)
            raise exc

        monkeypatch.setattr(os, "replace", replace)
    elif point == "open-dir":

        def open_(p, flags, *a, **k):
            if flags == os.O_RDONLY and os.path.isdir(p):
                raise exc
            return real_open(p, flags, *a, **k)

        monkeypatch.setattr(os, "open", open_)
    else:
        raise AssertionError(point)


BEFORE_RENAME = ["mkstemp", "write", "fsync", "after-fsync", "chmod", "replace"]
AFTER_RENAME = ["after-replace", "open-dir", "fsync-dir"]


@pytest.mark.parametrize("point", BEFORE_RENAME + AFTER_RENAME)
def test_a_crash_at_each_step_leaves_old_or_new_whole(draft_path, monkeypatch, point):
    old = draft_path.read_bytes()
    d = new_version(load_draft(draft_path))
    new = dumps(d).encode("utf-8")
    inject(monkeypatch, point, Crash())
    with pytest.raises(Crash):  # save_draft(touch=False) keeps the stamp, so `new` is exact
        save_draft(d, draft_path, touch=False)
    monkeypatch.undo()
    which = assert_whole(draft_path, old, new)
    assert which == ("old" if point in BEFORE_RENAME else "new")
    # An exception (unlike a kill) lets atomic_write clean up: no temporary file is left.
    assert leftovers(draft_path.parent, draft_path.name) == []
    # And the next save works normally.
    save_draft(d, draft_path, touch=False)
    assert draft_path.read_bytes() == new


@pytest.mark.parametrize("point", BEFORE_RENAME + AFTER_RENAME)
def test_a_crash_while_writing_the_recovery_file_never_touches_the_draft(draft_path, monkeypatch, point):
    old = draft_path.read_bytes()
    d = new_version(load_draft(draft_path))
    write_recovery(load_draft(draft_path), draft_path)
    rec_old = recovery_path(draft_path).read_bytes()
    inject(monkeypatch, point, Crash())
    with pytest.raises(Crash):
        write_recovery(d, draft_path)
    monkeypatch.undo()
    assert draft_path.read_bytes() == old
    rec = recovery_path(draft_path).read_bytes()
    assert rec == rec_old if point in BEFORE_RENAME else rec == dumps(d).encode("utf-8")
    load_recovery(draft_path)


@pytest.mark.parametrize(
    ("point", "err", "message"),
    [
        ("write", OSError(errno.ENOSPC, "No space left on device"), "磁盘已满"),
        ("fsync", OSError(errno.EIO, "Input/output error"), "保存失败"),
        ("mkstemp", PermissionError(errno.EACCES, "Permission denied"), "没有写入权限"),
        ("mkstemp", OSError(errno.EROFS, "Read-only file system"), "保存失败"),
        ("replace", PermissionError(errno.EPERM, "Operation not permitted"), "没有写入权限"),
    ],
)
def test_a_failed_save_says_why_and_keeps_the_old_file(draft_path, monkeypatch, point, err, message):
    old = draft_path.read_bytes()
    d = new_version(load_draft(draft_path))
    inject(monkeypatch, point, err)
    with pytest.raises(DraftError, match=message) as exc:
        save_draft(d, draft_path)
    monkeypatch.undo()
    assert str(draft_path) in str(exc.value)
    assert draft_path.read_bytes() == old
    assert leftovers(draft_path.parent, draft_path.name) == []
    assert d.texts["s6.other"] == LONG  # still in memory, ready for 另存为


# ---------------------------------------------------------------- real SIGKILL

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    import nianbao.store.draft as D

    path, point, expected = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    d = D.load_draft(path)
    d.values[("t2", "licensing", "decisions")] = 41
    d.texts["s6.other"] = "主动公开信息。" * 20000
    expected.write_bytes(D.dumps(d).encode("utf-8"))

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    real_fsync, real_replace, real_fdopen, real_open = os.fsync, os.replace, os.fdopen, os.open
    fsyncs = []

    class Half:
        def __init__(self, fh):
            self.fh = fh
        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            die()
        def __getattr__(self, name):
            return getattr(self.fh, name)
        def __enter__(self):
            return self
        def __exit__(self, *a):
            self.fh.close()

    if point == "mkstemp":
        import tempfile
        real_mkstemp = tempfile.mkstemp
        def mkstemp(*a, **k):
            real_mkstemp(*a, **k)  # the empty temporary file exists, then the process dies
            die()
        tempfile.mkstemp = mkstemp
    elif point == "write":
        os.fdopen = lambda fd, *a, **k: Half(real_fdopen(fd, *a, **k))
    elif point in ("fsync", "after-fsync", "fsync-dir"):
        def fsync(fd):
            fsyncs.append(fd)
            first = len(fsyncs) == 1
            if point == "fsync" and first:
                die()
            real_fsync(fd)
            if (point == "after-fsync" and first) or (point == "fsync-dir" and not first):
                die()
        os.fsync = fsync
    elif point == "replace":
        os.replace = lambda a, b: die()
    elif point == "after-replace":
        def replace(a, b):
            real_replace(a, b)
            die()
        os.replace = replace
    D.save_draft(d, path, touch=False)
    print("survived", flush=True)
    """
)


def run_child(path: Path, point: str, expected: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CHILD, str(path), point, str(expected)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )


KILL_POINTS = [("mkstemp", "old"), ("write", "old"), ("fsync", "old"), ("after-fsync", "old"),
               ("replace", "old"), ("after-replace", "new"), ("fsync-dir", "new")]


@pytest.mark.parametrize(("point", "expect"), KILL_POINTS)
def test_sigkill_at_each_step_leaves_old_or_new_whole(tmp_path, point, expect):
    folder = tmp_path / "drafts"
    folder.mkdir()
    path = folder / "年报.toml"
    path.write_bytes(SEED.read_bytes())
    old = path.read_bytes()
    expected = tmp_path / "expected-new"
    result = run_child(path, point, expected)
    assert result.returncode == -signal.SIGKILL, result.stderr
    assert "survived" not in result.stdout
    new = expected.read_bytes()
    assert assert_whole(path, old, new) == expect
    # What a kill leaves behind is a hidden temporary file that is never taken for a draft.
    left = leftovers(folder, path.name)
    if expect == "old" and point != "replace":
        assert len(left) == 1, left
    for name in left:
        assert name.startswith(".年报.toml.") and name.endswith(".tmp"), left
    assert sorted(p.name for p in folder.glob("*.toml")) == ["年报.toml"]
    assert not recovery_path(path).exists()
    from nianbao.app.screens.start import candidates  # what the start screen would list

    assert [p.name for p in candidates(folder)] == ["年报.toml"]
    # The next save after the "reboot" works and the draft opens.
    d = load_draft(path)
    save_draft(d, path)
    load_draft(path)


LOOP = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import nianbao.store.draft as D

    path = Path(sys.argv[1])
    d = D.load_draft(path)
    versions = []
    for text in ("甲" * 50000, "乙" * 90000):
        d.texts["s6.other"] = text
        versions.append(D.dumps(d).encode("utf-8"))
    Path(sys.argv[2]).write_bytes(versions[0])
    Path(sys.argv[3]).write_bytes(versions[1])
    print("ready", flush=True)
    i = 0
    while True:
        D.atomic_write(path, versions[i % 2])
        i += 1
    """
)


def test_sigkill_at_random_moments_during_repeated_saves(tmp_path):
    """Kill a process that saves in a loop at random moments: the draft is always whole."""
    rnd = random.Random(20250120)
    path = tmp_path / "年报.toml"
    path.write_bytes(SEED.read_bytes())
    old = path.read_bytes()
    a, b = tmp_path / "a", tmp_path / "b"
    seen = set()
    for _ in range(12):
        p = subprocess.Popen([sys.executable, "-c", LOOP, str(path), str(a), str(b)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        assert p.stdout.readline().strip() == "ready"
        time.sleep(rnd.uniform(0.0, 0.25))
        p.send_signal(signal.SIGKILL)
        p.wait()
        data = path.read_bytes()
        assert data in (old, a.read_bytes(), b.read_bytes()), len(data)
        load_draft(path)
        seen.add(data)
        old = data
    assert len(seen) >= 2  # the kills did land at different moments
