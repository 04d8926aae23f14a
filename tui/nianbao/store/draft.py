"""Drafts: a report being filled, stored as hand-editable TOML.

Only inputs are stored (derived cells are computed), except that a derived cell present in
the file - a total typed into an imported report - is kept so it can be checked. Keys this
version does not know are carried through every save unchanged. Saving is atomic.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from nianbao import __version__
from nianbao.errors import NianbaoError, os_reason
from nianbao.report import migrate
from nianbao.report.template import CellRef, Template, TemplateError, load_template
from nianbao.report.tomlsafe import TomlRefused, loads_bounded
from nianbao.report.values import ValueProblem, check_stored
from nianbao.store.ondisk import Stamp
from nianbao.store.sidefile import NotRegularFile, new_file_mode, read_regular, real_draft
from nianbao.store.toml_text import update_text

CellKey = tuple[str, str, str]  # (table, row, col)


class DraftError(NianbaoError):
    """A draft cannot be read or written; the message names the file and the place."""


@dataclass
class Acknowledgement:
    """A warning the clerk accepted, with a reason, for the values it was shown with."""

    rule: str
    key: str
    reason: str
    fingerprint: str
    at: dt.datetime | None = None


@dataclass
class Draft:
    template: Template
    meta: dict[str, object] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # "s1.active" -> text
    values: dict[CellKey, int | Decimal] = field(default_factory=dict)  # inputs and typed totals
    acks: list[Acknowledgement] = field(default_factory=list)
    created: dt.datetime | None = None
    updated: dt.datetime | None = None
    ui: dict[str, Any] = field(default_factory=dict)  # where the clerk left off (section, cell)
    previous: str = ""  # last year's draft, relative to this one: enables the cross-year rules
    raw: dict[str, Any] = field(default_factory=dict, repr=False)  # the file as read: unknown keys survive
    source: str = field(default="", repr=False)  # the text as read or last saved: a save edits it (docs/saving.md)
    unknown: list[str] = field(default_factory=list)  # dotted paths of keys not in the template
    migrated: list[str] = field(default_factory=list)  # what an older template version's draft moved
    # A draft written for a newer version of the template (by a newer nianbao) keeps that
    # version when saved, so the newer nianbao never migrates it a second time.
    newer_version: int | None = None

    @property
    def newer_note(self) -> str:
        if self.newer_version is None:
            return ""
        return (f"草稿来自更新版本的 nianbao(模板版本 {self.newer_version},本版本为 {self.template.version}):"
                "不认识的内容原样保留,新版本新增的检查不会执行")

    def notes(self) -> list[str]:
        """What reading the file found that the clerk should know (shown on opening and by check)."""
        out = [self.newer_note] if self.newer_version else []
        if self.unknown:
            out.append("保留了本版本不认识的内容:" + "、".join(self.unknown[:8]))
        if self.migrated:
            out.append(f"草稿属于旧版模板,已在内存中按新版调整 {len(self.migrated)} 处(保存或运行 nianbao migrate 后写回文件)")
        return out

    @property
    def year(self) -> int | None:
        y = self.meta.get("year")
        return y if isinstance(y, int) else None

    @property
    def org_name(self) -> str:
        return str(self.meta.get("org_name") or "")

    def value(self, key: CellKey) -> int | Decimal | None:
        return self.values.get(key)

    def set_value(self, key: CellKey, value: int | Decimal | None) -> None:
        if value is None:
            self.values.pop(key, None)
        else:
            self.values[key] = value

    def same_content(self, other: Draft) -> bool:
        return (self.meta, self.texts, self.values) == (other.meta, other.texts, other.values)


def normalize_newlines(text: str) -> str:
    """Narrative text keeps only "\n": TOML multi-line strings normalise CR and CRLF anyway."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def now() -> dt.datetime:
    return dt.datetime.now().astimezone().replace(microsecond=0)


