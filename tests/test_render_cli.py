"""`nianbao render --format …`, --force, --with-record, and `nianbao verify` of a published copy."""

from __future__ import annotations

import io
import re
import subprocess
import sys

import pytest
from docx import Document
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nianbao.cli.main import main
from nianbao.engine.layout import shown_values
from nianbao.engine.record import figures_digest
from nianbao.store.draft import Acknowledgement, load_draft, save_draft
from tests.export_helpers import ROOT, with_closing
from tests.test_render import drafts

SEED = ROOT / "samples" / "yuzhong-emergency-2024.toml"
BLANK = ROOT / "samples" / "blank.toml"
FORMATS = ("md", "html", "docx")


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "nianbao", *map(str, args)], capture_output=True, text=True,
                          encoding="utf-8", cwd=cwd, timeout=120)


@pytest.fixture
def draft_file(tmp_path):
    path = tmp_path / "d.toml"
    save_draft(with_closing(load_draft(SEED)), path)
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_each_format_by_suffix(draft_file, tmp_path, fmt):
    out = tmp_path / f"r.{fmt}"
    assert main(["render", str(draft_file), "-o", str(out)]) == 0
    data = out.read_bytes()
    if fmt == "docx":
        doc = Document(io.BytesIO(data))
        assert len(doc.tables) == 3
        text = "\n".join(p.text for p in doc.paragraphs)
    else:
        text = data.decode("utf-8")
        assert ("<!DOCTYPE html>" in text) == (fmt == "html")
    assert "联系方式" in text and "2025年1月20日" in text


def test_format_option_wins_over_the_suffix(draft_file, tmp_path):
    out = tmp_path / "r.txt"
    assert main(["render", str(draft_file), "--format", "html", "-o", str(out)]) == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_draft_with_errors_is_not_exported_without_force(tmp_path):
    out = tmp_path / "blank.html"
    r = run("render", BLANK, "-o", out)
    assert r.returncode == 1 and "个错误" in r.stderr and "--force" in r.stderr
    assert not out.exists()
    r = run("render", BLANK, "-o", out, "--force")
    assert r.returncode == 0 and "仍然导出" in r.stderr and out.exists()
    page = out.read_text(encoding="utf-8")
    assert '<td data-cell="t3.total.total" class="total"></td>' in page  # blank, never a computed 0


def test_docx_to_a_terminal_is_refused_but_a_pipe_gets_bytes(draft_file):
    r = subprocess.run([sys.executable, "-m", "nianbao", "render", str(draft_file), "--format", "docx"],
                       capture_output=True, timeout=120)
    assert r.returncode == 0 and r.stdout[:2] == b"PK"


def test_record_says_what_was_checked(draft_file, tmp_path):
    draft = load_draft(draft_file)
    out = tmp_path / "r.md"
    assert main(["render", str(draft_file), "-o", str(out), "--with-record"]) == 0
    text = out.read_text(encoding="utf-8").replace("\\", "")
    record = text.split("**校验记录**")[1]
    assert re.search(r"检查时间:\d{4}-\d\d-\d\dT", record)
    assert "检查程序:nianbao " in record and "模板:gov-info-disclosure-2021 第 1 版" in record
    assert "检查结果:无错误" in record
    assert figures_digest(shown_values(draft)) in record


def test_record_lists_accepted_warnings_with_reasons(tmp_path):
    from nianbao.engine.checks import check

    draft = load_draft(SEED)
    draft.texts["s1.requests"] = "本年度共收到政府信息公开申请5件。"
    warning = next(f for f in check(draft) if f.severity == "warning")
    draft.acks.append(Acknowledgement(warning.rule, warning.key, "正文的件数含上年结转", warning.fingerprint))
    path = tmp_path / "w.toml"
    save_draft(draft, path)
    out = tmp_path / "w.html"
    assert main(["render", str(path), "-o", str(out), "--with-record"]) == 0
    page = out.read_text(encoding="utf-8")
    assert "已接受的提醒:" in page and "理由:正文的件数含上年结转" in page


