"""Nothing typed more than a second before a crash is lost: the real app in a real terminal.

The app runs in tmux (a private server, its own socket), is driven with `send-keys`, and is
killed with SIGKILL - no handler runs, as when a terminal window is closed or the machine
loses power. The recovery file written by autosave must hold every keystroke older than
one second; reopening offers 恢复 / 丢弃 / 稍后, and restoring (in the app, or with
`nianbao recover --apply`) puts it all in the draft.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from nianbao.store import lock
from nianbao.store.draft import load_draft
from nianbao.store.recovery import load_recovery, recovery_path

from ..conftest import ROOT, SEED

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

TIMEOUT = 30.0  # generous: the machine may be busy with other tests


class Tmux:
    """One tmux server of our own with one 100x30 window running one command."""

    def __init__(self, home: Path):
        self.socket = f"nianbao-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.home = home

    def tmux(self, *args: str, check: bool = True) -> str:
        r = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=20)
        if check and r.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)}: {r.stderr}")
        return r.stdout

    def start(self, *argv: str) -> None:
        env = {"XDG_CONFIG_HOME": str(self.home / "config"), "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TERM": "xterm-256color"}
        command = " ".join(
            ["env", *(f"{k}={shlex.quote(v)}" for k, v in env.items()), shlex.quote(sys.executable), "-m", "nianbao", *map(shlex.quote, argv)]
        )
        self.tmux("new-session", "-d", "-s", "nb", "-x", "100", "-y", "30", "-c", str(ROOT), command)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "nb", check=False)

    def wait_for(self, *texts: str, timeout: float = TIMEOUT) -> str:
        deadline = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < deadline:
            screen = self.screen()
            if all(t in screen for t in texts):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"waited {timeout} s for {texts!r}; the screen shows:\n{screen}")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "nb", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "nb", "-l", text)

    def app_pid(self) -> int:
        """The nianbao process in the pane (the pane's process, or its descendant)."""
        pane = int(self.tmux("list-panes", "-t", "nb", "-F", "#{pane_pid}").split()[0])
        todo = [pane]
        while todo:
            pid = todo.pop(0)
            try:
                if b"-m\x00nianbao\x00" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
            except OSError:
                pass
            todo += children(pid)
        return pane

    def stop(self) -> None:
        self.tmux("kill-server", check=False)
        # tmux leaves its socket file behind; do not litter /tmp with one per test run.
        folder = Path(os.environ.get("TMUX_TMPDIR") or "/tmp") / f"tmux-{os.getuid()}"
        (folder / self.socket).unlink(missing_ok=True)


def children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture
def term(tmp_path):
    t = Tmux(tmp_path)
    try:
        yield t
    finally:
        t.stop()


@pytest.fixture
def draft(tmp_path) -> Path:
    p = tmp_path / "渝中 年报.toml"  # a space and CJK in the name, as clerks name files
    p.write_bytes(SEED.read_bytes())
    return p


TEXT = "ABC测试文字"


def type_and_kill(term: Tmux, draft: Path) -> float:
    """Type into 表三 and into 一's first text field, wait > 1 s, type once more, SIGKILL.

    Returns how long before the kill the last "old" keystroke was shown on screen.
    """
    term.start(str(draft))
    term.wait_for("年报.toml", "已保存")
    term.keys("F12", "F12", "F12")
    term.wait_for("三、收到和处理政府信息公开申请情况")
    term.keys("7", "Enter", "5", "Enter")  # 自然人: 新收 7, 上年结转 5
    term.wait_for("未保存")
    term.keys("F11", "F11")
    term.wait_for("F4 用外部编辑器")  # 一、总体情况: the first text field has the focus
    term.type(TEXT)
    term.wait_for(TEXT)
    shown = time.monotonic()
    time.sleep(1.3)
    term.type("Z")  # younger than a second: may be lost, must not break anything
    pid = term.app_pid()
    age = time.monotonic() - shown
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)
    return age


def assert_holds_every_old_keystroke(d) -> None:
    assert d.values[("t3", "new", "natural")] == 7
    assert d.values[("t3", "carried", "natural")] == 5
    original = load_draft(SEED).texts["s1.active"]
    text = d.texts["s1.active"]
    assert text in (TEXT + original, TEXT + "Z" + original), text[:40]


def kill_and_reopen(term: Tmux, draft: Path) -> tuple[Tmux, lock.LockInfo]:
    """SIGKILL while typing; the recovery file holds every old keystroke; reopen in a new tmux."""
    before = draft.read_bytes()
    age = type_and_kill(term, draft)
    assert age > 1.0
    assert draft.read_bytes() == before  # the app never saved: only the recovery file knows
    rec = recovery_path(draft)
    assert rec.exists(), sorted(p.name for p in draft.parent.iterdir())
    assert_holds_every_old_keystroke(load_recovery(draft))
    # The killed app's lock is left behind, and recognised as stale.
    left = lock.read_lock(draft)
    assert left is not None and not left.alive() and lock.holder(draft) is None
    term.stop()
    again = Tmux(term.home)
    again.start(str(draft))
    screen = again.wait_for("发现自动保存的内容", "恢复", "丢弃", "稍后")
    assert "0 → 7" in screen and "0 → 5" in screen
    return again, left


