"""Attack classes 3, 4 and 5: number literals, size bombs and quadratic text scans.

Every hostile draft is refused with exit code 2 and a located Chinese message, or checked
normally; never a traceback, never minutes of work."""

from __future__ import annotations

import subprocess
import sys
from decimal import Decimal

import pytest

from nianbao.engine.checks import MAX_FINDINGS_PER_RULE, check
from nianbao.report import tomlsafe
from nianbao.report.template import load_template
from nianbao.report.values import ValueProblem, check_stored, parse_input
from nianbao.store.draft import DraftError, load_draft, parse_draft
from tests.conftest import SEED

SEED_TEXT = SEED.read_text(encoding="utf-8")


def _fee(value: str) -> str:
    assert "fee_amount = 0.0" in SEED_TEXT
    return SEED_TEXT.replace("fee_amount = 0.0", f"fee_amount = {value}")


HOSTILE = {
    "int-5000-digits-under-unknown-key": SEED_TEXT + "\n[zzz]\nx = " + "9" * 5000 + "\n",
    "int-5000-digits-in-a-cell": SEED_TEXT.replace("decisions = 40", "decisions = " + "4" * 5000),
    "hex-100000": SEED_TEXT + "\n[zzz]\nx = 0x" + "f" * 100_000 + "\n",
    "int-beyond-64-bits": SEED_TEXT + "\n[zzz]\nx = 99999999999999999999\n",
    "huge-exponent-fee": _fee("1e9999999999999999999"),
    "tiny-exponent-fee": _fee("1e-999999999"),
    "float-5000-digits": _fee("0." + "1" * 5000),
    "dotted-key-100000": SEED_TEXT + "\n[zzz]\n" + ".".join(["a"] * 100_000) + " = 1\n",
    "header-100000": SEED_TEXT + "\n[" + ".".join(["b"] * 100_000) + "]\n",
    "nested-tables-500": SEED_TEXT + "\n[zzz]\nx = " + "{a = " * 500 + "1" + "}" * 500 + "\n",
    "nested-arrays-1000": SEED_TEXT + "\n[zzz]\nx = " + "[" * 1000 + "]" * 1000 + "\n",
    "unknown-table-500-deep": SEED_TEXT + "\n[" + ".".join(f"k{i}" for i in range(500)) + "]\nx = 1\n",
    "keys-60000": SEED_TEXT + "\n[zzz]\n" + "".join(f"k{i} = 1\n" for i in range(60_000)),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_numbers_and_shapes_are_refused_with_a_place(name):
    with pytest.raises(DraftError) as info:
        parse_draft(HOSTILE[name], "d.toml")
    message = str(info.value)
    assert message.startswith("d.toml") and ("第" in message or "[" in message or "上限" in message or "超过" in message), message


def test_the_cli_exits_2_with_no_traceback(tmp_path):
    for name in ("int-5000-digits-under-unknown-key", "huge-exponent-fee", "hex-100000", "dotted-key-100000"):
        f = tmp_path / f"{name}.toml"
        f.write_text(HOSTILE[name], encoding="utf-8")
        r = subprocess.run([sys.executable, "-m", "nianbao", "check", str(f)], capture_output=True, text=True, timeout=60)
        assert r.returncode == 2, (name, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and "Error" not in r.stderr, r.stderr


def test_places_are_counted_exactly():
    column = next(c for t in load_template().tables.values() for c in t.columns if c.type == "amount")
    assert column.places == 4
    for bad in ("1e-20", "0.00001", "1E-5"):
        with pytest.raises(ValueProblem):
            check_stored(Decimal(bad), column)
    assert check_stored(Decimal("1.50000"), column) == Decimal("1.50000")
    assert check_stored(Decimal("0E-30"), column) == 0


def test_a_5000_digit_cell_input_is_refused_not_crashed():
    count = next(c for t in load_template().tables.values() for c in t.columns if c.type == "count")
    with pytest.raises(ValueProblem):
        parse_input("9" * 5000, count)


def test_limits_leave_real_drafts_alone():
    draft = load_draft(SEED)
    assert draft.org_name
    tomlsafe.prescan("a = 1.5\nb = [1.5, 2.5, 3.5]\nt = 2025-01-01T00:00:00.5\n[x.y.z]\nurl = 'a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.a.b.c.d.e.f.g.h'\n")


def test_findings_of_one_rule_are_capped():
    """A narrative with 5,000 wrong breakdowns: the first ones are listed, the rest counted."""
    draft = load_draft(SEED)
    draft.texts["s1.active"] = "公开信息9条。其中指南1条,文件1条。" * 5000
    findings = [f for f in check(draft) if "其中" in f.message or f.key == "+unlisted"]
    rules = {f.rule for f in findings}
    for rule in rules:
        mine = [f for f in findings if f.rule == rule]
        assert len(mine) <= MAX_FINDINGS_PER_RULE + 1


def test_50000_digit_narrative_is_checked_in_linear_time():
    """Was minutes (quadratic breakdown scan); now well under a second. No timing assertion:
    the text is large enough that a quadratic scan would not end within the test timeout."""
    draft = load_draft(SEED)
    for key in draft.texts:
        draft.texts[key] = "1" * 50_000 + "(" * 20_000 + "条。其中" + "1" * 50_000
    check(draft)


def test_a_deep_unknown_table_within_the_limit_survives_recover_apply(tmp_path):
    """Class 7: 500 deep was a RecursionError in deepcopy; now 500 is refused when read and
    whatever is accepted can be saved, recovered and applied."""
    from nianbao.store.recovery import write_recovery

    header = "[" + ".".join(f"k{i}" for i in range(tomlsafe.MAX_KEY_PARTS - 2)) + "]\nx = 1\n"
    path = tmp_path / "d.toml"
    path.write_text(SEED_TEXT + "\n" + header, encoding="utf-8")
    draft = load_draft(path)
    write_recovery(draft, path)
    r = subprocess.run([sys.executable, "-m", "nianbao", "recover", "--apply", str(path)], capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert "k0" in path.read_text(encoding="utf-8")
