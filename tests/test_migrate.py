"""Declarative template migrations (nianbao.report.migrate): dry run, apply, chain, errors."""

from __future__ import annotations

import copy
import re
import tomllib
from decimal import Decimal
from pathlib import Path

import pytest

import nianbao.report.template as template_mod
from nianbao.report import migrate
from nianbao.report.migrate import MigrationError
from nianbao.report.template import load_template, parse_template
from nianbao.store import migrate_files
from nianbao.store.draft import DraftError, load_draft, parse_draft, parse_toml

from .conftest import ROOT, SEED

TID = "gov-info-disclosure-2021"

# Version 2 of the template renamed things a version-1 draft still uses.
MIGRATION_1_TO_2 = {
    "from_version": 1,
    "to_version": 2,
    "note": "测试用:行、列、正文字段改名",
    "steps": [
        {"op": "rename", "from": "tables.t3.carry", "to": "tables.t3.carried"},
        {"op": "move", "from": "tables.t3.*.legal_person", "to": "tables.t3.*.legal"},
        {"op": "move", "from": "text.s1.active_info", "to": "text.s1.active"},
        {"op": "move", "from": "tables.t2.licensing_a", "to": "tables.t2.licensing", "combine": "sum"},
        {"op": "move", "from": "tables.t2.licensing_b", "to": "tables.t2.licensing", "combine": "sum"},
        {"op": "map", "path": "meta.org_type", "values": {"县级政府部门": "县级人民政府部门"}},
        {"op": "set", "path": "meta.contact", "value": "", "only_missing": True},
        {"op": "delete", "path": "meta.fax"},
    ],
}


def template_data() -> dict:
    with open(ROOT / "schema" / f"{TID}.toml", "rb") as fh:
        return tomllib.load(fh)


def make_template(version: int = 2, migrations: list | None = None):
    data = template_data()
    data["template"]["version"] = version
    data["migrations"] = copy.deepcopy([MIGRATION_1_TO_2] if migrations is None else migrations)
    return parse_template(data, "<测试模板>")


@pytest.fixture
def v2(monkeypatch):
    """The test template (version 2) installed under the real id, as if it had shipped."""
    t = make_template()
    monkeypatch.setitem(template_mod._cache, TID, t)
    return t


def version1_text() -> str:
    """The seed draft as version 1 of the template would have stored it."""
    text = SEED.read_text(encoding="utf-8")
    text = text.replace("[tables.t3.carried]", "[tables.t3.carry]")
    text = re.sub(r"^legal = ", "legal_person = ", text, flags=re.M)
    text = text.replace("\nactive = ", "\nactive_info = ", 1)
    text = text.replace('org_type = "县级人民政府部门"', 'org_type = "县级政府部门"\nfax = "023-1234"')
    text = text.replace('contact = ""\n', "")
    text = text.replace("[tables.t2.licensing]\ndecisions = 40", "[tables.t2.licensing_a]\ndecisions = 30\n\n[tables.t2.licensing_b]\ndecisions = 10")
    text += '\n[extra]\nfrom_a_newer_tool = "保留"\n'
    return text


def test_version1_text_really_uses_the_old_names():
    text = version1_text()
    for old in ("[tables.t3.carry]", "legal_person = ", "active_info = ", "fax = ", "licensing_a", "县级政府部门"):
        assert old in text
    assert "[tables.t3.carried]" not in text and "\nlegal = " not in text


def test_real_template_migrations_are_valid():
    t = load_template(TID)
    migrate.validate(t.migrations, t.version, t.path)


def test_plan_is_a_dry_run_listing_every_move(v2):
    raw = parse_toml(version1_text(), "v1.toml")
    before = copy.deepcopy(raw)
    lines = migrate.plan(raw, v2, "v1.toml")
    assert raw == before  # nothing touched
    assert lines[0] == "移动 tables.t3.carry → tables.t3.carried"
    legal = [x for x in lines if x.endswith(".legal")]
    assert len(legal) == SEED.read_text(encoding="utf-8").count("\nlegal = ") == 24  # every row of 表三 the seed fills
    assert "移动 tables.t3.new.legal_person → tables.t3.new.legal" in legal
    assert "移动 text.s1.active_info → text.s1.active" in lines
    assert "移动 tables.t2.licensing_a → tables.t2.licensing" in lines
    assert "合并 tables.t2.licensing_b.decisions → tables.t2.licensing.decisions(10 + 原有值 = 40)" in lines
    assert "改写 meta.org_type:“县级政府部门” → “县级人民政府部门”" in lines
    assert "设置 meta.contact = “”(原值 无)" in lines
    assert "删除 meta.fax(原值 “023-1234”)" in lines
    assert lines[-1] == "模板版本 1 → 2"


