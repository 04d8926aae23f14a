"""App benchmark: keystroke latency in table 三, start-up time and peak memory. No asserts.

    python bench/app.py [-n 200] [--per-cell 5] [--gap-ms 30] [--runs 10] [--size 120x40]
                        [--skip-keys] [--skip-startup] [--profile-keys FILE]

Goals (the app's issue): key → updated totals and problems ≤ 2 ms (median); key → next
composed frame ≤ 25 ms median, ≤ 35 ms p95; start to first usable screen with the seed draft
≤ 1.3× a bare Textual app (Header, Footer, one Input); peak memory ≤ 1.3× the same bare app.

Method (shared/reference/textual-bench): Pilot's press()/pause() sleep in 20 ms steps and so
measure Pilot, not the app. Here each key event is handed to the driver exactly as Pilot does
(`app._driver.send_message(events.Key(...))`) and the app stamps its own progress:
  key → handler   (starts: the screen's CellChanged handler calls Session.set_value)
                  end of EditorScreen._after_change (session checked, navigator, problems
                  pane, grid marks and header updated), plus reading the row's new total,
                  so the totals are computed inside the timed span too;
  key → frame     the next App._display after that (the compositor has drawn the update;
                  headless skips only writing escape codes to a terminal). Frames come on a
                  1/60 s timer, so up to ~17 ms of this is waiting by design.
An untimed gap (30 ms, a fast typist) precedes every key, so each starts from an idle app.
Digits go into table 三 (25 rows × 7 columns), --per-cell digits per cell, moving to another
input cell (untimed) in between; after every key the row total and the problems pane are
checked against an independent sum.

Start-up spawns `python -c …` children (after one warm-up each) that run the app headless and
stamp time.monotonic_ns() once the first screen is usable: after Ready, at the first refresh
where the expected screen is active and has focus (for nianbao: the editor, seed draft open,
focus in 基本信息). The parent subtracts its own monotonic reading taken just before the
spawn. Each child reports its peak RSS (VmHWM; ru_maxrss where there is no /proc). The bare
app, and the floors (`pass`, `import textual.app`, `import nianbao.app.app`, stamped after the
import), run in the same session, interleaved, because run-to-run drift on these machines is
5–10 % and other processes may be running.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = ROOT / "samples" / "yuzhong-emergency-2024.toml"
MARK = "BENCH_"


# ---------------------------------------------------------------- statistics


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


def row(label: str, values: list[float], goal: str = "", unit: str = "ms", ok: bool | None = None) -> str:
    med = statistics.median(values)
    verdict = "" if ok is None else ("ok" if ok else "MISSED")
    return (
        f"{label:<38} {med:9.2f} {pct(values, 95):9.2f} {min(values):9.2f} {max(values):9.2f}"
        f" {unit:<4} {len(values):>4}  {goal:<22} {verdict}"
    )


HEADER = f"{'what':<38} {'median':>9} {'p95':>9} {'min':>9} {'max':>9} {'unit':<4} {'n':>4}  {'goal':<22}"


# ---------------------------------------------------------------- keystrokes in table 三


async def _until(condition, timeout: float = 5.0) -> None:
    """Yield to the event loop until condition() holds."""
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit("timed out waiting for the app")
        await asyncio.sleep(0)


async def measure_keys(path: Path, n: int, per_cell: int, gap_ms: float, size: tuple[int, int]) -> dict:
    from textual import events

    from nianbao.app.app import NianbaoApp
    from nianbao.app.widgets.problems import ProblemsPane
    from nianbao.app.widgets.table_grid import TableGrid

    app = NianbaoApp(path)
    handled: list[int] = []
    started: list[int] = []  # the screen's handler calls Session.set_value
    frames: list[int] = []
    handler_ms: list[float] = []
    start_ms: list[float] = []
    frame_ms: list[float] = []
    first: list[bool] = []  # the key starts an edit (the first digit typed into a cell)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        editor = app.editor
        assert editor is not None, "the editor did not open"
        editor.show_entry("s3")
        await pilot.pause()
        await pilot.pause()
        grid = editor.query_one("#grid-t3", TableGrid)
        assert app.focused is grid
        table = grid.table
        inputs = list(grid._enter_order["right"])
        session = editor.session
        base = {k: session.value(k) or 0 for k in inputs}
        problems = editor.query_one("#problems", ProblemsPane)

        # Stamps come from inside the app: this coroutine may be scheduled late (e.g. behind
        # a frame being composed). Instance attributes shadow the methods; nothing else changes.
        original_after_change = editor._after_change
        original_display = app._display
        watched_row: list[str] = [""]

        def after_change() -> None:
            original_after_change()
            session.value((table.id, watched_row[0], "total"))  # totals computed in the span
            handled.append(time.perf_counter_ns())

        def display(screen, renderable) -> None:
            original_display(screen, renderable)
            frames.append(time.perf_counter_ns())

        original_set_value = session.set_value

        def set_value(key, value) -> bool:
            started.append(time.perf_counter_ns())
            return original_set_value(key, value)

        editor._after_change = after_change
        app._display = display
        session.set_value = set_value

        typed: dict[tuple[str, str, str], str] = {}
        cell = inputs[0]
        for i in range(n):
            if i % per_cell == 0:  # another cell, far from the last one (untimed)
                cell = inputs[(i // per_cell * 37) % len(inputs)]
                grid.move_to(cell)
                await pilot.pause()
                typed[cell] = ""
            await asyncio.sleep(gap_ms / 1000)
            digit = str((i * 7 + 3) % 10)
            first.append(not typed[cell])
            if not typed[cell]:
                digit = str(1 + (i * 7 + 3) % 9)  # a leading digit that changes the value
            typed[cell] += digit
            watched_row[0] = cell[1]
            expected = sum(
                int(typed[k]) if typed.get(k) else base[k] for k in inputs if k[1] == cell[1]
            )
            event = events.Key(digit, digit)
            event.set_sender(app)
            t0 = time.perf_counter_ns()
            app._driver.send_message(event)
            await _until(
                lambda t0=t0: bool(handled) and handled[-1] > t0 and bool(frames) and frames[-1] > handled[-1]
            )
            t_handled = next(t for t in handled if t > t0)
            t_frame = next(t for t in frames if t > t_handled)
            total = session.value((table.id, cell[1], "total"))
            if total != expected:
                raise SystemExit(f"key {i}: total of {cell[1]} is {total}, expected {expected}")
            if problems.findings != session.findings_for("s3"):
                raise SystemExit(f"key {i}: the problems pane is behind the session")
            start_ms.append((next(t for t in started if t > t0) - t0) / 1e6)
            handler_ms.append((t_handled - t0) / 1e6)
            frame_ms.append((t_frame - t0) / 1e6)
        open_problems = len(session.findings_for("s3"))
        widgets = len(list(app.screen.walk_children()))
        app._display = original_display
    return {
        "handler": handler_ms,
        "start": start_ms,
        "frame": frame_ms,
        "first": first,
        "cells": len(typed),
        "problems": open_problems,
        "widgets": widgets,
    }


# ---------------------------------------------------------------- start-up in child processes

# Run as `python -c CHILD KIND PATH WIDTH HEIGHT`. Standard library only until the app is
# imported, so the child's own imports are part of the time measured.
CHILD = r"""
import resource, sys, time
kind, path, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
marks = {}

