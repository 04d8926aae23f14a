from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.engine.carry import carry_forward
from nianbao.report.template import load_template
from nianbao.store.draft import DraftError, dumps, load_draft, new_draft, normalize_newlines, parse_draft, save_draft

from .conftest import SEED

T = load_template()


def test_seed_loads_with_its_numbers():
    d = load_draft(SEED)
    assert d.org_name == "渝中区应急管理局" and d.year == 2024
    assert d.values[("t2", "licensing", "decisions")] == 40
    assert d.values[("t2", "penalty", "decisions")] == 22
    assert d.values[("t4", "cases", "review_pending")] == 3
    assert d.values[("t4", "cases", "after_upheld")] == 1
    assert ("t3", "total", "total") not in d.values  # derived cells are not stored


def test_save_load_roundtrip(tmp_path):
    d = load_draft(SEED)
    save_draft(d, tmp_path / "x.toml")
    again = load_draft(tmp_path / "x.toml")
    assert again.same_content(d)


def test_unknown_keys_survive_a_save(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    text = text.replace("[meta]\n", "[meta]\nfuture_field = \"新版本的字段\"\n", 1)
    text = text.replace("[tables.t3.new]\n", "[tables.t3.new]\nnext_gen_col = 5\n", 1)
    text += "\n[plugin]\nsetting = 3\n"
    src = tmp_path / "future.toml"
    src.write_text(text, encoding="utf-8")
    d = load_draft(src)
    assert "meta.future_field" in d.unknown and "plugin" in d.unknown
    d.values[("t2", "licensing", "decisions")] = 41
    save_draft(d, src)
    out = src.read_text(encoding="utf-8")
    assert 'future_field = "新版本的字段"' in out
    assert "[plugin]" in out and "setting = 3" in out
    assert "next_gen_col = 5" in out
    assert load_draft(src).values[("t2", "licensing", "decisions")] == 41


def test_typed_totals_are_kept(tmp_path):
    text = SEED.read_text(encoding="utf-8").replace("[tables.t3.new]\n", "[tables.t3.new]\ntotal = 7\n", 1)
    p = tmp_path / "typed.toml"
    p.write_text(text, encoding="utf-8")
    d = load_draft(p)
    assert d.values[("t3", "new", "total")] == 7
    save_draft(d, p)
    assert load_draft(p).values[("t3", "new", "total")] == 7


def test_fee_is_exact_decimal(tmp_path):
    d = load_draft(SEED)
    d.values[("t2", "fees", "fee_amount")] = Decimal("12.3456")
    save_draft(d, tmp_path / "f.toml")
    assert load_draft(tmp_path / "f.toml").values[("t2", "fees", "fee_amount")] == Decimal("12.3456")


def test_save_is_atomic_when_the_rename_fails(tmp_path, monkeypatch):
    p = tmp_path / "d.toml"
    save_draft(load_draft(SEED), p)
    before = p.read_bytes()
    d = load_draft(p)
    d.texts["s6.other"] = "改过的文字" * 10

    def boom(*a, **k):
        raise OSError(5, "I/O error")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(DraftError):
        save_draft(d, p)
    assert p.read_bytes() == before
    assert [x.name for x in tmp_path.iterdir()] == ["d.toml"]  # no temporary file left


def test_carry_forward_takes_last_years_figures():
    last = load_draft(SEED)
    last.values[("t3", "next_year", "natural")] = 2
    d = carry_forward(last, T)
    assert d.year == 2025 and d.org_name == last.org_name
    assert d.values[("t3", "carried", "natural")] == 2
    assert ("t3", "carried", "total") not in d.values


# ---------------------------------------------------------------- bad input names the place

BAD = [
    ("[draft\ntemplate = 1", "第 1 行"),
    ('[draft]\ntemplate = "nope"\n', "未知的模板"),
    ("", "文件是空的"),
]


def _seed_with(old: str, new: str) -> str:
    text = SEED.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize(
    "old,new,expected",
    [
        ("decisions = 40", 'decisions = "四十"', ["licensing", "decisions", "文字", "行政许可"]),
        ("decisions = 40", "decisions = -4", ["不能是负数"]),
        ("decisions = 40", "decisions = 4.5", ["整数"]),
        ("decisions = 40", "decisions = 10000000000", ["过大"]),
        ("fee_amount = 0.0", "fee_amount = 0.123456", ["4 位小数"]),
        ("year = 2024", 'year = "去年"', ["年度"]),
        ('org_type = "县级人民政府部门"', 'org_type = "居委会"', ["不是可选值"]),
        ('template = "gov-info-disclosure-2021"', 'template = "gov-2099"', ["未知的模板"]),
        ("decisions = 40", "decisions = ", ["TOML 语法错误", "行"]),
    ],
)
def test_bad_values_name_the_place(tmp_path, old, new, expected):
    p = tmp_path / "bad.toml"
    p.write_text(_seed_with(old, new), encoding="utf-8")
    with pytest.raises(DraftError) as info:
        load_draft(p)
    message = str(info.value)
    assert str(p) in message
    for word in expected:
        assert word in message
    if "TOML" not in message and "模板" not in message:
        assert "行" in message  # the line of the offending key


def test_unreadable_files(tmp_path):
    with pytest.raises(DraftError, match="不存在"):
        load_draft(tmp_path / "missing.toml")
    with pytest.raises(DraftError, match="文件夹"):
        load_draft(tmp_path)
    (tmp_path / "gbk.toml").write_bytes("[meta]\norg_name = \"应急局\"\n".encode("gbk"))
    with pytest.raises(DraftError, match="UTF-8"):
        load_draft(tmp_path / "gbk.toml")
    (tmp_path / "empty.toml").write_text("  \n", encoding="utf-8")
    with pytest.raises(DraftError, match="空"):
        load_draft(tmp_path / "empty.toml")


# ---------------------------------------------------------------- property: save -> load is identity

count = st.one_of(st.none(), st.integers(min_value=0, max_value=10**9))
fee = st.one_of(st.none(), st.decimals(min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False))
text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=60)


