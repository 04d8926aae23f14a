"""Every malformed draft gets one clear Chinese message naming the file, exit code 2, no traceback.

Hypothesis mutates the seed draft (syntax broken at random places, wrong types, negative,
fractional and huge numbers, text where numbers belong, unknown templates, non-UTF-8 bytes,
empty files) and adds what is not a file at all (folders, missing files, symlink loops).
`nianbao check` must answer each with exit code 2 and a Chinese message naming the file and,
where there is one, the line or the field, or - when the mutation happened to leave a valid
draft - exit 0/1 for a draft that really loads.

Most examples run `nianbao.cli.main.main` in process (fast); a sample runs the real command in a
subprocess, where a traceback or a crash would show as it does to a clerk.

The cases this found (inf/nan counts, deep nesting, devices and pipes, NUL and over-long
names, errors at the end of the file, escape sequences echoed) are pinned at the bottom.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import traceback
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from nianbao.cli import main
from nianbao.store.draft import load_draft

from .conftest import ROOT, SEED

SEED_TEXT = SEED.read_text(encoding="utf-8")
LINES = SEED_TEXT.splitlines(keepends=True)
VALUE_LINES = [i for i, line in enumerate(LINES) if re.match(r"^[A-Za-z_][\w-]* = ", line)]
CJK = re.compile(r"[\u4e00-\u9fff]")

NON_FINITE = ["inf", "-inf", "+inf", "nan", "-nan", "+nan"]

BAD_LITERALS = [
    # numbers a cell must refuse
    "-1", "-0", "-7", "1.5", "0.0", "2.50", "1e3", "-2.5", "0.001", "1000000001", "99999999999",
    "9223372036854775807", "-9223372036854775808", "123456789012345678901234567890", *NON_FINITE,
    # TOML number spellings that are valid (the draft may stay valid)
    "+5", "0x10", "0o17", "0b11", "1_000", "0",
    # and invalid ones (syntax errors)
    "01", ".5", "5.", "1__0", "0x", "1e", "--1", "١٢", "１２",
    # not numbers at all
    "true", "false", '"12"', '"十二"', '""', '"  "', "'字面'", '"/"', '"—"', '"无"',
    "[1, 2]", "[]", '["a"]', "{ a = 1 }", "{}", "2024-01-01", "2024-01-01T10:00:00", "2024-01-01 10:00:00+08:00", "12:00:00",
    '"""多行\n文字"""', '"\\u0000"', '"\\ud800"', '"\\x41"', '"未闭合', "'''", "",
]
TEMPLATES = ['"nope"', '""', '"../schema/gov-info-disclosure-2021"', '"gov-info-disclosure-2021 "', '"GOV-INFO-DISCLOSURE-2021"',
             "5", "true", '"a/b"', '"\\u0000x"', '"."', '".hidden"', '"gov-info-disclosure-2020"', "[]", '"模板"']
VERSIONS = ['"1"', "1.5", "-1", "0", "true", "[]", "99999999999999999999", "2024-01-01"]
JUNK = ["[", "]", '"', "'", "=", "{", "}", '"""', "\n[", "\n=", "\n[meta]\n", "\n[[meta]]\n", "#", ",", "\\", " = = ",
        "\x00", "\x7f", "\x1b[31m", "\u2028", "\ufeff", "\r", "\t", "\n\n[draft]\n", "x", "1", "\nkey = 1\n", "[[", "]]", "\ud7ff"]
STRUCTURE = [
    ("[meta]", "[[meta]]"), ("[draft]", "[[draft]]"), ("[draft]", "[draft_]"), ("[text.s1]", "[[text.s1]]"),
    ("[tables.t3.new]", "[[tables.t3.new]]"), ("[tables.t2.licensing]", "[tables.t2.licensing.decisions]"),
    ("[tables.t3.new]", "[tables.t3.new]\n[tables.t3.new]"), ("[meta]", "[meta]\n[meta]"),
    ("[draft]", 'text = "正文"\n[draft]'), ("[draft]", "tables = []\n[draft]"), ("[draft]", "meta = 5\n[draft]"),
    ("[draft]", "acknowledged = 3\n[draft]"), ("[draft]", '[[acknowledged]]\nrule = "W5"\n[draft]'),
    ("[draft]", '[[acknowledged]]\nrule = 1\nreason = "x"\nfingerprint = "y"\n[draft]'),
    ('template = "gov-info-disclosure-2021"\n', ""), ("[draft]", "[app]\nsection = 5\n[draft]"),
] + [
    ("template_version = 1\n", f"template_version = 1\nprevious = {v}\n")
    for v in ['"."', '"nope.toml"', "5", '"/"', '"\\u0000"', '"' + "x" * 300 + '"', '"' + "上年" * 100 + '.toml"', '""']
]
EMPTY = [b"", b" ", b"\n\n", b"\t \r\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf \n", b"# only a comment\n"]


