"""Draft locks (nianbao.store.lock) and on-disk change detection (nianbao.store.ondisk)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from nianbao.store import lock, ondisk
from nianbao.store.lock import DraftLocked

from .conftest import ROOT, SEED


@pytest.fixture
def draft(tmp_path) -> Path:
    p = tmp_path / "年报.toml"
    p.write_bytes(SEED.read_bytes())
    return p


def write_lock(draft: Path, **fields) -> Path:
    info = {"pid": 1, "host": lock.this_host(), "started": "2025-01-20T09:00:00+08:00", "user": "wang", "token": "x"}
    info.update(fields)
    target = lock.lock_path(draft)
    target.write_text(json.dumps(info), encoding="utf-8")
    return target


def dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


@pytest.fixture
def sleeper():
    p = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield p
    p.kill()
    p.wait()


# ---------------------------------------------------------------- acquiring and releasing


def test_acquire_writes_a_complete_json_lock_and_release_removes_it(draft):
    lk = lock.acquire(draft)
    assert lk.acquired and lk.held and lk.took_over is None and lk.problem == ""
    target = draft.parent / ".年报.toml.lock"
    assert lk.file == target and target.is_file()
    data = json.loads(target.read_text(encoding="utf-8"))
    assert data["pid"] == os.getpid()
    assert data["host"] == lock.this_host()
    assert data["user"] == lock.this_user()
    assert data["started"][:4].isdigit() and "T" in data["started"]
    assert {"pid", "host", "started", "user", "token"} <= set(data)
    # Only the lock is left beside the draft: no temporary files.
    assert sorted(p.name for p in draft.parent.iterdir()) == [".年报.toml.lock", "年报.toml"]
    assert lock.holder(draft) is None  # our own lock is not "another holder"
    lk.release()
    assert not target.exists() and not lk.acquired
    lk.release()  # twice is harmless


def test_lock_is_a_context_manager(draft):
    with lock.acquire(draft) as lk:
        assert lk.held
        assert lock.read_lock(draft).pid == os.getpid()
    assert lock.read_lock(draft) is None


def test_a_live_process_on_this_host_holds_the_draft(draft, sleeper):
    write_lock(draft, pid=sleeper.pid)
    h = lock.holder(draft)
    assert h is not None and h.pid == sleeper.pid and h.user == "wang"
    with pytest.raises(DraftLocked) as exc:
        lock.acquire(draft)
    message = str(exc.value)
    assert str(draft) in message and "wang" in message and str(sleeper.pid) in message and "本机" in message
    assert exc.value.holder == h
    assert lock.read_lock(draft).pid == sleeper.pid  # untouched
    # The clerk chose to open it anyway.
    lk = lock.acquire(draft, force=True)
    assert lk.held and lk.took_over == h


def test_a_lock_left_by_a_dead_process_is_taken_over(draft):
    pid = dead_pid()
    write_lock(draft, pid=pid)
    assert lock.read_lock(draft).pid == pid
    assert not lock.read_lock(draft).alive()
    assert lock.holder(draft) is None
    lk = lock.acquire(draft)
    assert lk.held and lk.took_over is not None and lk.took_over.pid == pid
    assert lock.read_lock(draft).pid == os.getpid()


def test_a_zombie_is_dead(draft):
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.time() + 10
    while time.time() < deadline:  # exited but not reaped: a zombie that os.kill(pid, 0) still finds
        try:
            state = Path(f"/proc/{p.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            pytest.skip("no /proc")
        if state == "Z":
            break
        time.sleep(0.02)
    try:
        os.kill(p.pid, 0)
        write_lock(draft, pid=p.pid)
        assert lock.holder(draft) is None
    finally:
        p.wait()


def test_permission_error_means_alive(draft, monkeypatch):
    write_lock(draft, pid=424242)

    def kill(pid, sig):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(lock.os, "kill", kill)
    monkeypatch.setattr(lock, "_proc_stat", lambda pid: None)
    assert lock.holder(draft) is not None


def test_a_reused_pid_is_recognised_by_its_start_time(draft, sleeper):
    if not lock._proc_start(sleeper.pid):
        pytest.skip("process start times need Linux /proc")
    write_lock(draft, pid=sleeper.pid, proc_start=lock._proc_start(sleeper.pid))
    assert lock.holder(draft) is not None
    write_lock(draft, pid=sleeper.pid, proc_start=lock._boot_id() + ":1")  # started at boot: not this one
    assert lock.holder(draft) is None
    write_lock(draft, pid=sleeper.pid, proc_start="another-boot:" + lock._proc_stat(sleeper.pid)[1])
    assert lock.holder(draft) is None


def test_a_lock_from_another_host_is_live_until_twelve_hours_without_refresh(draft):
    target = write_lock(draft, host="pc-07", pid=os.getpid())  # our pid, but on another PC
    h = lock.holder(draft)
    assert h is not None and h.host == "pc-07"
    assert "电脑 pc-07" in h.describe()
    with pytest.raises(DraftLocked):
        lock.acquire(draft)
    old = time.time() - lock.REMOTE_STALE_AFTER - 60
    os.utime(target, (old, old))
    assert lock.holder(draft) is None
    lk = lock.acquire(draft)
    assert lk.took_over.host == "pc-07"
    # The holder keeps its lock fresh.
    os.utime(lk.file, (old, old))
    assert lk.refresh()
    assert time.time() - lk.file.stat().st_mtime < 60


@pytest.mark.parametrize("content", [b"", b"{not json", b"[1, 2]", b'{"pid": "12", "host": "x"}', b'{"pid": 12}', b"\xff\xfe", b'{"pid": true, "host": "h"}'])
def test_a_garbage_lock_is_stale(draft, content):
    lock.lock_path(draft).write_bytes(content)
    assert lock.read_lock(draft) is None
    assert lock.holder(draft) is None
    lk = lock.acquire(draft)
    assert lk.held


def test_pid_zero_or_negative_never_signals_a_process_group(draft, monkeypatch):
    calls = []
    monkeypatch.setattr(lock.os, "kill", lambda pid, sig: calls.append(pid))
    for pid in (0, -1):
        write_lock(draft, pid=pid)
        assert lock.holder(draft) is None
    assert calls == []


def test_acquiring_again_in_the_same_process_replaces_and_the_old_lock_lets_go(draft):
    first = lock.acquire(draft)
    second = lock.acquire(draft)
    assert second.held and not first.held
    first.release()  # not ours any more: the file stays
    assert lock.read_lock(draft).token == second.info.token
    second.release()
    assert not lock.lock_path(draft).exists()


def test_release_leaves_a_lock_that_someone_forced_away(draft, sleeper):
    mine = lock.acquire(draft)
    write_lock(draft, pid=sleeper.pid, token="theirs")
    assert not mine.held and not mine.refresh()
    mine.release()
    assert lock.read_lock(draft).token == "theirs"


def test_a_folder_where_no_lock_can_be_written_gives_an_inert_lock(draft, monkeypatch):
    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(lock.tempfile, "mkstemp", refuse)
    lk = lock.acquire(draft)
    assert not lk.acquired and not lk.held
    assert "无法创建锁文件" in lk.problem and "没有权限" in lk.problem
    lk.release()
    with lock.acquire(draft) as lk2:
        assert not lk2.acquired


def test_no_hard_links_falls_back_to_exclusive_create(draft, monkeypatch, sleeper):
    def no_link(a, b):
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(lock.os, "link", no_link)
    lk = lock.acquire(draft)
    assert lk.held and lock.read_lock(draft).pid == os.getpid()
    lk.release()
    write_lock(draft, pid=sleeper.pid)
    with pytest.raises(DraftLocked):
        lock.acquire(draft)


CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from nianbao.store import lock
    draft, go = Path(sys.argv[1]), Path(sys.argv[2])
    while not go.exists():
        time.sleep(0.005)
    try:
        lk = lock.acquire(draft)
    except lock.DraftLocked as exc:
        print("locked", exc.holder.pid, flush=True)
    else:
        print("won" if lk.held else "failed " + lk.problem, flush=True)
        time.sleep(float(sys.argv[3]))
        lk.release()
    """
)