def test_apply_gives_the_same_draft_as_the_current_version(v2):
    raw = parse_toml(version1_text(), "v1.toml")
    data = migrate.apply(raw, v2, "v1.toml")
    assert data["draft"]["template_version"] == 2
    assert data["extra"] == {"from_a_newer_tool": "保留"}
    assert "carry" not in data["tables"]["t3"]
    assert "licensing_a" not in data["tables"]["t2"] and "licensing_b" not in data["tables"]["t2"]
    assert "fax" not in data["meta"]


def test_migrate_text_round_trip_parses_into_the_seed(v2):
    new_text, report = migrate_files.migrate_text(version1_text(), "v1.toml")
    assert new_text is not None and report[-1] == "模板版本 1 → 2"
    migrated = parse_draft(new_text, "v1.toml")
    seed = parse_draft(SEED.read_text(encoding="utf-8"), str(SEED))
    assert migrated.values == seed.values
    assert migrated.texts == seed.texts
    assert migrated.meta == seed.meta
    assert migrated.unknown == ["extra"]
    # Migrating again changes nothing: the draft is now at the template's version.
    assert migrate_files.migrate_text(new_text, "v1.toml") == (None, [])


def test_current_and_newer_drafts_are_left_alone(v2):
    current = version1_text().replace("template_version = 1", "template_version = 2")
    assert migrate_files.migrate_text(current, "x.toml") == (None, [])
    newer = version1_text().replace("template_version = 1", "template_version = 7")
    raw = parse_toml(newer, "x.toml")
    assert migrate.plan(raw, v2) == []
    assert migrate.apply(raw, v2) == raw
    # A draft without template_version is taken as current.
    raw = parse_toml(version1_text().replace("template_version = 1\n", ""), "x.toml")
    assert not migrate.needed(raw, v2)


def test_versions_without_steps_are_skipped_and_chains_run_in_order():
    second = {"from_version": 3, "to_version": 4, "steps": [{"op": "rename", "from": "meta.contact", "to": "meta.contact_person"}]}
    t = make_template(4, [MIGRATION_1_TO_2, second])
    raw = parse_toml(version1_text(), "v1.toml")
    lines = migrate.plan(raw, t)
    assert "移动 tables.t3.carry → tables.t3.carried" in lines  # 1 -> 2
    assert "移动 meta.contact → meta.contact_person" in lines  # 3 -> 4 (2 -> 3 declared nothing)
    assert lines.index("设置 meta.contact = “”(原值 无)") < lines.index("移动 meta.contact → meta.contact_person")
    assert lines[-1] == "模板版本 1 → 4"
    # A version-3 draft runs only the last step.
    raw3 = parse_toml(SEED.read_text(encoding="utf-8").replace("template_version = 1", "template_version = 3"), "v3.toml")
    assert migrate.plan(raw3, t) == ["移动 meta.contact → meta.contact_person", "模板版本 3 → 4"]


def test_a_move_onto_existing_content_is_refused_without_combine():
    step = {"op": "move", "from": "tables.t3.new", "to": "tables.t3.open"}
    t = make_template(2, [{"from_version": 1, "to_version": 2, "steps": [step]}])
    raw = parse_toml(SEED.read_text(encoding="utf-8"), "seed.toml")
    with pytest.raises(MigrationError, match="已有内容") as exc:
        migrate.apply(raw, t, "seed.toml")
    assert "seed.toml" in str(exc.value) and "第 1 步" in str(exc.value)
    # "keep" and "replace" resolve it; tables merge key by key
    for combine, expected in (("keep", "open"), ("replace", "new")):
        t = make_template(2, [{"from_version": 1, "to_version": 2, "steps": [dict(step, combine=combine)]}])
        data = migrate.apply(raw, t)
        assert "new" not in data["tables"]["t3"]
        assert data["tables"]["t3"]["open"] == raw["tables"]["t3"][expected]


def test_sum_adds_decimals_and_refuses_text():
    t = make_template(2, [{"from_version": 1, "to_version": 2, "steps": [
        {"op": "move", "from": "tables.t2.fees_old", "to": "tables.t2.fees", "combine": "sum"},
    ]}])
    raw = {"draft": {"template": TID, "template_version": 1}, "tables": {"t2": {"fees": {"fee_amount": Decimal("1.25")}, "fees_old": {"fee_amount": Decimal("2.5")}}}}
    assert migrate.apply(raw, t)["tables"]["t2"] == {"fees": {"fee_amount": Decimal("3.75")}}
    raw["tables"]["t2"]["fees_old"]["fee_amount"] = "两元"
    with pytest.raises(MigrationError, match="不都是数字"):
        migrate.apply(raw, t)