def _replace_line(i: int, value: str) -> str:
    key = LINES[i].split(" = ", 1)[0]
    out = list(LINES)
    out[i] = f"{key} = {value}\n"
    return "".join(out)


def _set_head(key: str, value: str) -> str:
    return re.sub(rf"^{key} = .*$", lambda m: f"{key} = {value}", SEED_TEXT, count=1, flags=re.M)


def toml_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


values = st.one_of(
    st.sampled_from(BAD_LITERALS),
    st.integers(-(10**25), 10**25).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.text(max_size=30).map(toml_string),
)

contents = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, len(SEED_TEXT)), st.one_of(st.sampled_from(JUNK), st.text(max_size=8)))
    .map(lambda t: ("insert", (SEED_TEXT[: t[1]] + t[2] + SEED_TEXT[t[1]:]).encode("utf-8", "surrogatepass"))),
    st.tuples(st.integers(0, len(SEED_TEXT)), st.integers(1, 400))
    .map(lambda t: ("delete", (SEED_TEXT[: t[0]] + SEED_TEXT[t[0] + t[1]:]).encode("utf-8"))),
    st.integers(1, len(SEED_TEXT.encode("utf-8")) - 1).map(lambda n: ("truncate", SEED_TEXT.encode("utf-8")[:n])),
    st.tuples(st.sampled_from(VALUE_LINES), values).map(lambda t: ("value", _replace_line(*t).encode("utf-8", "surrogatepass"))),
    st.one_of(st.sampled_from(TEMPLATES), st.text(max_size=20).map(toml_string))
    .map(lambda v: ("template", _set_head("template", v).encode("utf-8", "surrogatepass"))),
    st.sampled_from(VERSIONS).map(lambda v: ("version", _set_head("template_version", v).encode("utf-8"))),
    st.sampled_from(STRUCTURE).map(lambda ab: ("structure", SEED_TEXT.replace(ab[0], ab[1], 1).encode("utf-8"))),
    st.tuples(st.integers(0, len(SEED_TEXT.encode("utf-8"))), st.sampled_from([b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xe4\xb8", b"\x80", b"\xed\xa0\x80"]))
    .map(lambda t: ("encoding", SEED_TEXT.encode("utf-8")[: t[0]] + t[1] + SEED_TEXT.encode("utf-8")[t[0]:])),
    st.sampled_from(["gbk", "utf-16", "utf-32", "gb18030", "big5"]).map(lambda enc: ("encoding", SEED_TEXT.encode(enc, "replace"))),
    st.sampled_from(EMPTY).map(lambda b: ("empty", b)),
)
SPECIALS = ["directory", "missing", "dangling-symlink", "symlink-loop", "unreadable"]
cases = st.one_of(contents, st.sampled_from(SPECIALS).map(lambda s: (s, None)))

_counter = itertools.count()


def materialise(folder: Path, case) -> Path:
    """Put the case on disk under a fresh name (with a space and CJK: names must survive)."""
    kind, data = case
    path = folder / f"草稿 {next(_counter)}.toml"
    if kind == "directory":
        path.mkdir()
    elif kind == "missing":
        pass
    elif kind == "dangling-symlink":
        path.symlink_to(folder / "nowhere.toml")
    elif kind == "symlink-loop":
        path.symlink_to(path)
    elif kind == "unreadable":
        path.write_bytes(SEED.read_bytes())
        path.chmod(0)
    else:
        path.write_bytes(data)
    return path


def expect_answer(case, path: Path, code: int, out: str, err: str) -> None:
    kind, data = case
    name = str(path)
    assert "Traceback" not in out + err
    assert code in (0, 1, 2)
    if kind == "unreadable" and code != 2:
        assert os.geteuid() == 0  # root reads anything: then it is just the seed
        return
    if code == 2:
        # One message. (Counted by its mark, not by lines: a newline inside a bad value is
        # shown as it is.) No control character from the file reaches the terminal.
        assert err.startswith("✗ ") and err.count("✗") == 1, err
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", err), repr(err)
        message = err
        assert name in message, err
        assert CJK.search(message.replace(name, "")), err  # Chinese, beyond the file's name
        if kind in ("insert", "delete", "truncate", "value", "encoding", "version") and "不是 nianbao 草稿" not in message:
            # where: a line, or the field's path in brackets
            assert re.search(r"第 \d+ (行|个)|\[[^\]]+\]|[a-z_]+ 应是", message), message
        return
    # Still a draft after all: then it must really load, and check's verdict stands.
    assert kind not in SPECIALS and kind != "empty", (kind, code, out, err)
    load_draft(path)


def check_in_process(path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["check", str(path)])
        except Exception:  # what the real command would print, and its exit code
            err.write(traceback.format_exc())
            code = 1
    return code, out.getvalue(), err.getvalue()


def check_subprocess(path: Path) -> tuple[int, str, str]:
    r = subprocess.run(
        [sys.executable, "-m", "nianbao", "check", str(path)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
        env={**os.environ, "COLUMNS": "200"},
    )
    return r.returncode, r.stdout, r.stderr


@pytest.fixture(scope="module")
def folder():
    with tempfile.TemporaryDirectory(prefix="malformed-") as d:
        yield Path(d)
        for p in Path(d).iterdir():  # let the clean-up remove what chmod 0 made unreadable
            if not p.is_symlink() and p.exists():
                p.chmod(0o700)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=cases)
@example(case=("value", _replace_line(VALUE_LINES[-1], '"12"').encode()))
@example(case=("empty", b""))
@example(case=("directory", None))
def test_malformed_drafts_in_process(folder, case):
    path = materialise(folder, case)
    code, out, err = check_in_process(path)
    expect_answer(case, path, code, out, err)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=cases)
@example(case=("insert", SEED_TEXT.replace("[meta]", "[meta", 1).encode()))
@example(case=("encoding", SEED_TEXT.encode("gbk")))
@example(case=("symlink-loop", None))
def test_malformed_drafts_by_the_real_command(folder, case):
    path = materialise(folder, case)
    code, out, err = check_subprocess(path)
    expect_answer(case, path, code, out, err)


# ---------------------------------------------------------------- particular cases, stated plainly


@pytest.mark.parametrize(
    ("replace", "by", "words"),
    [
        ("natural = 0", "natural = -3", ["第 ", "tables.t3.new.natural", "不能是负数"]),
        ("natural = 0", "natural = 1.5", ["tables.t3.new.natural", "整数"]),
        ("natural = 0", "natural = 12345678901", ["tables.t3.new.natural", "数字过大"]),
        ("natural = 0", 'natural = "12"', ["tables.t3.new.natural", "文字"]),
        ("natural = 0", "natural = true", ["tables.t3.new.natural", "true/false"]),
        ("fee_amount = 0.0", "fee_amount = 1.23456", ["tables.t2.fees.fee_amount", "小数"]),
        ('org_name = "渝中区应急管理局"', "org_name = 5", ["meta.org_name", "文字"]),
        ("year = 2024", "year = 24", ["meta.year", "年份"]),
        ("year = 2024", 'year = "2024年"', ["meta.year", "年份"]),
        ('template = "gov-info-disclosure-2021"', 'template = "gov-2099"', ["draft.template", "未知的模板"]),
        ("template_version = 1", 'template_version = "1"', ["draft.template_version", "整数"]),
        ("[meta]", "[meta", ["第 ", "TOML 语法错误"]),
    ],
)
def test_each_kind_of_mistake_names_its_place(tmp_path, replace, by, words):
    p = tmp_path / "坏草稿.toml"
    p.write_text(SEED_TEXT.replace(replace, by, 1), encoding="utf-8")
    code, out, err = check_in_process(p)
    assert code == 2 and "Traceback" not in err
    for w in words:
        assert w in err, err
    assert str(p) in err


def test_json_output_reports_unusable_files_too(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"\xff\xfe[draft]")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["check", "--json", str(bad), str(SEED)])
    assert code == 2
    report = json.loads(out.getvalue())["reports"]
    assert report[0]["usable"] is False and "UTF-8" in report[0]["error"] and str(bad) in report[0]["error"]
    assert report[1]["usable"] is True