@st.composite
def drafts(draw):
    d = new_draft(T, draw(text), draw(st.one_of(st.none(), st.integers(1990, 2200))), draw(st.sampled_from(("",) + T.meta_by_id["org_type"].choices)))
    d.meta["contact"] = draw(text)
    d.meta["publish_date"] = draw(st.one_of(st.just(""), st.dates(dt.date(2000, 1, 1), dt.date(2100, 1, 1))))
    for f in T.fields:
        d.texts[f.key] = draw(text)
    for ref in T.input_cells:
        col = T.column(ref)
        v = draw(fee if col.type == "amount" else count)
        if v is not None:
            d.values[(ref.table, ref.row, ref.col)] = v
    return d


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drafts())
def test_any_valid_draft_survives_save_and_load(d):
    again = parse_draft(dumps(d))
    assert again.meta.get("org_name") == d.meta.get("org_name")
    assert {k: v for k, v in again.meta.items() if v not in ("", None)} == {k: v for k, v in d.meta.items() if v not in ("", None)}
    assert again.texts == {k: normalize_newlines(v) for k, v in d.texts.items()}
    assert again.values == d.values


def test_save_returns_the_bytes_written_and_the_session_stamps_them(tmp_path):
    from nianbao.editing.session import Session
    from nianbao.store.ondisk import Stamp, changed_since

    path = tmp_path / "d.toml"
    path.write_bytes(SEED.read_bytes())
    session = Session.open(path)
    assert session.disk == Stamp.of_bytes(SEED.read_bytes(), path.stat().st_mtime_ns)
    session.set_value(("t2", "licensing", "decisions"), 41)
    session.save()
    written = path.read_bytes()
    assert session.disk.sha256 == Stamp.of_bytes(written).sha256
    assert not changed_since(path, session.disk)
    assert save_draft(load_draft(path), tmp_path / "e.toml") == (tmp_path / "e.toml").read_bytes()


def test_a_save_sweeps_temporary_files_that_crashed_saves_left(tmp_path):
    import time

    path = tmp_path / "d.toml"
    old, fresh, other = tmp_path / ".d.toml.abc123.tmp", tmp_path / ".d.toml.def456.tmp", tmp_path / ".e.toml.x.tmp"
    for leftover in (old, fresh, other):
        leftover.write_text("half a dra")
    long_ago = time.time() - 2 * 3600
    os.utime(old, (long_ago, long_ago))
    os.utime(other, (long_ago, long_ago))
    save_draft(load_draft(SEED), path)
    assert not old.exists()
    assert fresh.exists() and other.exists()  # a save in progress elsewhere; another draft's


@pytest.mark.parametrize(("key", "typed"), [("year", ""), ("year", None), ("org_type", ""), ("org_name", "")])
def test_a_cleared_metadata_field_reads_back_as_it_was_in_memory(tmp_path, key, typed):
    """Found by the key fuzz: a cleared 年度 was '' in memory but absent after save + load."""
    from nianbao.editing.session import Session

    path = tmp_path / "d.toml"
    path.write_bytes(SEED.read_bytes())
    session = Session.open(path)
    assert session.set_meta(key, typed)
    session.save()
    assert load_draft(path).meta == session.draft.meta


def test_a_draft_of_a_newer_template_version_keeps_its_version_and_unknown_keys(tmp_path):
    """Saving must not stamp it with this version's number: the newer nianbao would migrate it again."""
    text = SEED.read_text(encoding="utf-8").replace("template_version = 1", "template_version = 9")
    text += '\n[tables.t5.new_row]\nnew_col = 3\n'
    path = tmp_path / "newer.toml"
    path.write_text(text, encoding="utf-8")
    d = load_draft(path)
    assert d.newer_version == 9 and "模板版本 9" in d.newer_note
    save_draft(d, path)
    again = load_draft(path)
    assert again.newer_version == 9 and again.raw["tables"]["t5"] == {"new_row": {"new_col": 3}}
    assert load_draft(SEED).newer_version is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[draft]\ntemplate = "x"\n[meta]\norg_name = 渝中\n', "第 4 行第 12 列:TOML 语法错误:值的写法不对"),
        ('[draft]\ntemplate = "x"\ntemplate = "y"\n', "第 3 行第 15 列:TOML 语法错误:同一个键或表写了两次"),
        ('[draft]\ntemplate = "x\n', "引号没有成对"),
        ("[draft\n", "表名缺少“]”"),
        ('[draft]\ncreated = 2025-02-30\n', "日期写法不对"),
    ],
)
def test_toml_syntax_errors_are_explained_in_chinese(text, words):
    with pytest.raises(DraftError, match=words) as exc:
        parse_draft(text, "x.toml")
    assert not any(c.isascii() and c.isalpha() for c in str(exc.value).split("TOML", 1)[1][4:])


def test_os_errors_are_explained_in_chinese():
    import errno

    from nianbao.errors import os_reason

    assert os_reason(OSError(errno.EROFS, "Read-only file system")) == "磁盘或文件夹是只读的"
    assert os_reason(OSError(errno.ENOSPC, "No space left on device")) == "磁盘已满"
    assert os_reason(OSError(9999, "Something odd")) == "Something odd"
