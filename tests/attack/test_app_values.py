"""Attack class 6: values in a draft's [app] table are data; a wrong resume position is ignored."""

from __future__ import annotations

import pytest

from nianbao.store.draft import parse_draft
from tests.conftest import SEED

SEED_TEXT = SEED.read_text(encoding="utf-8")

BAD_APP = [
    "cell = 5",
    "section = [1]",
    "section = {a = 1}",
    'cell = "t3.nope.total"',
    'cell = "t3"',
    'cell = "..."',
    'field = "s9.x"',
    "field = true",
    'section = "' + "s" * 5000 + '"',
]


@pytest.mark.parametrize("line", BAD_APP)
def test_a_wrong_resume_position_is_dropped_when_read(line):
    draft = parse_draft(SEED_TEXT + f"\n[app]\n{line}\n", "d.toml")
    assert all(isinstance(v, str) and len(v) <= 200 for v in draft.ui.values())
    assert "cell" not in draft.ui and "field" not in draft.ui


def test_a_good_resume_position_is_kept():
    draft = parse_draft(SEED_TEXT + '\n[app]\nsection = "s3"\ncell = "t3.new.total"\nfield = "s1.active"\n', "d.toml")
    assert draft.ui == {"section": "s3", "cell": "t3.new.total", "field": "s1.active"}


@pytest.mark.parametrize("line", ["cell = 5", "section = [1]", 'cell = "t3.nope.total"'])
async def test_the_app_opens_a_draft_with_a_wrong_resume_position(tmp_path, line):
    from nianbao.app.app import NianbaoApp

    path = tmp_path / "d.toml"
    path.write_text(SEED_TEXT + f"\n[app]\n{line}\n", encoding="utf-8")
    app = NianbaoApp(str(path))
    async with app.run_test() as pilot:
        await pilot.pause()
        assert app.screen is not None