def test_moving_out_of_a_table_prunes_it_and_missing_sources_are_skipped():
    t = make_template(2, [{"from_version": 1, "to_version": 2, "steps": [
        {"op": "move", "from": "text.s7.summary", "to": "text.s6.other"},
        {"op": "move", "from": "text.s9.nothing", "to": "text.s6.nothing"},
        {"op": "delete", "path": "tables.*.ghost"},
    ]}])
    raw = {"draft": {"template": TID, "template_version": 1}, "text": {"s7": {"summary": "旧的其他事项"}}}
    data = migrate.apply(raw, t)
    assert data["text"] == {"s6": {"other": "旧的其他事项"}}
    assert migrate.plan(raw, t) == ["移动 text.s7.summary → text.s6.other", "模板版本 1 → 2"]


def test_keys_with_dots_can_be_given_as_arrays():
    t = make_template(2, [{"from_version": 1, "to_version": 2, "steps": [
        {"op": "move", "from": ["extra", "a.b"], "to": ["extra", "c"]},
    ]}])
    raw = {"draft": {"template": TID, "template_version": 1}, "extra": {"a.b": 1}}
    assert migrate.apply(raw, t)["extra"] == {"c": 1}
    assert migrate.plan(raw, t)[0] == '移动 extra."a.b" → extra.c'


@pytest.mark.parametrize(
    ("migrations", "message"),
    [
        ([{"from_version": 2, "to_version": 1}], "from_version < to_version"),
        ([{"from_version": 1, "to_version": 3}], "≤ 模板版本 2"),
        ([{"from_version": "1", "to_version": 2}], "整数"),
        ([{"from_version": 1, "to_version": 2}, {"from_version": 1, "to_version": 2}], "重复"),
        ([{"from_version": 1, "to_version": 2, "steps": [{"op": "copy", "from": "a", "to": "b"}]}], "op “copy” 无效"),
        ([{"from_version": 1, "to_version": 2, "steps": [{"op": "rename", "from": "a.b", "to": "c.b"}]}], "rename 只能改最后一级"),
        ([{"from_version": 1, "to_version": 2, "steps": [{"op": "move", "from": "a.*", "to": "b"}]}], "个数应相同"),
        ([{"from_version": 1, "to_version": 2, "steps": [{"op": "move", "from": "a", "to": "b", "combine": "max"}]}], "combine"),
        ([{"from_version": 1, "to_version": 2, "steps": [{"op": "set", "path": "a"}]}], "set 需要 value"),
        ([{"from_version": 1, "to_version": 2, "steps": [{"op": "delete", "path": "a..b"}]}], "空的部分"),
        ([{"from_version": 1, "to_version": 2, "steps": [{"op": "map", "path": "a", "values": 3}]}], "map 需要"),
        ([{"from_version": 1, "to_version": 2, "steps": ["move a b"]}], "应是一个表"),
    ],
)
def test_validate_refuses_broken_migrations(migrations, message):
    with pytest.raises(MigrationError, match=re.escape(message)) as exc:
        migrate.validate(migrations, 2, "t.toml")
    assert "模板 t.toml" in str(exc.value)


def test_migrate_file_dry_run_writes_nothing_and_apply_keeps_a_backup(v2, tmp_path):
    path = tmp_path / "v1.toml"
    original = version1_text().encode("utf-8")
    path.write_bytes(original)
    report, bak = migrate_files.migrate_file(path, dry_run=True)
    assert bak is None and report[-1] == "模板版本 1 → 2"
    assert path.read_bytes() == original
    assert sorted(p.name for p in tmp_path.iterdir()) == ["v1.toml"]
    report2, bak = migrate_files.migrate_file(path)
    assert report2 == report
    assert bak == tmp_path / "v1.toml.v1.bak" and bak.read_bytes() == original
    assert load_draft(path).values == load_draft(SEED).values
    assert migrate_files.migrate_file(path) == ([], None)


def test_migrate_file_refuses_a_migration_that_breaks_the_draft(monkeypatch, tmp_path):
    bad = {"from_version": 1, "to_version": 2, "steps": [{"op": "set", "path": "tables.t3.new.natural", "value": -5}]}
    monkeypatch.setitem(template_mod._cache, TID, make_template(2, [bad]))
    path = tmp_path / "d.toml"
    path.write_bytes(SEED.read_bytes())
    with pytest.raises(DraftError, match="不能是负数"):
        migrate_files.migrate_file(path)
    assert path.read_bytes() == SEED.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.toml"]


