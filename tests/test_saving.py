"""Saving keeps the clerk's file: comments, the order of tables and keys, and the spelling of
every value it does not change. A save touches only what changed (and the `updated` stamp)."""

from __future__ import annotations

import difflib
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.report.template import load_template
from nianbao.store.draft import dumps, load_draft, new_draft, parse_draft, save_draft
from nianbao.store.migrate_files import migrate_text

from .test_migrate import v2, version1_text  # noqa: F401  (v2: the fixture installing template version 2)

# A draft as a clerk might keep it by hand: comments everywhere, its own order of tables (the
# tables before the texts, [meta] before [draft]) and of keys, spellings a writer would not pick.
HAND_WRITTEN = '''\
# 2025 年报草稿,办公室小王维护
# 数字以业务台账为准

[meta]
year = 2025          # 报告年度
org_name = '河西区档案局'
org_type = "县级人民政府部门"
contact = ""

[draft]
updated = 2025-03-02 10:15:00+08:00
created = 2025-03-01 09:00:00+08:00
template_version = 1
template = "gov-info-disclosure-2021"

# ---- 二、主动公开 ----
[tables.t2.penalty]
decisions = 12   # 含简易程序

[tables.t2.licensing]
# 台账第 3 页
decisions = 1_024

# ---- 三、依申请公开 ----
[tables.t3.new]
other_org = 1
natural = 7

# ---- 收费 ----
[tables.t2.fees]
fee_amount = 0.50

[text.s1]
active = \'\'\'第一段,原样保留。
第二段:路径 C:\\台账\\2025 也原样保留。\'\'\'

[text.s6]
other = "其他事项。"

# 本地插件的设置,nianbao 不认识但要保留
[plugin]
color = "blue"   # 别删
'''

T = load_template()
CHANGED = {"updated"}  # the stamp every save rewrites


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    """(lines only in before, lines only in after) of a line diff."""
    gone, added = [], []
    for line in difflib.ndiff(before.splitlines(), after.splitlines()):
        if line.startswith("- "):
            gone.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return gone, added


def not_the_stamp(lines: list[str]) -> list[str]:
    return [x for x in lines if not x.startswith("updated = ")]


@pytest.fixture
def hand(tmp_path):
    path = tmp_path / "草稿.toml"
    path.write_text(HAND_WRITTEN, encoding="utf-8")
    return path


def saved_after(path, change) -> str:
    draft = load_draft(path)
    change(draft)
    save_draft(draft, path)
    return path.read_text(encoding="utf-8")


def test_one_changed_cell_is_the_whole_diff(hand):
    after = saved_after(hand, lambda d: d.set_value(("t2", "licensing", "decisions"), 1025))
    gone, added = changed_lines(HAND_WRITTEN, after)
    assert not_the_stamp(gone) == ["decisions = 1_024"]
    assert not_the_stamp(added) == ["decisions = 1025"]
    assert [x for x in gone if x.startswith("updated")] == ["updated = 2025-03-02 10:15:00+08:00"]
    assert len(added) == 2  # the cell and the stamp, written in the file's own style (a space, not T)
    assert any(x.startswith("updated = ") and "T" not in x for x in added)


def test_a_save_without_a_change_and_without_the_stamp_writes_the_same_bytes(hand):
    draft = load_draft(hand)
    assert save_draft(draft, hand, touch=False) == HAND_WRITTEN.encode("utf-8")


def test_comments_and_the_order_of_tables_and_keys_are_kept(hand):
    after = saved_after(hand, lambda d: d.set_value(("t3", "new", "natural"), 8))
    for line in HAND_WRITTEN.splitlines():
        if line.lstrip().startswith("#") or "#" in line:
            assert line in after.splitlines()
    headers = [x for x in after.splitlines() if x.startswith("[")]
    assert headers == [x for x in HAND_WRITTEN.splitlines() if x.startswith("[")]
    meta = after.split("[meta]")[1].split("[draft]")[0]
    assert meta.index("year") < meta.index("org_name") < meta.index("org_type")
    new = after.split("[tables.t3.new]")[1]
    assert new.index("other_org") < new.index("natural = 8")


