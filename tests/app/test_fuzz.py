"""Key-press fuzz: random keys and pastes on every screen; the app never crashes.

Each phase opens a screen (the start page, the editor on each section, each dialog) and
feeds it a seeded random stream: printable ASCII, CJK, full-width digits, control keys,
F-keys, navigation keys, and paste events with long and odd text (NUL, emoji, RTL marks,
escape sequences, 10,000 characters). Keys go to the driver the way `tests/app/keys.py`
sends them (what a fast typist produces) in random bursts, with the app settling between
bursts. Afterwards the editor saves, and the saved draft must load and check, with every
field as it was in memory.

Quitting is taken out of the stream (`FuzzApp.action_quit` only counts), so random keys
cannot end the run; the quit dialog is fuzzed on its own with a callback that records the
choice.

Every crash this fuzz has found is fixed and pinned by a deterministic regression test at the
bottom of this file (a second key reaching a closing dialog, long, NUL and folder file names,
PageDown before a list is laid out, the review page before it is built, digits int() cannot
read). A crash whose signature is listed in KNOWN_CRASHES would turn its phase into an xfail
naming the bug (the run cannot go on after a crash); the list is empty, so any crash fails.

Environment: NIANBAO_FUZZ_KEYS (keys per editor phase, default 80 to keep the file near a
minute; 1500 for a long run; dialogs get half),
NIANBAO_FUZZ_DIALOG_BURSTS=0 (dialogs get one key at a time, as a slow typist), NIANBAO_FUZZ_SEED,
NIANBAO_FUZZ_DUMP (folder for the JSON of a crashing run's bursts), NIANBAO_FUZZ_REPLAY
("editor:s1=/tmp/nianbao-fuzz-editor-s1.json": feed those bursts to that phase instead).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import shutil
import string
import tempfile
from pathlib import Path

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.screen import ModalScreen
from textual.widgets import Input

import nianbao.app.app as app_module
from nianbao.app.app import NianbaoApp
from nianbao.app.screens.dialogs import AcceptWarningScreen, ConfirmScreen, NewDraftScreen, PathScreen, QuitScreen
from nianbao.app.screens.recover import RecoverScreen
from nianbao.editing.session import META_ENTRY, REVIEW_ENTRY
from nianbao.engine.checks import check
from nianbao.report.template import load_template
from nianbao.store.draft import load_draft
from nianbao.store.recovery import Difference, load_recovery, recovery_path

from ..conftest import SEED
from .keys import burst

SIZE = (100, 30)
KEYS = int(os.environ.get("NIANBAO_FUZZ_KEYS", "80"))
SEED_NO = int(os.environ.get("NIANBAO_FUZZ_SEED", "20250120"))
DIALOGS_TAKE_BURSTS = os.environ.get("NIANBAO_FUZZ_DIALOG_BURSTS", "1") != "0"

PRINTABLE = string.ascii_letters + string.digits + string.punctuation + " "
CJK_PUNCT = "。,、;:?!“”‘’()《》【】—…·"
FULL_WIDTH = "０１２３４５６７８９．，－＋％"
NAMED = [
    "tab", "shift+tab", "escape", "enter", "up", "down", "left", "right", "pageup", "pagedown",
    "home", "end", "backspace", "delete", "insert", "space", "ctrl+home", "ctrl+end",
    "ctrl+pageup", "ctrl+pagedown", "shift+f8", "shift+up", "shift+down", "shift+left", "shift+right",
    "ctrl+left", "ctrl+right", "shift+home", "shift+end",
] + [f"f{i}" for i in range(1, 13) if i != 10]  # f10 quits
CTRL = [f"ctrl+{c}" for c in string.ascii_lowercase if c != "q"]  # ctrl+q quits
# Keys after which a screen may open or close: a burst ends there (see the module docstring).
SCREEN_KEYS = {"enter", "escape", "space", "ctrl+p", "ctrl+m", "ctrl+j", "ctrl+s", "f1", "f2", "f3", "f6", "f7", "f9", "a", "n", "s"}
PASTES = [
    "",
    "12345",
    "１２３",
    "\x00\x00NUL\x00",
    "😀👍🏽👨‍👩‍👧‍👦🇨🇳",
    "\u202e\u0645\u0631\u062d\u0628\u0627\u202c שלום",
    "e\u0301\u0301\u0301 Z\u0335\u0321\u0322",
    "\u200b\u200d\ufeff\u2028\u2029",
    "\x1b[2J\x1b]0;title\x07\x1b[31m红\x1b[0m",
    "line1\r\nline2\rline3\n\tTab",
    "-12.5e3,1,000,0000",
    '"""\'\'\'[meta]\nx = 1\n[[acknowledged]]',
    "全年主动公开信息" + "9" * 5000 + "条",
    "一二三四五" * 2000,
    "a" * 10000,
    "\n" * 500,
]

