"""Attack classes 9, 10, 11: no terminal, odd encodings, broken pipes, and terminal escapes
planted in a draft (or its name) reaching the clerk's terminal."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nianbao.errors import printable, without_controls
from nianbao.store.recovery import write_recovery
from tests.conftest import BLANK, SEED

SEED_TEXT = SEED.read_text(encoding="utf-8")
CLIPBOARD = "\x1b]52;c;SGVsbG8=\x07"
TITLE = "\x1b]2;pwned\x1b\\"
CSI = "\x9b2J"
# Raw terminal commands: ESC, the 8-bit CSI, BEL. (Rich's own colours are off: not a terminal.)
RAW = ("\x1b", "\x9b", "\x07")


def nianbao(*args, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "nianbao", *map(str, args)], capture_output=True,
                          timeout=60, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL, **kw)


def hostile_draft(folder: Path) -> Path:
    text = SEED_TEXT.replace('org_name = "渝中区应急管理局"', 'org_name = "渝中区\\u001b]52;c;SGVsbG8=\\u0007局"')
    text = text.replace('other = "', 'other = "\\u001b]2;pwned\\u001b\\\\\u009b2J', 1)
    text += '\n[zzz]\n"k\\u001b]2;x\\u0007" = 1\n'
    name = folder / "草稿\x1b]2;t\x07.toml"
    name.write_text(text, encoding="utf-8")
    return name


def test_the_sanitiser():
    for bad in (CLIPBOARD, TITLE, CSI, "\x7f", "\u202e"):
        assert not any(ch in printable(bad) for ch in RAW + ("\x7f", "\u202e"))
        assert not any(ch in without_controls(bad) for ch in RAW + ("\x7f", "\u202e"))
    assert printable("甲\n\t乙　丙") == "甲\n\t乙　丙"  # line breaks, tabs, full-width space stay


@pytest.mark.parametrize("json", [False, True])
def test_check_never_sends_escapes(tmp_path, json):
    draft = hostile_draft(tmp_path)
    r = nianbao("check", *(["--json"] if json else []), draft)
    assert r.returncode in (0, 1), r.stderr.decode()
    out = r.stdout.decode() + r.stderr.decode()
    assert not any(ch in out for ch in RAW), repr(out)
    assert "\\x1b" in out or "\\u001b" in out  # made visible, not silently dropped


def test_recover_and_errors_never_send_escapes(tmp_path):
    from nianbao.store.draft import load_draft

    draft = hostile_draft(tmp_path)
    d = load_draft(draft)
    d.texts["s1.active"] = "新\x1b]52;c;QUJD\x07内容"
    write_recovery(d, draft)
    for args in (["recover", draft], ["check", tmp_path / "没有\x1b]2;x\x07.toml"], ["render", draft]):
        r = nianbao(*args)
        out = r.stdout.decode() + r.stderr.decode()
        assert "Traceback" not in out
        if args[0] != "render":  # render writes the report itself, for a file
            assert not any(ch in out for ch in RAW), (args, out)


async def test_the_app_draws_no_escapes(tmp_path):
    from nianbao.app.app import NianbaoApp

    draft = hostile_draft(tmp_path)
    app = NianbaoApp(str(draft))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.notify("通知" + CLIPBOARD)
        await pilot.pause()
        for _ in range(8):
            await pilot.press("f12")
            await pilot.pause()
            for widget in app.screen.query("*"):
                for y in range(widget.size.height):
                    line = widget.render_line(y).render(app.console)
                    assert "\x1b]" not in line and "\x9b" not in line and "\x07" not in line, (widget, line)


def test_no_terminal_refuses_before_taking_a_lock(tmp_path):
    draft = tmp_path / "d.toml"
    shutil.copy(SEED, draft)
    r = nianbao(draft)
    assert r.returncode == 2 and "终端" in r.stderr.decode()
    assert not r.stdout and not list(tmp_path.glob(".*lock*"))


@pytest.mark.parametrize("encoding", ["gbk", "ascii", "latin-1"])
def test_narrow_encodings_never_crash_check(encoding):
    for draft in (SEED, BLANK):
        r = nianbao("check", draft, env={"PYTHONIOENCODING": encoding})
        assert "Traceback" not in r.stderr.decode("latin-1")
        assert r.returncode == (0 if draft == SEED else nianbao("check", draft).returncode)


def test_a_broken_pipe_keeps_the_exit_code():
    expected = nianbao("check", "--json", BLANK).returncode
    assert expected == 1
    for _ in range(3):
        p = subprocess.Popen(f"{sys.executable} -m nianbao check --json {BLANK} {BLANK} {BLANK} {BLANK} | head -c 10 >/dev/null;"
                             " echo ${PIPESTATUS[0]} >&2", shell=True, executable="/bin/bash",
                             stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        _, err = p.communicate(timeout=60)
        lines = err.decode().strip().splitlines()
        assert lines[-1] == "1", err
        assert "Exception ignored" not in err.decode() and "BrokenPipe" not in err.decode()
