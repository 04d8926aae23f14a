from __future__ import annotations

import json
import subprocess
import sys

from nianbao.cli import main

from .conftest import SEED


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nianbao", *map(str, args)], capture_output=True, text=True, cwd=cwd)


def test_check_seed_is_clean():
    r = run("check", SEED)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "没有发现问题" in r.stdout


def test_check_names_the_broken_balance(tmp_path):
    p = tmp_path / "broken.toml"
    p.write_text(SEED.read_text(encoding="utf-8").replace("[tables.t3.new]\nnatural = 0", "[tables.t3.new]\nnatural = 1"), encoding="utf-8")
    r = run("check", "--json", p)
    assert r.returncode == 1
    report = json.loads(r.stdout)["reports"][0]  # one document of the same shape for one file or many
    e2 = [f for f in report["findings"] if f["rule"] == "E2"]
    assert {f["key"] for f in e2} == {"c=natural", "c=total"}
    assert all(f["diff"] == 1 and "相差+1" in f["message"] for f in e2)
    text = run("check", p)
    assert text.returncode == 1 and "勾稽关系" in text.stdout and "自然人" in text.stdout


def test_check_unusable_file_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[draft\n", encoding="utf-8")
    r = run("check", bad, SEED)
    assert r.returncode == 2
    assert "Traceback" not in r.stderr and "第 1 行" in r.stderr


def test_new_refuses_to_overwrite(tmp_path):
    target = tmp_path / "a.toml"
    assert main(["new", str(target), "--org", "某某局", "--year", "2025", "--type", "县级人民政府部门", "--no-open"]) == 0
    before = target.read_bytes()
    assert main(["new", str(target), "--org", "别的局", "--year", "2025", "--no-open"]) == 2
    assert target.read_bytes() == before


def test_new_from_last_year(tmp_path):
    target = tmp_path / "2025.toml"
    assert main(["new", str(target), "--from", str(SEED), "--no-open"]) == 0
    r = run("check", "--json", target)
    report = json.loads(r.stdout)["reports"][0]
    assert report["year"] == 2025 and report["org"] == "渝中区应急管理局"


def test_render_to_file(tmp_path):
    out = tmp_path / "r.md"
    assert main(["render", str(SEED), "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("# 渝中区应急管理局2024年政府信息公开工作年度报告")


def test_help_and_version_are_chinese():
    r = run("--help")
    assert r.returncode == 0 and "用法" in r.stdout and "子命令" in r.stdout
    r = run("--version")
    assert r.returncode == 0 and "nianbao" in r.stdout
    r = run("check")
    assert r.returncode == 2 and "缺少参数" in r.stderr


def test_total_adds_up_reports(tmp_path):
    from nianbao.store.draft import load_draft, save_draft

    a = load_draft(SEED)
    b = load_draft(SEED)
    b.meta["org_name"] = "另一个局"  # the same agency and year twice is refused (tests/attack/test_total.py)
    b.values[("t3", "new", "natural")] = 2
    b.values[("t3", "open", "natural")] = 2
    del b.values[("t2", "penalty", "decisions")]
    save_draft(a, tmp_path / "a.toml")
    save_draft(b, tmp_path / "b.toml")
    out = tmp_path / "sum.toml"
    r = run("total", out, tmp_path / "a.toml", tmp_path / "b.toml", "--org", "某区汇总")
    assert r.returncode == 0 and "1 个单元格" in r.stdout
    total = load_draft(out)
    assert total.values[("t2", "licensing", "decisions")] == 80
    assert total.values[("t2", "penalty", "decisions")] == 22  # b was blank there
    assert total.values[("t3", "new", "natural")] == 2
    assert run("total", out, tmp_path / "a.toml").returncode == 2  # never overwrites
    c = load_draft(SEED)
    c.meta["year"] = 2023
    save_draft(c, tmp_path / "c.toml")
    r = run("total", tmp_path / "x.toml", tmp_path / "a.toml", tmp_path / "c.toml")
    assert r.returncode == 2 and "年度不同" in r.stderr


def test_a_broken_draft_points_to_its_recovery_file_and_recover_can_apply_it(tmp_path, capsys):
    from nianbao.store.draft import load_draft, save_draft
    from nianbao.store.recovery import write_recovery

    path = tmp_path / "d.toml"
    good = load_draft(SEED)
    good.values[("t3", "new", "natural")] = 7
    save_draft(load_draft(SEED), path)
    write_recovery(good, path)
    broken = path.read_text(encoding="utf-8").replace("natural = 0", "natural = -1", 1)
    path.write_text(broken, encoding="utf-8")
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert "不能是负数" in err and ".d.toml.recover" in err and "nianbao recover d.toml" in err
    assert main(["recover", str(path)]) == 0
    out = capsys.readouterr()
    assert "草稿本身无法读取" in out.err and "可以用它恢复草稿" in out.out
    assert main(["recover", "--apply", str(path)]) == 0
    assert load_draft(path).values[("t3", "new", "natural")] == 7
    assert (tmp_path / "d.toml.bak").read_text(encoding="utf-8") == broken  # kept aside, not lost


def test_changing_a_draft_open_in_the_app_says_nothing_was_done(tmp_path, capsys, other_nianbao):
    from nianbao.store.draft import load_draft
    from nianbao.store.recovery import write_recovery

    path = tmp_path / "d.toml"
    path.write_bytes(SEED.read_bytes())
    write_recovery(load_draft(SEED), path)
    other_nianbao.holds(path)
    assert main(["recover", "--discard", str(path)]) == 2
    assert "没有做任何修改" in capsys.readouterr().err


# ---------------------------------------------------------------- the command's shape


def test_a_mistyped_sub_command_gets_the_list_in_chinese():
    r = run("chek", "x")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "无效的选项 'chek'" in r.stderr
    for name in ("new", "check", "render", "recover", "total", "migrate"):
        assert f"'{name}'" in r.stderr


def test_one_help_lists_every_sub_command():
    from nianbao.cli.main import COMMANDS

    r = run("--help")
    assert r.returncode == 0
    for command in COMMANDS:
        assert command.name in r.stdout and command.summary in r.stdout
    sub = run("check", "--help")
    assert sub.returncode == 0 and "用法:nianbao check" in sub.stdout and "退出码" in sub.stdout


def test_json_is_one_document_of_the_same_shape_for_one_file_or_many(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text(SEED.read_text(encoding="utf-8").replace("[tables.t3.new]\nnatural = 0", "[tables.t3.new]\nnatural = 1"), encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text("[draft\n", encoding="utf-8")
    one = json.loads(run("check", "--json", SEED).stdout)
    many = run("check", "--json", SEED, broken, bad)
    assert many.returncode == 2
    many_doc = json.loads(many.stdout)
    for doc in (one, many_doc):
        assert set(doc) == {"schema_version", "reports"} and doc["schema_version"] == 1
    keys = set(one["reports"][0])
    assert all(set(r) == keys for r in many_doc["reports"])  # unusable files too
    assert {"file", "org", "year", "errors", "warnings", "findings"} <= keys
    seed, checked, unusable = many_doc["reports"]
    assert seed["errors"] == 0 and checked["errors"] > 0 and unusable["usable"] is False and "第 1 行" in unusable["error"]
    finding = checked["findings"][0]
    assert {"rule", "severity", "section", "message", "cells", "diff", "culprits"} <= set(finding)
    assert run("check", "--json", SEED, broken).returncode == 1


def test_recover_is_cli_code_and_the_core_has_none():
    import nianbao.store.recovery as recovery

    assert not hasattr(recovery, "recover_command")
    source = (SEED.parent.parent / "tui" / "nianbao" / "store" / "recovery.py").read_text(encoding="utf-8")
    assert "os.sys" not in source and "print(" not in source


def test_registering_a_sub_command_is_one_entry(monkeypatch, capsys):
    import importlib

    from nianbao.cli.command import SubCommand

    cli_main = importlib.import_module("nianbao.cli.main")  # the module (nianbao.cli.main is also the function)

    def add_arguments(p):
        p.add_argument("word")

    hello = SubCommand("hello", "打招呼", add_arguments, lambda args: print(f"你好 {args.word}") or 0)
    monkeypatch.setattr(cli_main, "COMMANDS", [*cli_main.COMMANDS, hello])
    assert main(["hello", "世界"]) == 0 and "你好 世界" in capsys.readouterr().out