def test_only_one_of_many_simultaneous_openers_gets_the_lock(draft, tmp_path):
    go = tmp_path / "go"
    procs = [
        subprocess.Popen([sys.executable, "-c", CHILD, str(draft), str(go), "3"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        for _ in range(6)
    ]
    time.sleep(1.0)  # let them all import and wait
    go.touch()
    outs = [p.communicate(timeout=30)[0].split() for p in procs]
    winners = [o for o in outs if o[0] == "won"]
    assert len(winners) == 1, outs
    winner_pid = next(p.pid for p, o in zip(procs, outs) if o[0] == "won")
    assert all(o == ["locked", str(winner_pid)] for o in outs if o[0] != "won"), outs
    assert not lock.lock_path(draft).exists()  # the winner released it


def test_a_killed_holder_is_recognised_and_its_lock_taken_over(draft, tmp_path):
    go = tmp_path / "go"
    go.touch()
    p = subprocess.Popen([sys.executable, "-c", CHILD, str(draft), str(go), "60"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert p.stdout.readline().strip() == "won"
        h = lock.holder(draft)
        assert h is not None and h.pid == p.pid
        with pytest.raises(DraftLocked):
            lock.acquire(draft)
    finally:
        os.kill(p.pid, signal.SIGKILL)
        p.wait()
    assert lock.lock_path(draft).exists()  # SIGKILL left it behind
    assert lock.holder(draft) is None
    lk = lock.acquire(draft)
    assert lk.held and lk.took_over.pid == p.pid


def test_lock_module_names_no_temporary_file_as_a_draft(draft, monkeypatch):
    seen = []
    real = lock._write_temp

    def spy(folder, name, data):
        tmp = real(folder, name, data)
        seen.append(Path(tmp).name)
        return tmp

    monkeypatch.setattr(lock, "_write_temp", spy)
    lock.acquire(draft).release()
    assert seen and all(n.startswith(".") and not n.endswith(".toml") for n in seen)


# ---------------------------------------------------------------- ondisk


def test_stamp_and_changed_since(tmp_path):
    p = tmp_path / "d.toml"
    assert ondisk.stamp(p) is None
    assert not ondisk.changed_since(p, None)
    p.write_bytes(b"a = 1\n")
    assert ondisk.changed_since(p, None)  # appeared
    s = ondisk.stamp(p)
    assert s.size == 6 and len(s.sha256) == 64 and s.mtime_ns == p.stat().st_mtime_ns
    assert s == ondisk.Stamp.of_bytes(b"a = 1\n", p.stat().st_mtime_ns)
    assert not ondisk.changed_since(p, s)
    os.utime(p, ns=(1, 1))  # touched only: same content
    assert not ondisk.changed_since(p, s)
    p.write_bytes(b"a = 2\n")  # same size, maybe same mtime: content decides
    os.utime(p, ns=(s.mtime_ns, s.mtime_ns))
    assert ondisk.changed_since(p, s)
    p.write_bytes(b"a = 10\n")
    assert ondisk.changed_since(p, s)
    p.unlink()
    assert ondisk.changed_since(p, s)
    p.mkdir()
    assert ondisk.stamp(p) is None and ondisk.changed_since(p, s)


def test_changed_since_notices_an_atomic_replace(tmp_path):
    from nianbao.store.draft import atomic_write

    p = tmp_path / "d.toml"
    atomic_write(p, b"x = 1\n")
    s = ondisk.stamp(p)
    atomic_write(p, b"x = 1\n")  # rewritten with the same bytes: no conflict
    assert not ondisk.changed_since(p, s)
    atomic_write(p, b"x = 3\n")
    assert ondisk.changed_since(p, s)
    assert "被其他程序修改过" in ondisk.describe_change(p, s)
    p.unlink()
    assert "已被删除" in ondisk.describe_change(p, s)