@pytest.mark.parametrize("fmt", FORMATS)
def test_verify_matches_then_detects_one_changed_figure(draft_file, tmp_path, fmt):
    out = tmp_path / f"r.{fmt}"
    assert main(["render", str(draft_file), "-o", str(out), "--with-record"]) == 0
    r = run("verify", out, draft_file)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "200 个数字" in r.stdout and "一致" in r.stdout
    change_licensing(out, fmt, "41")
    r = run("verify", out, draft_file)
    assert r.returncode == 1, r.stdout
    assert "“行政许可”行“本年处理决定数量”:报告中为“41”,草稿为“40”" in r.stdout
    assert "报告在校验后被改动过" in r.stdout


def change_licensing(path, fmt, value):
    if fmt == "docx":
        doc = Document(str(path))
        table = doc.tables[0]
        row = next(r for r in table.rows if r.cells[0].text == "行政许可")
        cell = row.cells[1]
        cell.paragraphs[0].runs[0].text = value
        doc.save(str(path))
        return
    text = path.read_text(encoding="utf-8")
    old = ('data-cell="t2.licensing.decisions" colspan="3">40<' if fmt == "html" else "| 行政许可 | 40 |")
    assert text.count(old) == 1
    path.write_text(text.replace(old, old.replace("40", value)), encoding="utf-8")


def test_verify_notices_a_draft_changed_after_the_record(draft_file, tmp_path):
    out = tmp_path / "r.html"
    assert main(["render", str(draft_file), "-o", str(out), "--with-record"]) == 0
    draft = load_draft(draft_file)
    draft.set_value(("t3", "new", "natural"), 1)
    draft.set_value(("t3", "open", "natural"), 1)
    save_draft(draft, draft_file)
    r = run("verify", out, draft_file)
    assert r.returncode == 1 and "草稿在校验后改过" in r.stdout


def test_verify_without_a_record_compares_figures_only(draft_file, tmp_path):
    out = tmp_path / "r.md"
    assert main(["render", str(draft_file), "-o", str(out), "--tables", "html"]) == 0
    r = run("verify", out, draft_file)
    assert r.returncode == 0 and "校验记录" not in r.stdout


@pytest.mark.parametrize("name, content", [
    ("bad.docx", b"not a zip"),
    ("bad.html", b"\xff\xfe\x00broken"),
    ("report.pdf", b"%PDF-1.4"),
    ("damaged.docx", None),
])
def test_verify_of_an_unreadable_copy_exits_2(draft_file, tmp_path, name, content):
    path = tmp_path / name
    if content is None:  # a zip with a Word file's parts, one of them not XML
        import zipfile

        good = tmp_path / "good.docx"
        assert main(["render", str(draft_file), "-o", str(good)]) == 0
        with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
            for item in src.infolist():
                dst.writestr(item, b"<w:document" if item.filename == "word/document.xml" else src.read(item))
    else:
        path.write_bytes(content)
    r = run("verify", path, draft_file)
    assert r.returncode == 2 and "nianbao:" in r.stderr and "Traceback" not in r.stderr


def test_verify_of_a_missing_copy_exits_2(draft_file, tmp_path):
    r = run("verify", tmp_path / "none.html", draft_file)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_verify_of_a_copy_with_missing_tables_is_a_mismatch(draft_file, tmp_path):
    out = tmp_path / "r.md"
    assert main(["render", str(draft_file), "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    out.write_text(text.split("## 四、")[0], encoding="utf-8")
    r = run("verify", out, draft_file)
    assert r.returncode == 1 and "少了 15 个数字" in r.stdout


def test_help_names_the_formats():
    r = run("render", "-h")
    assert r.returncode == 0 and "docx" in r.stdout and "--with-record" in r.stdout
    assert "verify" in run("--help").stdout


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drafts(), st.sampled_from(["md", "html", "docx"]), st.sampled_from(["pipe", "html"]))
def test_any_draft_round_trips_through_every_format(tmp_path, draft, fmt, tables):
    from nianbao.engine.exports import export_bytes
    from nianbao.engine.verify import compare, read_published

    out = tmp_path / f"any.{fmt}"
    out.write_bytes(export_bytes(draft, fmt, tables=tables))
    result = compare(read_published(out, draft), draft)
    assert result.differences == [] and result.missing == 0 and result.matches