# Crashes reported and not yet fixed: (exception type, where, words, the test that pins it).
KNOWN_CRASHES: list[tuple[str, str, str, str]] = []


def token(rnd: random.Random):
    """One random input: ("key", key, character) or ("paste", text)."""
    r = rnd.random()
    if r < 0.30:
        ch = rnd.choice(PRINTABLE)
    elif r < 0.40:
        ch = chr(rnd.randint(0x4E00, 0x9FFF))
    elif r < 0.45:
        ch = rnd.choice(CJK_PUNCT)
    elif r < 0.55:
        ch = rnd.choice(FULL_WIDTH)
    elif r < 0.62:
        return ("key", rnd.choice(("enter", "escape", "tab")), None)  # the keys that move between screens
    elif r < 0.82:
        return ("key", rnd.choice(NAMED), None)
    elif r < 0.95:
        key = rnd.choice(CTRL)
        return ("key", key, chr(ord(key[-1]) - 96))
    elif r < 0.99:
        return ("paste", rnd.choice(PASTES))
    else:  # random code points (lone surrogates replaced: a terminal cannot send them)
        text = "".join(chr(rnd.randint(1, 0x2FFFF)) for _ in range(rnd.randint(1, 200)))
        return ("paste", text.encode("utf-16", "surrogatepass").decode("utf-16", "replace"))
    if ch == " ":
        return ("key", "space", " ")
    return ("key", _character_to_key(ch), ch)


def describe(tok) -> str:
    if tok[0] == "paste":
        text = tok[1]
        return f"paste({text[:12]!r}{'…' if len(text) > 12 else ''} len={len(text)})"
    return tok[1] if tok[2] is None or tok[1] == tok[2] else f"{tok[1]}({tok[2]!r})"


class FuzzApp(NianbaoApp):
    """The real app, except that quitting only counts (random keys must not end the run)."""

    CSS_PATH = Path(app_module.__file__).parent / "nianbao.tcss"  # relative paths follow the subclass's module
    quit_requests = 0

    async def action_quit(self) -> None:
        self.quit_requests += 1


STALL = 20.0  # seconds a burst may take before the app counts as hung


class Stalled(AssertionError):
    """The app stopped processing input (a hang is as bad as a crash)."""


REPLAY: dict[str, list] = {}  # phase -> recorded bursts to feed instead of random ones
if os.environ.get("NIANBAO_FUZZ_REPLAY"):  # "editor:s1=/tmp/nianbao-fuzz-editor-s1.json"
    _phase, _, _file = os.environ["NIANBAO_FUZZ_REPLAY"].partition("=")
    REPLAY[_phase] = json.loads(Path(_file).read_text(encoding="utf-8"))