def test_values_it_does_not_change_keep_their_spelling(hand):
    after = saved_after(hand, lambda d: d.set_value(("t2", "penalty", "decisions"), 13))
    for spelled in ("org_name = '河西区档案局'", "decisions = 1_024", "fee_amount = 0.50", "active = '''第一段"):
        assert spelled in after
    assert "decisions = 13   # 含简易程序" in after  # the inline comment stays with its value


def test_a_new_cell_goes_into_its_own_table_after_the_last_key(hand):
    after = saved_after(hand, lambda d: d.set_value(("t3", "new", "business"), 3))
    gone, added = changed_lines(HAND_WRITTEN, after)
    assert not_the_stamp(gone) == [] and not_the_stamp(added) == ["business = 3"]
    table = after.split("[tables.t3.new]\n")[1].split("[")[0]
    assert table.splitlines()[:3] == ["other_org = 1", "natural = 7", "business = 3"]
    # ... and before the comment that introduces the next table
    assert after.index("business = 3") < after.index("# ---- 收费 ----")


def test_a_cell_of_a_row_the_file_lacks_gets_its_row_table(hand):
    after = saved_after(hand, lambda d: d.set_value(("t3", "carried", "business"), 2))
    assert "[tables.t3.carried]\nbusiness = 2\n" in after
    assert after.index("[tables.t3.new]") < after.index("[tables.t3.carried]") < after.index("[tables.t2.fees]")
    assert load_draft(hand).values[("t3", "carried", "business")] == 2
    gone, _ = changed_lines(HAND_WRITTEN, after)
    assert not_the_stamp(gone) == []


def test_a_new_row_table_goes_above_the_comment_that_introduces_the_next_table(hand):
    after = saved_after(hand, lambda d: d.set_value(("t3", "carried", "legal"), 1))
    assert "natural = 7\n\n[tables.t3.carried]\nlegal = 1\n\n# ---- 收费 ----\n[tables.t2.fees]" in after
    gone, _ = changed_lines(HAND_WRITTEN, after)
    assert not_the_stamp(gone) == []


def test_a_cleared_cell_is_removed_and_nothing_else(hand):
    after = saved_after(hand, lambda d: d.set_value(("t3", "new", "other_org"), None))
    gone, added = changed_lines(HAND_WRITTEN, after)
    assert not_the_stamp(gone) == ["other_org = 1"] and not_the_stamp(added) == []
    assert ("t3", "new", "other_org") not in load_draft(hand).values


def test_a_cleared_text_is_removed_and_a_cleared_empty_field_stays_as_written(hand):
    def clear(d):
        d.texts["s6.other"] = ""
        d.meta["org_type"] = ""

    after = saved_after(hand, clear)
    gone, added = changed_lines(HAND_WRITTEN, after)
    assert sorted(not_the_stamp(gone)) == ['org_type = "县级人民政府部门"', 'other = "其他事项。"']
    assert not_the_stamp(added) == []
    assert 'contact = ""' in after  # empty in the file already: left as the clerk wrote it


def test_empty_fields_are_not_written_in_a_new_draft(tmp_path):
    draft = new_draft(T, "某局", 2025)
    save_draft(draft, tmp_path / "新.toml")
    text = (tmp_path / "新.toml").read_text(encoding="utf-8")
    assert '= ""' not in text and "[text" not in text
    again = load_draft(tmp_path / "新.toml")
    assert again.same_content(draft)


@pytest.mark.parametrize(
    "value",
    [
        "第一行\n第二行",
        'He said """hi""" and left\\n a backslash \\',
        "ends with a quote\"",
        "\n starts with a newline",
        "tab\there\nand a trailing newline\n",
        "'''\n''' both kinds \"\"\" of quotes",
    ],
)
def test_multi_line_texts_are_written_so_they_read_back_exactly(hand, value):
    after = saved_after(hand, lambda d: d.texts.__setitem__("s6.other", value))
    assert load_draft(hand).texts["s6.other"] == value
    gone, _ = changed_lines(HAND_WRITTEN, after)
    assert not_the_stamp(gone) == ['other = "其他事项。"']