def usable(app, expected):
    screen = app.screen
    focused = app.focused
    return isinstance(screen, expected) and focused is not None and focused.screen is screen

def ready_mixin(base, expected_screen):
    class Bench(base):
        def on_ready(self):
            marks["ready"] = time.monotonic_ns()
            self.call_after_refresh(self._bench_poll)

        def _bench_poll(self):
            if usable(self, expected_screen()):
                marks["usable"] = time.monotonic_ns()
                self.exit()
            else:
                self.call_after_refresh(self._bench_poll)

    Bench.__name__ = base.__name__
    Bench.__module__ = base.__module__
    return Bench

if kind == "bare":
    from textual.app import App
    from textual.screen import Screen
    from textual.widgets import Footer, Header, Input

    class BareApp(App):
        def compose(self):
            yield Header()
            yield Input(placeholder="type here")
            yield Footer()

    app = ready_mixin(BareApp, lambda: Screen)()
else:
    from nianbao.app.app import NianbaoApp
    from nianbao.app.screens.editor import EditorScreen

    app = ready_mixin(NianbaoApp, lambda: EditorScreen)(path)

app.run(headless=True, size=(width, height))
if "usable" not in marks:
    sys.exit("never became usable")
print(f"BENCH_READY={marks['ready']}")
print(f"BENCH_USABLE={marks['usable']}")
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent across exec.
with open("/proc/self/status") as fh:
    hwm = next((line.split()[1] for line in fh if line.startswith("VmHWM:")), None)