def test_unreadable_file_for_a_normal_user(tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode (the symlink-loop case covers an OSError on read)")
    p = tmp_path / "locked.toml"
    p.write_bytes(SEED.read_bytes())
    p.chmod(0)
    try:
        code, out, err = check_in_process(p)
    finally:
        p.chmod(0o600)
    assert code == 2 and "没有读取权限" in err and str(p) in err


# ---------------------------------------------------------------- bugs this found (fixed in 1d1508e), pinned


def test_an_error_at_the_end_names_the_last_line(tmp_path):
    p = tmp_path / "cut.toml"
    p.write_bytes(SEED_TEXT.encode("utf-8")[:507])  # ends inside the first [text.s1] string
    code, out, err = check_in_process(p)
    assert code == 2 and str(p) in err
    assert re.search(r"第 \d+ 行", err), err


@pytest.mark.parametrize(("replace", "by"), [
    ('template = "gov-info-disclosure-2021"', 'template = "\\u001b[2J\\u001b]0;pwned\\u0007x"'),
    ("natural = 0", 'natural = "\\u001b[31mred"'),
])
def test_control_characters_from_the_file_are_not_echoed(tmp_path, replace, by):
    p = tmp_path / "esc.toml"
    p.write_text(SEED_TEXT.replace(replace, by, 1), encoding="utf-8")
    code, out, err = check_in_process(p)
    assert code == 2
    assert "\x1b" not in err, repr(err)


def test_a_very_long_template_name_is_refused(tmp_path):
    p = tmp_path / "long.toml"
    p.write_text(SEED_TEXT.replace('template = "gov-info-disclosure-2021"', 'template = "' + "模板" * 100 + '"', 1), encoding="utf-8")
    code, err = _limited_subprocess("check", str(p))
    assert code == 2 and "Traceback" not in err and "未知的模板" in err


def test_a_nul_in_the_previous_path_is_a_note(tmp_path):
    p = tmp_path / "nul.toml"
    p.write_text(SEED_TEXT.replace("template_version = 1\n", 'template_version = 1\nprevious = "\\u0000"\n', 1), encoding="utf-8")
    code, out, err = check_in_process(p)
    assert code == 0 and "Traceback" not in err and "上年草稿无法读取" in out


def _limited_subprocess(*args: str, timeout: float = 5) -> tuple[int | None, str]:
    def limit():  # a runaway read must not take the test machine's memory
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    try:
        r = subprocess.run([sys.executable, "-m", "nianbao", *args], capture_output=True, text=True,
                           timeout=timeout, cwd=ROOT, preexec_fn=limit)
    except subprocess.TimeoutExpired:
        return None, "timeout"
    return r.returncode, r.stderr


@pytest.mark.parametrize("literal", NON_FINITE)
def test_inf_and_nan_in_a_count_cell_are_refused(tmp_path, literal):
    p = tmp_path / "inf.toml"
    p.write_text(SEED_TEXT.replace("natural = 0", f"natural = {literal}", 1), encoding="utf-8")
    code, err = _limited_subprocess("check", str(p))
    assert code == 2 and "Traceback" not in err and str(p) in err


@pytest.mark.parametrize("nested", ["[" * 3000 + "]" * 3000, "{a=" * 1500 + "1" + "}" * 1500], ids=["arrays", "tables"])
def test_deeply_nested_values_are_refused(tmp_path, nested):
    p = tmp_path / "deep.toml"
    p.write_text(SEED_TEXT + f"\nx = {nested}\n", encoding="utf-8")
    code, err = _limited_subprocess("check", str(p))
    assert code == 2 and "Traceback" not in err and str(p) in err


@pytest.mark.parametrize("what", ["dev-zero", "fifo", "previous-dev-zero"])
def test_things_that_are_not_regular_files_are_refused(tmp_path, what):
    if what == "dev-zero":
        target = "/dev/zero"
    elif what == "fifo":
        target = str(tmp_path / "pipe.toml")
        os.mkfifo(target)
    else:
        target = str(tmp_path / "prev.toml")
        Path(target).write_text(SEED_TEXT.replace("template_version = 1", 'template_version = 1\nprevious = "/dev/zero"', 1), encoding="utf-8")
    code, err = _limited_subprocess("check", target, timeout=2)
    if what == "previous-dev-zero":
        assert code == 0  # last year's draft unusable: a note, the check still runs
    else:
        assert code == 2 and target in err
    assert "Traceback" not in err
