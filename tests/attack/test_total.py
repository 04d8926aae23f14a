"""Attack class 16: `total` refuses duplicates, notes drafts open elsewhere, lists every typed
total it did not carry."""

from __future__ import annotations

import subprocess
import sys

from nianbao.store.draft import load_draft, save_draft
from nianbao.store.recovery import write_recovery
from tests.conftest import SEED


def run(*args):
    return subprocess.run([sys.executable, "-m", "nianbao", *map(str, args)], capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL)


def two(tmp_path):
    a, b = load_draft(SEED), load_draft(SEED)
    b.meta["org_name"] = "乙局"
    save_draft(a, tmp_path / "a.toml")
    save_draft(b, tmp_path / "b.toml")
    return tmp_path / "a.toml", tmp_path / "b.toml"


def test_the_same_file_twice_is_refused(tmp_path):
    a, b = two(tmp_path)
    (tmp_path / "link.toml").symlink_to(a)
    for names in ([a, b, a], [a, tmp_path / "link.toml"], [a, tmp_path / "." / "a.toml"]):
        r = run("total", tmp_path / "sum.toml", *names)
        assert r.returncode == 2 and "同一个文件" in r.stderr, r.stderr
        assert not (tmp_path / "sum.toml").exists()


def test_the_same_agency_and_year_twice_is_refused(tmp_path):
    a, _ = two(tmp_path)
    copy = tmp_path / "copy.toml"
    copy.write_bytes(a.read_bytes())
    r = run("total", tmp_path / "sum.toml", a, copy)
    assert r.returncode == 2 and "同一机关同一年度" in r.stderr


def test_a_draft_open_elsewhere_with_unsaved_work_is_noted(tmp_path, other_nianbao):
    a, b = two(tmp_path)
    other_nianbao.holds(b)
    d = load_draft(b)
    d.values[("t3", "new", "natural")] = 99
    write_recovery(d, b)
    r = run("total", tmp_path / "sum.toml", a, b)
    assert r.returncode == 0
    assert "b.toml" in r.stdout and "尚未保存" in r.stdout and "已保存的内容" in r.stdout


def test_every_typed_total_not_carried_is_listed(tmp_path):
    a, b = two(tmp_path)
    d = load_draft(b)
    d.values[("t3", "new", "total")] = 12345
    d.values[("t3", "open", "total")] = 777
    save_draft(d, b)
    r = run("total", tmp_path / "sum.toml", a, b)
    assert r.returncode == 0
    assert "2 个填写的合计没有汇总" in r.stdout and "12345" in r.stdout and "777" in r.stdout