print(f"BENCH_MAXRSS_KB={hwm or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}")
"""

FLOORS = {
    "python -c pass": "pass",
    "import textual.app": "import textual.app",
    "import nianbao.app.app": "import nianbao.app.app",
}


def spawn(argv: list[str], env: dict[str, str]) -> dict[str, float]:
    t0 = time.monotonic_ns()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT)
    t_exit = time.monotonic_ns()
    if proc.returncode != 0:
        raise SystemExit(f"{argv[:3]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    out = {"exit": (t_exit - t0) / 1e6}
    for line in proc.stdout.splitlines():
        if line.startswith(MARK) and "=" in line:
            name, value = line[len(MARK):].split("=", 1)
            if name == "MAXRSS_KB":
                out["rss"] = int(value) / 1024
            else:
                out[name.lower()] = (int(value) - t0) / 1e6
    return out


def measure_startup(runs: int, size: tuple[int, int], work: Path) -> dict[str, dict[str, list[float]]]:
    env = dict(os.environ)
    env["XDG_CONFIG_HOME"] = str(work / "config")  # the recent-drafts list stays out of $HOME
    env.pop("TEXTUAL", None)
    # As installed for a clerk: bytecode is cached, so the warm-up run writes any .pyc files
    # that are missing or stale (some sandboxes set PYTHONDONTWRITEBYTECODE=1).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    python = sys.executable
    series: dict[str, dict[str, list[float]]] = {}

    def one(kind: str) -> dict[str, float]:
        folder = Path(tempfile.mkdtemp(dir=work))  # a fresh copy: no recovery or lock files
        path = folder / "seed.toml"
        shutil.copy(SEED, path)
        return spawn([python, "-c", CHILD, kind, str(path), str(size[0]), str(size[1])], env)

    stamp = "\nimport time; print(f'BENCH_DONE={time.monotonic_ns()}')"  # before interpreter teardown
    floors = {label: [python, "-c", code + stamp] for label, code in FLOORS.items()}
    for kind in ("bare", "nianbao"):  # warm-up: disk cache, .pyc files
        one(kind)
    for argv in floors.values():
        spawn(argv, env)
    for _ in range(runs):  # interleaved, so drift and other load hit all alike
        for kind in ("bare", "nianbao"):
            for name, value in one(kind).items():
                series.setdefault(kind, {}).setdefault(name, []).append(value)
        for label, argv in floors.items():
            series.setdefault(label, {}).setdefault("done", []).append(spawn(argv, env)["done"])
    return series


# ---------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=200, help="digit keys to time")
    parser.add_argument("--per-cell", type=int, default=5, help="digits typed into each cell")
    parser.add_argument("--gap-ms", type=float, default=30, help="untimed pause before each key")
    parser.add_argument("--runs", type=int, default=10, help="start-up runs of each app")
    parser.add_argument("--size", default="120x40", help="terminal size WxH")
    parser.add_argument("--skip-keys", action="store_true")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--profile-keys", metavar="FILE", help="write a cProfile of the key pass")
    args = parser.parse_args()
    size = tuple(int(v) for v in args.size.lower().split("x"))
    assert len(size) == 2

    with tempfile.TemporaryDirectory(prefix="nianbao-bench-") as tmp:
        work = Path(tmp)
        os.environ["XDG_CONFIG_HOME"] = str(work / "config")  # in-process app too
        python = sys.version.split()[0]
        lines = [f"# nianbao app benchmark · Python {python} · {os.cpu_count()} CPUs · size {args.size}"]
        keys = startup = None
        if not args.skip_startup:
            startup = measure_startup(args.runs, size, work)
        if not args.skip_keys:
            path = work / "keys" / "seed.toml"
            path.parent.mkdir()
            shutil.copy(SEED, path)
            coro = measure_keys(path, args.n, args.per_cell, args.gap_ms, size)
            if args.profile_keys:
                import cProfile

                profiler = cProfile.Profile()
                keys = profiler.runcall(asyncio.run, coro)
                profiler.dump_stats(args.profile_keys)
            else:
                keys = asyncio.run(coro)

    lines.append(HEADER)
    if keys:
        h, f = keys["handler"], keys["frame"]
        ok = statistics.median(h) <= 2
        lines.append(row("key → totals+problems (handler)", h, "median ≤ 2 ms", ok=ok))
        lines.append(row("  · key → handler starts", keys["start"]))
        lines.append(
            row(
                "key → next frame",
                f,
                "median ≤ 25, p95 ≤ 35",
                ok=statistics.median(f) <= 25 and pct(f, 95) <= 35,
            )
        )
        for name, pick in (("first digit in a cell", True), ("following digits", False)):
            hs = [v for v, is_first in zip(h, keys["first"]) if is_first == pick]
            fs = [v for v, is_first in zip(f, keys["first"]) if is_first == pick]
            if hs:
                lines.append(row(f"  · {name}: handler", hs))
                lines.append(row(f"  · {name}: frame", fs))
    if startup:
        bare, app = startup["bare"], startup["nianbao"]
        lines.append(row("bare app: spawn → ready", bare["ready"]))
        lines.append(row("bare app: spawn → usable", bare["usable"]))
        lines.append(row("nianbao + seed: spawn → ready", app["ready"]))
        ratio = statistics.median(app["usable"]) / statistics.median(bare["usable"])
        goal = f"≤ 1.3× bare: {ratio:.2f}×"
        lines.append(row("nianbao + seed: spawn → usable", app["usable"], goal, ok=ratio <= 1.3))
        lines.append(row("bare app: peak RSS", bare["rss"], unit="MiB"))
        rss_ratio = statistics.median(app["rss"]) / statistics.median(bare["rss"])
        goal = f"≤ 1.3× bare: {rss_ratio:.2f}×"
        lines.append(row("nianbao + seed: peak RSS", app["rss"], goal, unit="MiB", ok=rss_ratio <= 1.3))
        for label in FLOORS:
            lines.append(row(f"floor: spawn → {label}", startup[label]["done"]))
    if keys:
        lines.append(
            f"# keys: {len(keys['handler'])} digits into {keys['cells']} cells of table 三, "
            f"{args.gap_ms:g} ms gap; {keys['widgets']} widgets on the editor; "
            f"{keys['problems']} open problems in 三 at the end"
        )
    if startup:
        lines.append(
            f"# start-up: {args.runs} runs each after 1 warm-up, interleaved; "
            "ready = Textual's Ready, usable = expected screen active with focus"
        )
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
