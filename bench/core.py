"""Core benchmark: check, render, and load+check of many drafts. Prints medians; no asserts.

Goals (issue "The report core"): full check < 1 ms, render < 2 ms, load + check of 1,000
drafts < 2 s in total. Run: python bench/core.py
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nianbao.engine.checks import check  # noqa: E402
from nianbao.engine.render import render_markdown  # noqa: E402
from nianbao.store.draft import load_draft  # noqa: E402

SEED = ROOT / "samples" / "yuzhong-emergency-2024.toml"


def per_call(fn, repeat: int = 7, number: int = 200) -> float:
    """Median over `repeat` runs of the mean time of one call, in milliseconds."""
    runs = []
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn()
        runs.append((time.perf_counter() - t) / number * 1000)
    return statistics.median(runs)


def main() -> None:
    draft = load_draft(SEED)
    broken = load_draft(SEED)
    broken.values[("t3", "new", "natural")] = 1
    print(f"check, clean seed report      {per_call(lambda: check(draft)):.3f} ms  (goal < 1 ms)")
    print(f"check, report with errors     {per_call(lambda: check(broken)):.3f} ms  (goal < 1 ms)")
    print(f"render Markdown (pipe tables) {per_call(lambda: render_markdown(draft)):.3f} ms  (goal < 2 ms)")
    print(f"render Markdown (html tables) {per_call(lambda: render_markdown(draft, tables='html')):.3f} ms")
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i in range(1000):
            p = Path(tmp) / f"d{i:04}.toml"
            shutil.copy(SEED, p)
            paths.append(p)
        runs = []
        for _ in range(3):
            t = time.perf_counter()
            for p in paths:
                check(load_draft(p))
            runs.append(time.perf_counter() - t)
        print(f"load + check 1,000 drafts     {statistics.median(runs):.2f} s   (goal < 2 s)")


if __name__ == "__main__":
    main()