def test_an_unchanged_multi_line_text_keeps_its_quotes(hand):
    after = saved_after(hand, lambda d: d.texts.__setitem__("s1.requests", "新写的一段。"))
    assert "active = '''第一段,原样保留。\n第二段:路径 C:\\台账\\2025 也原样保留。'''" in after
    assert 'requests = "新写的一段。"' in after
    assert after.index("requests") > after.index("也原样保留")  # after the last key of [text.s1]


def test_unknown_keys_and_their_comments_survive(hand):
    text = HAND_WRITTEN.replace("[tables.t3.new]\n", "[tables.t3.new]\nnext_gen = 5  # 新版本的列\n")
    hand.write_text(text, encoding="utf-8")
    after = saved_after(hand, lambda d: d.set_value(("t3", "new", "natural"), 9))
    assert "next_gen = 5  # 新版本的列" in after
    assert '# 本地插件的设置,nianbao 不认识但要保留\n[plugin]\ncolor = "blue"   # 别删' in after


def test_an_exact_amount_keeps_its_decimals(hand):
    after = saved_after(hand, lambda d: d.set_value(("t2", "fees", "fee_amount"), Decimal("12.3450")))
    assert "fee_amount = 12.3450" in after
    assert load_draft(hand).values[("t2", "fees", "fee_amount")] == Decimal("12.345")


def test_acknowledgements_are_appended_as_a_table_array(hand):
    from nianbao.store.draft import Acknowledgement

    def ack(d):
        d.acks.append(Acknowledgement("W1", "t3", "台账如此", "abc"))

    after = saved_after(hand, ack)
    assert "[[acknowledged]]" in after
    assert load_draft(hand).acks[0].reason == "台账如此"
    gone, _ = changed_lines(HAND_WRITTEN, after)
    assert not_the_stamp(gone) == []


def test_the_session_saves_the_same_way(hand):
    """What F2 in the app does: the diff is the cell and the stamp."""
    from nianbao.editing.session import Session

    session = Session.open(hand)
    session.set_value(("t3", "new", "natural"), 70)
    session.save()
    gone, added = changed_lines(HAND_WRITTEN, hand.read_text(encoding="utf-8"))
    assert not_the_stamp(gone) == ["natural = 7"] and not_the_stamp(added) == ["natural = 70"]


def test_the_recovery_file_keeps_the_clerks_file_too(hand):
    draft = load_draft(hand)
    draft.set_value(("t3", "new", "natural"), 70)
    gone, added = changed_lines(HAND_WRITTEN, dumps(draft))
    assert gone == ["natural = 7"] and added == ["natural = 70"]


@pytest.mark.usefixtures("v2")
def test_a_migration_keeps_the_comments_and_moves_only_what_it_must():
    old = "# 手写的备注\n" + version1_text().replace("[tables.t3.new]\n", "# 新收到的\n[tables.t3.new]\n")
    new, changes = migrate_text(old, "v1.toml")
    assert new is not None and changes
    assert new.startswith("# 手写的备注\n") and "# 新收到的\n[tables.t3.new]\n" in new
    assert "[tables.t3.carry]" not in new and "[tables.t3.carried]" in new
    assert "[tables.t2.licensing]\ndecisions = 40\n\n# 新收到的\n[tables.t3.new]" in new  # the comment stays above its table


cell_values = st.one_of(st.none(), st.integers(min_value=0, max_value=10**6))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(T.input_cells), cell_values), max_size=8))
def test_any_changes_read_back_and_every_comment_stays(changes):
    draft = parse_draft(HAND_WRITTEN, "草稿.toml")
    for ref, value in changes:
        if T.column(ref).type == "amount" and value is not None:
            value = Decimal(value) / 100
        draft.set_value((ref.table, ref.row, ref.col), value)
    text = dumps(draft)
    again = parse_draft(text, "草稿.toml")
    assert again.values == draft.values and again.texts == draft.texts
    for line in HAND_WRITTEN.splitlines():
        if line.startswith("#"):
            assert line in text.splitlines()