def test_migrate_text_reports_unusable_drafts_in_chinese():
    with pytest.raises(DraftError, match="TOML 语法错误"):
        migrate_files.migrate_text("[draft\n", "x.toml")
    with pytest.raises(DraftError, match="缺少 \\[draft\\]"):
        migrate_files.migrate_text("a = 1\n", "x.toml")
    with pytest.raises(DraftError, match="未知的模板"):
        migrate_files.migrate_text('[draft]\ntemplate = "nope"\n', "x.toml")


def test_older_drafts_migrate_on_load_and_with_the_cli(tmp_path, monkeypatch, capsys):
    """A version-2 template renames 上年结转's id; a version-1 draft loads and migrates."""
    import tomllib as _toml

    import tomli_w as _w

    from nianbao.cli.main import main
    from nianbao.report import template as tmpl
    from nianbao.store.draft import load_draft as _load

    root = Path(__file__).resolve().parent.parent
    data = _toml.loads((root / "schema" / "gov-info-disclosure-2021.toml").read_text(encoding="utf-8"))
    data["template"]["version"] = 2
    for table in data["tables"]:
        for row in table["rows"]:
            if row["id"] == "carried":
                row["id"] = "carried_over"
    for rule in data["rules"]:
        rule["check"] = rule["check"].replace("carried,", "carried_over,")
        for scope in rule.get("scopes", []):  # the rules' other scopes name rows too
            for k in ("value", "test"):
                if k in scope:
                    scope[k] = scope[k].replace("carried,", "carried_over,")
    data["carry"]["rows"] = [["t3.next_year", "t3.carried_over"]]
    data["migrations"] = [{"from_version": 1, "to_version": 2, "steps": [
        {"op": "rename", "from": "tables.t3.carried", "to": "tables.t3.carried_over"}]}]
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "gov-info-disclosure-2021.toml").write_text(_w.dumps(data), encoding="utf-8")
    monkeypatch.setattr(tmpl, "template_dirs", lambda: [folder])
    monkeypatch.setattr(tmpl, "_cache", {})

    draft_path = tmp_path / "old.toml"
    text = (root / "samples" / "yuzhong-emergency-2024.toml").read_text(encoding="utf-8")
    draft_path.write_text(text.replace("[tables.t3.carried]\nnatural = 0", "[tables.t3.carried]\nnatural = 3"), encoding="utf-8")

    d = _load(draft_path)  # migrated in memory, file untouched
    assert d.values[("t3", "carried_over", "natural")] == 3 and d.migrated
    assert main(["migrate", str(draft_path), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "将要进行的修改" in out and "carried" in out
    assert "carried_over" not in draft_path.read_text(encoding="utf-8")
    assert main(["migrate", str(draft_path)]) == 0
    assert "[tables.t3.carried_over]" in draft_path.read_text(encoding="utf-8")
    assert (tmp_path / "old.toml.v1.bak").exists()
    assert main(["migrate", str(draft_path)]) == 0 and "无需迁移" in capsys.readouterr().out


def test_migrate_file_refuses_while_a_running_nianbao_holds_the_draft(v2, tmp_path, other_nianbao):
    from nianbao.store.lock import DraftLocked

    path = tmp_path / "v1.toml"
    original = version1_text().encode("utf-8")
    path.write_bytes(original)
    other_nianbao.holds(path)
    with pytest.raises(DraftLocked, match=str(other_nianbao.pid)):
        migrate_files.migrate_file(path)
    assert path.read_bytes() == original
    assert migrate_files.migrate_file(path, dry_run=True)[0]  # a dry run only reads: allowed


def test_a_template_with_a_broken_migration_is_refused_when_loaded():
    from nianbao.report.template import TemplateError

    data = tomllib.loads((ROOT / "schema" / "gov-info-disclosure-2021.toml").read_text(encoding="utf-8"))
    data["migrations"] = [{"from_version": 1, "to_version": 2, "steps": [{"op": "copy", "from": "a", "to": "b"}]}]
    data["template"]["version"] = 2
    with pytest.raises(TemplateError, match="op “copy” 无效"):
        parse_template(data, "t.toml")
    data["migrations"] = {"from_version": 1}
    with pytest.raises(TemplateError, match=re.escape("[[migrations]]")):
        parse_template(data, "t.toml")
