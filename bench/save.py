"""Time of one save of the sample draft: the text written through tomlkit (docs/saving.md).

Run: `python bench/save.py` (from the repo root). Prints the median and the best of many runs,
for rendering alone (what an autosave's recovery file costs) and for a whole save (fsync too).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tui"))

from nianbao.store.draft import dumps, load_draft, save_draft  # noqa: E402

SAMPLE = ROOT / "samples" / "yuzhong-emergency-2024.toml"


def timed(action, runs: int = 40) -> list[float]:
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        out.append((time.perf_counter() - start) * 1000)
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "draft.toml"
        shutil.copy(SAMPLE, path)
        draft = load_draft(path)
        counter = iter(range(10**6))

        def change() -> None:
            draft.values[("t2", "licensing", "decisions")] = next(counter)

        first = timed(lambda: dumps(draft), runs=1)  # parses the text once
        render = timed(lambda: (change(), dumps(draft)))
        save = timed(lambda: (change(), save_draft(draft, path)))
    print(f"{'what':<40} {'median ms':>10} {'min ms':>8}")
    print(f"{'first render (parses the file)':<40} {first[0]:>10.2f} {first[0]:>8.2f}")
    print(f"{'render after a change (autosave)':<40} {statistics.median(render):>10.2f} {min(render):>8.2f}")
    print(f"{'save after a change (render + fsync)':<40} {statistics.median(save):>10.2f} {min(save):>8.2f}")


if __name__ == "__main__":
    main()