def test_sigkill_then_recover_in_the_app(term, draft):
    again, left = kill_and_reopen(term, draft)
    try:
        again.keys("Enter")  # 恢复 has the focus
        again.wait_for(TEXT, "未保存")  # restored, not yet saved
        held = lock.read_lock(draft)
        assert held is not None and held.alive() and held.pid != left.pid  # the stale lock was taken over
    finally:
        again.stop()


def test_sigkill_recover_in_the_app_save_and_quit(term, draft):
    again, left = kill_and_reopen(term, draft)
    try:
        again.keys("Enter")  # 恢复
        again.wait_for(TEXT, "未保存")
        again.keys("F2")
        again.wait_for("已保存", timeout=10)
        assert not recovery_path(draft).exists()  # saving removes it
        assert_holds_every_old_keystroke(load_draft(draft))
        again.keys("C-q")
        deadline = time.monotonic() + 10
        while lock.lock_path(draft).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not lock.lock_path(draft).exists()  # released on a normal exit
    finally:
        again.stop()


@pytest.mark.parametrize("choice", ["restore", "discard", "later"])
async def test_the_editor_answers_keys_after_the_recover_dialog(tmp_path, draft, choice):
    """Whatever is chosen, the editor then takes keys (a dialog's dismiss must not stall the app)."""
    import asyncio

    from textual import events

    from nianbao.app.app import NianbaoApp
    from nianbao.store.recovery import write_recovery

    d = load_draft(draft)
    d.values[("t3", "new", "natural")] = 7
    write_recovery(d, draft)

    def send(app, key):
        event = events.Key(key, None)
        event.set_sender(app)
        app._driver.send_message(event)

    app = NianbaoApp(draft)
    async with app.run_test(size=(100, 30)):
        await asyncio.sleep(1.0)  # (pilot.pause() would wait forever on the frozen screen)
        app.screen.dismiss(choice)
        await asyncio.sleep(0.5)
        assert app.editor is not None and app.editor.entry == "meta"
        send(app, "f12")
        await asyncio.sleep(1.0)
        entry = app.editor.entry
        if entry != "s1":  # frozen: a clean shutdown would never come, so stop the app's task
            app._task.cancel()
        assert entry == "s1"


def test_sigkill_then_nianbao_recover(term, draft):
    before = draft.read_bytes()
    type_and_kill(term, draft)
    term.stop()
    assert draft.read_bytes() == before
    cli = [sys.executable, "-m", "nianbao", "recover"]
    env = {**os.environ, "XDG_CONFIG_HOME": str(term.home / "config")}
    listing = subprocess.run([*cli, str(draft)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert listing.returncode == 0, listing.stderr
    assert "比草稿新" in listing.stdout and "0 → 7" in listing.stdout and "0 → 5" in listing.stdout
    assert draft.read_bytes() == before  # listing changes nothing
    applied = subprocess.run([*cli, "--apply", str(draft)], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert applied.returncode == 0, applied.stderr
    assert not recovery_path(draft).exists()
    assert_holds_every_old_keystroke(load_draft(draft))
    # Opening it again offers nothing: there is nothing left to recover.
    term2 = Tmux(term.home)
    try:
        term2.start(str(draft))
        screen = term2.wait_for("年报.toml", "已保存")
        assert "发现自动保存的内容" not in screen
        term2.keys("C-q")
    finally:
        term2.stop()


@pytest.mark.parametrize("flag", ["--apply", "--discard"])
def test_recover_refuses_while_another_nianbao_holds_the_draft(tmp_path, draft, flag):
    holder_proc = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from nianbao.store import lock; l = lock.acquire(sys.argv[1]); "
         "print('held', flush=True); time.sleep(60)", str(draft)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder_proc.stdout.readline().strip() == "held"
        from nianbao.store.draft import load_draft as load
        from nianbao.store.recovery import write_recovery

        d = load(draft)
        d.values[("t3", "new", "natural")] = 9
        write_recovery(d, draft)
        before = draft.read_bytes()
        r = subprocess.run([sys.executable, "-m", "nianbao", "recover", flag, str(draft)],
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
        assert r.returncode == 2 and str(holder_proc.pid) in r.stderr
        assert draft.read_bytes() == before and recovery_path(draft).exists()
    finally:
        holder_proc.kill()
        holder_proc.wait()