class Fuzzer:
    """Feeds random bursts to the app and remembers them, to replay and minimise a crash."""

    def __init__(self, pilot, rnd: random.Random, phase: str):
        self.pilot, self.app, self.rnd, self.phase = pilot, pilot.app, rnd, phase
        self.bursts: list[list] = []
        self.replaying: list[list] | None = REPLAY.get(phase)

    def send(self, tok) -> None:
        event = events.Paste(tok[1]) if tok[0] == "paste" else events.Key(tok[1], tok[2])
        event.set_sender(self.app)
        self.app._driver.send_message(event)

    async def burst(self, toks: list) -> None:
        self.bursts.append(toks)
        for tok in toks:
            self.send(tok)
        try:
            await asyncio.wait_for(self.pilot.pause(), STALL)
        except TimeoutError:
            self.app._task.cancel()  # a clean shutdown would wait for the stalled screen too
            raise Stalled(
                f"the app stopped answering in phase {self.phase!r} (nothing processed for {STALL:.0f} s); "
                "last inputs: " + " ".join(describe(t) for b in self.bursts[-4:] for t in b)
            ) from None

    def crashed(self) -> BaseException | None:
        return self.app._exception

    def next_burst(self, limit: int) -> list:
        size = min(limit, self.rnd.choice((1, 1, 2, 3, 5, 8, 13, 25)))
        if isinstance(self.app.screen, ModalScreen) and not DIALOGS_TAKE_BURSTS:
            size = 1
        toks = []
        while len(toks) < size:
            tok = token(self.rnd)
            toks.append(tok)
            if tok[0] == "key" and tok[1] in SCREEN_KEYS and not DIALOGS_TAKE_BURSTS:
                break
        return toks

    async def run(self, n: int, before_burst=None) -> None:
        todo = [list(map(tuple, b)) for b in self.replaying] if self.replaying is not None else None
        sent = 0
        while not self.crashed() and (sent < n if todo is None else todo):
            if before_burst is not None:
                await before_burst()
            toks = self.next_burst(n - sent) if todo is None else todo.pop(0)
            await self.burst(toks)
            sent += len(toks)
            if self.app.editor is None and self.phase != "start" and not self.crashed():
                raise AssertionError(
                    f"the editor screen vanished in phase {self.phase!r} "
                    "(test_a_second_key_in_a_closing_dialog_does_not_close_the_editor); last inputs: "
                    + " ".join(describe(t) for b in self.bursts[-3:] for t in b)
                )

    def report(self, exc: BaseException) -> str:
        log = [t for b in self.bursts for t in b]
        dump = Path(os.environ.get("NIANBAO_FUZZ_DUMP", tempfile.gettempdir())) / f"nianbao-fuzz-{self.phase.replace(':', '-')}.json"
        try:
            dump.write_text(json.dumps(self.bursts, ensure_ascii=False), encoding="utf-8")
        except OSError:
            dump = Path("(not saved)")
        tail = " ".join(describe(t) for t in log[-30:])
        return (
            f"app crashed in phase {self.phase!r} after {len(log)} inputs in {len(self.bursts)} bursts "
            f"({type(exc).__name__}{where(exc)}: {str(exc)[:200]}); bursts saved to {dump}; last inputs: {tail}"
        )


def where(exc: BaseException) -> str:
    """' at file:line' of the innermost frame in nianbao's code, else in any code."""
    ours = last = ""
    tb = exc.__traceback__
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        last = f" at {Path(name).name}:{tb.tb_lineno}"
        if "/tui/" in name:
            ours = last
        tb = tb.tb_next
    return ours or last


def known(exc: BaseException) -> str | None:
    for kind, place, words, test in KNOWN_CRASHES:
        if type(exc).__name__ == kind and place in where(exc) and words in str(exc):
            return test
    return None


async def settle(pilot) -> None:
    try:
        await asyncio.wait_for(pilot.pause(), STALL)
        await asyncio.wait_for(pilot.pause(), STALL)
    except TimeoutError:
        pilot.app._task.cancel()
        raise Stalled(f"the app stopped answering (nothing processed for {STALL:.0f} s)") from None