def new_draft(template: Template, org_name: str = "", year: int | None = None, org_type: str = "") -> Draft:
    meta: dict[str, object] = {m.id: "" for m in template.meta if m.type in ("text", "choice")}
    meta["org_name"] = org_name
    if org_type:
        meta["org_type"] = org_type
    if year is not None:
        meta["year"] = year
    texts = {f.key: "" for f in template.fields}
    stamp = now()
    return Draft(template, meta, texts, {}, [], stamp, stamp)


# ---------------------------------------------------------------- reading


def _locate(text: str, table: str, key: str | None = None) -> int | None:
    """The 1-based line of `key` inside TOML table `[table]` (or of the header), if found."""
    current = ""
    header = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+\s*(#.*)?$")
    key_re = re.compile(r"^\s*(\"?)" + re.escape(key) + r"\1\s*=") if key else None
    for n, line in enumerate(text.splitlines(), 1):
        m = header.match(line)
        if m:
            current = re.sub(r"\s+", "", m.group(1)).replace('"', "")
            if key is None and current == table:
                return n
            continue
        if key_re and current == table and key_re.match(line):
            return n
    return None


def _where(path: str, text: str, table: str, key: str | None = None) -> str:
    line = _locate(text, table, key)
    place = f"{table}.{key}" if key else table
    return f"{path} 第 {line} 行 [{place}]" if line else f"{path} [{place}]"


MAX_DRAFT_BYTES = 2 * 1024 * 1024  # a report is 10-50 KB; anything this big is not a draft (docs/limits.md)


def read_text(path: Path) -> str:
    """A draft file's text; every way a file can be unreadable becomes a DraftError."""
    data, _ = _read_bytes(path)
    return _decode(data, path)


def read_text_stamped(path: Path) -> tuple[str, Stamp]:
    """The text and the stamp of exactly the bytes read (not of a second read, which another
    writer could already have changed)."""
    data, mtime_ns = _read_bytes(path)
    return _decode(data, path), Stamp.of_bytes(data, mtime_ns)


def _read_bytes(path: Path) -> tuple[bytes, int]:
    try:
        data, st = read_regular(path, MAX_DRAFT_BYTES + 1)  # never blocks on a FIFO or a device
        if len(data) > MAX_DRAFT_BYTES:
            raise DraftError(f"{path}:文件过大(超过 {MAX_DRAFT_BYTES // 1024 // 1024} MB),不是草稿")
    except NotRegularFile:
        if path.is_dir():
            raise DraftError(f"{path}:这是一个文件夹,不是草稿文件") from None
        raise DraftError(f"{path}:不是普通文件,不能作为草稿") from None
    except FileNotFoundError:
        raise DraftError(f"{path}:文件不存在(新建草稿:nianbao new 文件名.toml,或直接运行 nianbao)") from None
    except PermissionError:
        raise DraftError(f"{path}:没有读取权限") from None
    except IsADirectoryError:
        raise DraftError(f"{path}:这是一个文件夹,不是草稿文件") from None
    except OSError as exc:
        raise DraftError(f"{path}:无法读取({os_reason(exc)})") from None
    except ValueError:  # e.g. a NUL character in the path
        raise DraftError(f"{path!r}:文件名含有不允许的字符") from None
    if not data.strip():
        raise DraftError(f"{path}:文件是空的,不是草稿(新建草稿请用 nianbao new)")
    return data, st.st_mtime_ns


def _decode(data: bytes, path: Path) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise DraftError(f"{path} 第 {line} 行:不是 UTF-8 编码的文本(请另存为 UTF-8)") from None


# tomllib's reasons, in Chinese, with the common cause of each in a hand-edited draft.
_TOML_REASONS = [
    (r"Cannot overwrite a value|Cannot declare .* twice|Duplicate inline table key|Cannot redefine namespace",
     "同一个键或表写了两次"),
    (r"Cannot mutate immutable namespace", "表的写法冲突(同一个表既用了 a.b = … 又用了 [a.b])"),
    (r"Expected '=' after a key", "键后面缺少“=”(文字需要加引号)"),
    (r"Expected '\]' at the end of a table", "表名缺少“]”"),
    (r"Expected '\]\]' at the end of an array", "表数组名缺少“]]”"),
    (r"Expected newline or end of document", "一行写了两项,或值后面多了字符"),
    (r"Invalid date or datetime", "日期写法不对,应如 2025-01-20"),
    (r"Invalid value", "值的写法不对:文字要加引号,数字不要加引号和单位"),
    (r"Invalid initial character for a key|Invalid statement", "这里应是“键 = 值”或 [表名]"),
    (r"Unterminated string", "引号没有成对(文字没有结束)"),
    (r"Unclosed array", "方括号 [ ] 没有成对"),
    (r"Unclosed inline table", "花括号 { } 没有成对"),
    (r"Unescaped '\\' in a string|Invalid hex value|Escaped character", "文字中的反斜杠“\\”应写成“\\\\”"),
    (r"Illegal character '\\n'", "引号没有成对(文字在行末没有结束;多行文字用三个引号)"),
    (r"Illegal character|Found invalid character", "有不允许的字符(如控制字符)"),
]


def _toml_reason(reason: str) -> str:
    for pattern, chinese in _TOML_REASONS:
        if re.search(pattern, reason):
            return chinese
    return reason


def parse_toml(text: str, path: str) -> dict[str, Any]:
    """The parsed draft, within the limits of `tomlsafe` (docs/limits.md). Raises DraftError."""
    try:
        return loads_bounded(text)
    except TomlRefused as exc:
        place = f"{path} 第 {exc.line} 行" if exc.line else path
        raise DraftError(f"{place}:{exc.reason}") from None
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        if "end of document" in msg and "line" not in msg:
            last = text.count("\n") + (0 if text.endswith("\n") else 1)
            msg = msg.replace("(at end of document)", f"(at line {last}, column {len(text.splitlines()[-1]) + 1 if text.splitlines() else 1})")
        m = re.search(r"at line (\d+), column (\d+)", msg)
        if m:
            reason = msg[: m.start()].strip(" (")
            raise DraftError(f"{path} 第 {m.group(1)} 行第 {m.group(2)} 列:TOML 语法错误:{_toml_reason(reason)}") from None
        raise DraftError(f"{path}:TOML 语法错误:{_toml_reason(msg)}") from None


def load_draft(path: Path | str) -> Draft:
    path = Path(path)
    return parse_draft(read_text(path), str(path))


def load_draft_stamped(path: Path | str) -> tuple[Draft, Stamp]:
    """The draft and the stamp of the bytes it was parsed from (for conflict detection)."""
    path = Path(path)
    text, seen = read_text_stamped(path)
    return parse_draft(text, str(path)), seen


def load_previous(draft: Draft, path: Path | str) -> Draft | None:
    """Last year's draft named in `[draft] previous`, resolved beside this draft. Raises DraftError."""
    if not draft.previous:
        return None
    target = Path(draft.previous)
    if not target.is_absolute():
        target = Path(path).resolve().parent / target
    return load_draft(target)


def template_of(data: dict[str, Any], text: str, path: str) -> Template:
    """The template a parsed draft names in `[draft] template`. Raises DraftError."""
    head = data.get("draft")
    if not isinstance(head, dict) or "template" not in head:
        raise DraftError(f"{path}:缺少 [draft] 表或其中的 template(这不是 nianbao 草稿?)")
    tid = head["template"]
    if not isinstance(tid, str):
        raise DraftError(f"{_where(path, text, 'draft', 'template')}:template 应是文字")
    try:
        return load_template(tid)
    except TemplateError as exc:
        raise DraftError(f"{_where(path, text, 'draft', 'template')}:{exc}") from None


def parse_draft(text: str, path: str = "<草稿>") -> Draft:
    data = parse_toml(text, path)
    template = template_of(data, text, path)
    head = data["draft"]
    version = head.get("template_version", template.version)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise DraftError(f"{_where(path, text, 'draft', 'template_version')}:模板版本应为正整数,如 1")
    migrated: list[str] = []
    if migrate.needed(data, template):  # an older template version: move its keys in memory
        try:
            data, changes = migrate.run(data, template, path)
        except migrate.MigrationError as exc:
            raise DraftError(str(exc)) from None
        migrated = [c.describe() for c in changes]
    draft = Draft(template, raw=data, source=text, migrated=migrated)
    if version > template.version:
        draft.newer_version = version
    prev = head.get("previous", "")
    if not isinstance(prev, str):
        raise DraftError(f"{_where(path, text, 'draft', 'previous')}:previous 应是上年草稿的文件路径(文字)")
    draft.previous = prev
    draft.created = _stamp(head.get("created"))
    draft.updated = _stamp(head.get("updated"))
    _read_meta(draft, data, text, path)
    _read_texts(draft, data, text, path)
    _read_tables(draft, data, text, path)
    _read_acks(draft, data, text, path)
    draft.ui = _read_ui(data.get("app"), template)
    for key in data:
        if key not in ("draft", "meta", "text", "tables", "acknowledged", "app"):
            draft.unknown.append(key)
    return draft


def _read_ui(ui: object, template: Template) -> dict[str, str]:
    """Where the clerk left off, keeping only what names a real place: anything else in [app]
    (a number, a list, a cell that does not exist) is ignored, never trusted by the app."""
    if not isinstance(ui, dict):
        return {}
    out: dict[str, str] = {}
    for key in ("section", "cell", "field"):
        v = ui.get(key)
        if not isinstance(v, str) or not v or len(v) > 200:
            continue
        if key == "cell":
            parts = v.split(".")
            table = template.tables.get(parts[0]) if len(parts) == 3 else None
            if table is None or (parts[1], parts[2]) not in table.cell_set:
                continue
        if key == "field" and v not in template.field_by_key:
            continue
        out[key] = v
    return out


def _stamp(v: object) -> dt.datetime | None:
    if isinstance(v, dt.datetime):
        return v
    return None


def _need_table(data: dict[str, Any], key: str, text: str, path: str) -> dict[str, Any]:
    v = data.get(key, {})
    if not isinstance(v, dict):
        raise DraftError(f"{path}:{key} 应是一个表([{key}])")
    return v


def _read_meta(draft: Draft, data: dict[str, Any], text: str, path: str) -> None:
    meta = _need_table(data, "meta", text, path)
    for key, value in meta.items():
        field_ = draft.template.meta_by_id.get(key)
        if field_ is None:
            draft.unknown.append(f"meta.{key}")
            continue
        where = _where(path, text, "meta", key)
        if field_.type == "year":
            if isinstance(value, str) and value.strip() == "":
                continue
            if not isinstance(value, int) or isinstance(value, bool) or not 1990 <= value <= 2200:
                raise DraftError(f"{where}:{field_.label}应为四位年份,如 2025")
        elif field_.type == "date":
            if isinstance(value, str):
                if value.strip() == "":
                    continue
                try:
                    value = dt.date.fromisoformat(value.strip())
                except ValueError:
                    raise DraftError(f"{where}:{field_.label}“{value}”不是日期,格式如 2025-01-20") from None
            if isinstance(value, dt.datetime):
                value = value.date()
            if not isinstance(value, dt.date):
                raise DraftError(f"{where}:{field_.label}应为日期,格式如 2025-01-20")
        else:
            if not isinstance(value, str):
                raise DraftError(f"{where}:{field_.label}应为文字(加引号)")
            if field_.type == "choice" and value and value not in field_.choices:
                raise DraftError(f"{where}:{field_.label}“{value}”不是可选值({'、'.join(field_.choices)})")
        draft.meta[key] = value
    for m in draft.template.meta:  # an absent text reads as empty, as in a new draft
        if m.type in ("text", "choice"):
            draft.meta.setdefault(m.id, "")


def _read_texts(draft: Draft, data: dict[str, Any], text: str, path: str) -> None:
    texts = _need_table(data, "text", text, path)
    for f in draft.template.fields:
        draft.texts.setdefault(f.key, "")
    for sid, fields in texts.items():
        section = draft.template.section_by_id.get(sid)
        if section is None or not isinstance(fields, dict):
            draft.unknown.append(f"text.{sid}")
            continue
        for fid, value in fields.items():
            key = f"{sid}.{fid}"
            if key not in draft.template.field_by_key:
                draft.unknown.append(f"text.{key}")
                continue
            if not isinstance(value, str):
                raise DraftError(f"{_where(path, text, f'text.{sid}', fid)}:正文应为文字(用三个引号 \"\"\" 括起多行文字)")
            draft.texts[key] = normalize_newlines(value)


def _read_tables(draft: Draft, data: dict[str, Any], text: str, path: str) -> None:
    tables = _need_table(data, "tables", text, path)
    for tid, rows in tables.items():
        table = draft.template.tables.get(tid)
        if table is None:
            draft.unknown.append(f"tables.{tid}")
            continue
        if not isinstance(rows, dict):
            raise DraftError(f"{_where(path, text, 'tables', tid)}:{table} 应写成表,如 [tables.{tid}.某行]")
        for rid, cols in rows.items():
            if rid not in table.row_by_id:
                draft.unknown.append(f"tables.{tid}.{rid}")
                continue
            if not isinstance(cols, dict):
                where = _where(path, text, f"tables.{tid}", rid)
                raise DraftError(f"{where}:“{table.row_by_id[rid].label}”一行应写成表,如 [tables.{tid}.{rid}],下面逐列写数字")
            for cid, value in cols.items():
                if (rid, cid) not in table.cell_set:
                    draft.unknown.append(f"tables.{tid}.{rid}.{cid}")
                    continue
                column = table.column_by_id[cid]
                try:
                    draft.values[(tid, rid, cid)] = check_stored(value, column)
                except ValueProblem as exc:
                    where = _where(path, text, f"tables.{tid}.{rid}", cid)
                    label = draft.template.describe_cell(CellRef(tid, rid, cid))
                    raise DraftError(f"{where} {label}:{exc}") from None


def _read_acks(draft: Draft, data: dict[str, Any], text: str, path: str) -> None:
    acks = data.get("acknowledged", [])
    if not isinstance(acks, list):
        raise DraftError(f"{path}:acknowledged 应写成 [[acknowledged]] 列表")
    for i, a in enumerate(acks, 1):
        if not isinstance(a, dict) or not all(isinstance(a.get(k), str) for k in ("rule", "reason", "fingerprint")):
            raise DraftError(f"{path}:第 {i} 个 [[acknowledged]] 需要 rule、reason、fingerprint 三项文字")
        draft.acks.append(
            Acknowledgement(a["rule"], str(a.get("key", "")), a["reason"], a["fingerprint"], _stamp(a.get("at")))
        )


# ---------------------------------------------------------------- writing


def to_data(draft: Draft) -> dict[str, Any]:
    """The draft as a TOML-ready dict, starting from the file as read so unknown keys survive."""
    data = copy.deepcopy(draft.raw)
    head = data["draft"] if isinstance(data.get("draft"), dict) else {}
    head.update(
        {
            "template": draft.template.id,
            "template_version": draft.newer_version or draft.template.version,
            "created": draft.created or now(),
            "updated": draft.updated or now(),
        }
    )
    if "nianbao" in head or not draft.source:  # which version wrote it: a hand-written draft is not given one
        head["nianbao"] = __version__
    if draft.previous:
        head["previous"] = draft.previous
    else:
        head.pop("previous", None)
    # Empty fields are not written; one the file already holds empty stays as the clerk wrote it.
    meta = data["meta"] if isinstance(data.get("meta"), dict) else {}
    for m in draft.template.meta:
        v = draft.meta.get(m.id)
        if v is not None and v != "":
            meta[m.id] = v
        elif meta.get(m.id) != "":
            meta.pop(m.id, None)
    text = data["text"] if isinstance(data.get("text"), dict) else {}
    for f in draft.template.fields:
        value = normalize_newlines(draft.texts.get(f.key, ""))
        sec = text.get(f.section_id)
        if value:
            if not isinstance(sec, dict):
                sec = text[f.section_id] = {}
            sec[f.id] = value
        elif isinstance(sec, dict) and sec.get(f.id) != "":
            sec.pop(f.id, None)
    tables = data["tables"] if isinstance(data.get("tables"), dict) else {}
    for t in draft.template.tables.values():
        rows = tables.setdefault(t.id, {})
        for ref in t.cells:
            v = draft.values.get((ref.table, ref.row, ref.col))
            row = rows.setdefault(ref.row, {})
            if v is None:
                row.pop(ref.col, None)
            else:
                row[ref.col] = v
        for rid in [r for r, cols in rows.items() if cols == {}]:
            del rows[rid]
    acks: list[dict[str, object]] = []
    for a in draft.acks:
        entry: dict[str, object] = {"rule": a.rule, "key": a.key, "reason": a.reason, "fingerprint": a.fingerprint}
        if a.at is not None:
            entry["at"] = a.at
        acks.append(entry)
    ordered: dict[str, Any] = {"draft": head, "meta": meta, "text": text, "tables": tables}
    if acks:
        ordered["acknowledged"] = acks
    if draft.ui:
        ordered["app"] = dict(draft.ui)
    for k, v in data.items():
        if k not in ordered and k not in ("acknowledged", "app"):
            ordered[k] = v
    return ordered


HEADER = "# nianbao 草稿:可以用文本编辑器修改;表格只填数字,没有数据填 0;合计由程序计算。\n"


def dumps(draft: Draft, *, keep: bool = False) -> str:
    """The draft's file text: the text it was read from with only what changed rewritten
    (comments, order and spelling kept), or a new file with HEADER. `keep`: the text becomes
    the draft's source (a save)."""
    return update_text(draft.source, to_data(draft), HEADER, keep=keep)


def atomic_write(path: Path, data: bytes, *, mode: int | None = None, follow_links: bool = True) -> None:
    """Write a file so that a crash at any moment leaves either the old or the new file, whole.

    Temporary file in the same folder, fsync, rename over the target, fsync the folder.
    A symbolic link is followed (the real file is replaced and the link stays), unless
    `follow_links` is False (side files: a planted link is replaced, its target untouched).
    The file keeps its mode; a new one gets `mode`, or what the umask allows. An explicit
    `mode` always wins (side files are never wider than their draft).
    """
    path = real_draft(path) if follow_links else Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o777
        except OSError:
            mode = new_file_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass  # some file systems cannot fsync a folder; the rename is still atomic
    _sweep_leftovers(folder, path.name)


LEFTOVER_AGE = 3600  # seconds: a temporary file this old was left by a save that crashed


def _sweep_leftovers(folder: Path, name: str) -> None:
    """Remove temporary files that crashed saves of `name` left behind (never a fresh one,
    which may belong to a save in progress in another process)."""
    import glob
    import time

    cutoff = time.time() - LEFTOVER_AGE
    for leftover in glob.glob(os.path.join(glob.escape(str(folder)), f".{glob.escape(name)}.*.tmp")):
        try:
            if os.lstat(leftover).st_mtime < cutoff:
                os.unlink(leftover)
        except OSError:
            pass


def save_draft(draft: Draft, path: Path | str, touch: bool = True) -> bytes:
    """Save atomically and return the bytes written. Raises DraftError with the reason
    (read-only folder, disk full…)."""
    path = Path(path)
    if touch:
        draft.updated = now()
    if draft.created is None:
        draft.created = draft.updated or now()
    data = dumps(draft, keep=True).encode("utf-8")
    try:
        atomic_write(path, data)
    except PermissionError:
        raise DraftError(f"{path}:没有写入权限(文件夹只读?),内容仍在,请另存到其他位置") from None
    except OSError as exc:
        reason = os_reason(exc)
        raise DraftError(f"{path}:保存失败({reason}),原文件未改动,请另存到其他位置") from None
    draft.source = data.decode("utf-8")
    draft.raw = tomllib.loads(draft.source, parse_float=Decimal)
    return data