@contextlib.asynccontextmanager
async def fuzzing(app, rnd, phase):
    """run_test, with a crash turned into a report of the inputs that led to it."""
    holder: dict = {}
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            holder["fz"] = fz = Fuzzer(pilot, rnd, phase)
            try:
                yield fz
            except Stalled as stalled:
                holder["stalled"] = stalled
                raise
            await settle(pilot)
    except (Exception, asyncio.CancelledError) as exc:
        if "stalled" in holder:
            raise holder["stalled"] from None
        fz = holder.get("fz")
        crash = fz.crashed() if fz is not None else None
        if crash is None:
            raise
        message = fz.report(crash)
        test = known(crash)
        if test is not None:
            pytest.xfail(f"known bug ({test}): {message}")
        raise AssertionError(message) from exc


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """Save-as and export dialogs may be given relative names: keep them in tmp_path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("EDITOR", "true")
    monkeypatch.setenv("VISUAL", "true")
    shutil.copy(SEED, tmp_path / "seed.toml")
    (tmp_path / "broken.toml").write_text("[draft\n", encoding="utf-8")
    return tmp_path


def assert_saved_draft_is_usable(app) -> None:
    """Save; the file loads, checks, and holds exactly what was in memory."""
    editor = app.editor
    assert editor is not None
    path = editor.session.path
    rec = recovery_path(path)
    if rec.exists():  # what autosave wrote along the way is a whole draft too
        check(load_recovery(path))
    assert editor.action_save() is True, "the fuzzed draft could not be saved"
    draft = load_draft(path)
    check(draft)
    mine = editor.session.draft
    for what in ("meta", "texts", "values"):
        a, b = getattr(mine, what), getattr(draft, what)
        diff = {k: (a.get(k), b.get(k)) for k in set(a) | set(b) if a.get(k) != b.get(k)}
        assert not diff, f"{what} changed by save + load: " + repr({k: tuple(repr(x)[:60] for x in v) for k, v in diff.items()})
    assert not rec.exists()


# ---------------------------------------------------------------- start page


async def test_fuzz_start_page(workdir):
    app = FuzzApp(None, folder=workdir)
    async with fuzzing(app, random.Random(SEED_NO), "start") as fz:
        await fz.run(KEYS)
        await settle(fz.pilot)
        if app.editor is not None and not fz.crashed():
            assert_saved_draft_is_usable(app)


# ---------------------------------------------------------------- the editor, section by section


@pytest.mark.parametrize("start", [META_ENTRY, "s1", "s2", "s3", "s4", "s5", "s6", REVIEW_ENTRY])
async def test_fuzz_editor_section(workdir, start):
    app = FuzzApp(workdir / "seed.toml")
    async with fuzzing(app, random.Random(f"{SEED_NO}-{start}"), f"editor:{start}") as fz:
        app.editor.show_entry(start)
        await settle(fz.pilot)
        await fz.run(KEYS)
        await settle(fz.pilot)
        if not fz.crashed():
            assert_saved_draft_is_usable(app)


# ---------------------------------------------------------------- each dialog


def dialogs(workdir: Path):
    template = load_template()
    return {
        "quit": lambda: QuitScreen(),
        "confirm": lambda: ConfirmScreen("报告还有 3 个错误,仍要导出吗?", "仍要导出", "返回修改"),
        "accept": lambda: AcceptWarningScreen("正文写“受理申请10件”,表三为 9 件"),
        "path": lambda: PathScreen("另存为", str(workdir / "seed.toml"), ".toml"),
        "new": lambda: NewDraftScreen(template, 2024, workdir),
        "recover": lambda: RecoverScreen([Difference(f"表三第 {i} 格", str(i), str(i + 1)) for i in range(300)]),
    }


@pytest.mark.parametrize("name", ["quit", "confirm", "accept", "path", "new", "recover"])
async def test_fuzz_dialog(workdir, name):
    """Each dialog, kept open: when a key dismisses it, it is opened again."""
    make = dialogs(workdir)[name]
    kind = type(make())
    app = FuzzApp(workdir / "seed.toml")
    results: list = []
    async with fuzzing(app, random.Random(f"{SEED_NO}-{name}"), f"dialog:{name}") as fz:

        async def reopen() -> None:
            if not any(isinstance(s, kind) for s in app.screen_stack):
                app.push_screen(make(), results.append)
                await settle(fz.pilot)

        await fz.run(KEYS // 2, before_burst=reopen)
        await settle(fz.pilot)
        if not fz.crashed():
            for _ in range(3):  # still answering: Esc closes it (a Select's overlay first)
                if any(isinstance(s, kind) for s in app.screen_stack):
                    await fz.pilot.press("escape")
                    await settle(fz.pilot)
            assert not any(isinstance(s, kind) for s in app.screen_stack), (
                "the dialog does not close with Esc: "
                f"{[type(s).__name__ for s in app.screen_stack]}, focus {app.focused!r} D={getattr(app.screen, '_dismissed', None)}"
            )
            assert all(r is None or isinstance(r, (str, bool, Path)) or type(r).__name__ == "NewDraftRequest" for r in results)
            while len(app.screen_stack) > 2:
                app.pop_screen()
            await settle(fz.pilot)
            assert_saved_draft_is_usable(app)


# ---------------------------------------------------------------- the bugs the fuzz found, pinned



def paste(app, text: str) -> None:
    event = events.Paste(text)
    event.set_sender(app)
    app._driver.send_message(event)


@pytest.mark.parametrize(("opener", "keys"), [
    ("f3", ("enter", "enter")),  # 另存为, Enter twice
    ("f6", ("enter", "escape")),  # 导出, Enter then Esc
    ("ctrl+p", ("enter", "enter")),  # command palette
])
async def test_a_second_key_in_a_closing_dialog_does_not_close_the_editor(workdir, opener, keys):
    app = NianbaoApp(workdir / "seed.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(opener)
        await pilot.pause(0.3)
        burst(app, *keys)
        await settle(pilot)
        assert app.editor is not None, [type(s).__name__ for s in app.screen_stack]


async def pick_export_format(pilot, opener: str) -> None:
    """导出 (F6) asks the format first: Enter takes the first, Markdown."""
    if opener == "f6":
        await pilot.press("enter")
        await pilot.pause(0.3)


@pytest.mark.parametrize("opener", ["f3", "f6"])
async def test_a_very_long_file_name_in_a_dialog_is_refused_politely(workdir, opener):
    app = NianbaoApp(workdir / "seed.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(opener)
        await pilot.pause(0.3)
        await pick_export_format(pilot, opener)
        assert isinstance(app.screen, PathScreen)
        paste(app, "年报" * 100)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PathScreen)  # still asking, with a message


@pytest.mark.parametrize("name", ["/", "."])
async def test_a_folder_name_in_a_dialog_is_refused_politely(workdir, name):
    app = NianbaoApp(workdir / "seed.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await pilot.pause(0.3)
        app.screen.query_one("#path", Input).value = ""
        paste(app, name)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PathScreen)


@pytest.mark.parametrize("key", ["pagedown", "pageup"])
async def test_page_down_before_a_list_is_laid_out(workdir, key):
    app = NianbaoApp(workdir / "seed.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        burst(app, "ctrl+p", key)
        await settle(pilot)


@pytest.mark.parametrize("opener", ["f3", "f6"])
async def test_a_nul_in_a_file_name_is_refused_politely(workdir, opener):
    app = NianbaoApp(workdir / "seed.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press(opener)
        await pilot.pause(0.3)
        await pick_export_format(pilot, opener)
        app.screen.query_one("#path", Input).value = ""
        paste(app, "a\x00b")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.editor is not None


@pytest.mark.parametrize("how", ["palette:检查与导出", "palette:全部问题", "keys:f12+f7"])
async def test_jumping_to_the_review_from_the_command_palette(workdir, how):
    from .keys import type_keys

    kind, _, what = how.partition(":")
    app = NianbaoApp(workdir / "seed.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        if kind == "palette":
            await pilot.press("ctrl+p")
            await pilot.pause(0.3)
            await type_keys(pilot, what)
            await pilot.pause(0.5)
            await pilot.press("enter")
        else:
            app.editor.show_entry("s6")
            await settle(pilot)
            burst(app, *what.split("+"))
        await pilot.pause(0.5)
        assert app.editor is not None and app.editor.entry == REVIEW_ENTRY


@pytest.mark.parametrize("where", ["cell", "new-draft-year"])
async def test_digits_that_int_cannot_read_are_refused(workdir, where):
    from textual.widgets import Select

    from .keys import type_keys

    if where == "cell":
        app = NianbaoApp(workdir / "seed.toml")
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            app.editor.show_entry("s3")
            await settle(pilot)
            await type_keys(pilot, "⓻")
            await settle(pilot)
            assert app.editor.session.draft.values[("t3", "new", "natural")] == 0
    else:
        app = NianbaoApp(None, folder=workdir)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            assert isinstance(app.screen, NewDraftScreen)
            app.screen.query_one("#org", Input).value = "某某局"
            app.screen.query_one("#type", Select).value = "其他"
            app.screen.query_one("#year", Input).value = "⓻⓻⓻⓻"
            app.screen.query_one("#year", Input).focus()
            await settle(pilot)
            await pilot.press("enter")
            await settle(pilot)
            assert isinstance(app.screen, NewDraftScreen)  # still asking for a proper year


async def test_the_palette_search_survives_the_palette_closing_under_it(workdir):
    """Fuzz finding (F1, typing, keys closing it in one burst): Textual's palette search worker
    queried its list after it was gone, and NoMatches ended the app."""
    from textual.css.query import NoMatches

    app = NianbaoApp(workdir / "seed.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        palette = app.screen

        def gone(*a, **k):
            raise NoMatches("No nodes match 'CommandList'")

        palette.query_one = gone
        worker = palette._gather_commands("保存")
        await worker.wait()
        await settle(pilot)
        assert app._exception is None and app.is_running


async def test_an_editing_key_with_nothing_to_do_in_a_text_field_is_passed_on(workdir):
    """Fuzz finding: ← at the start of a field makes Input's action raise SkipAction (so the
    key can go on to the screen); OrderedKeys must let it, not crash."""
    app = NianbaoApp(workdir / "seed.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("home", "left", "ctrl+left", "up")
        await settle(pilot)
        assert app._exception is None and isinstance(app.screen, PathScreen)


async def test_a_dialog_behind_the_command_palette_is_not_half_dismissed(workdir):
    """Fuzz finding: F1 over a dialog, then a key that dismisses the dialog. Textual's dismiss
    pops the top screen (the palette), the dialog stayed and Esc no longer closed it."""
    from textual.command import CommandPalette

    app = NianbaoApp(workdir / "seed.toml")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        dialog = AcceptWarningScreen("正文写“受理申请10件”,表三为 9 件")
        app.push_screen(dialog)
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        dialog.dismiss(None)  # what a late key for the dialog does
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is dialog
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is app.editor
