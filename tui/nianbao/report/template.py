"""The report template: sections, fields, tables and rules, loaded from TOML data.

A template is the single declaration of a report format. Nothing here knows the national
format; everything comes from the file. Loading validates the structure and compiles every
rule (see `nianbao.report.expr`), so a broken template is refused before any draft is touched.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from nianbao.errors import TemplateError, os_reason
from nianbao.report import migrate, tomlsafe
from nianbao.report.expr import compile_template
from nianbao.report.model import (  # re-exported: the model is part of this module's face (__all__)
    META_SECTION,
    Block,
    CellRef,
    ClosingLine,
    Column,
    MetaField,
    NarrativeField,
    Row,
    Rule,
    Section,
    Table,
    Template,
)
from nianbao.report.template_schema import validate_structure

__all__ = [
    "DEFAULT_TEMPLATE_ID", "META_SECTION", "Block", "CellRef", "Column", "MetaField", "NarrativeField", "Row", "Rule",
    "Section", "Table", "Template", "TemplateError", "available_templates", "load_template", "load_template_file",
    "parse_template", "template_dirs",
]

DEFAULT_TEMPLATE_ID = "gov-info-disclosure-2021"
MAX_TEMPLATE_BYTES = 2 * 1024 * 1024


# ---------------------------------------------------------------- loading


def _req(d: dict[str, Any], key: str, where: str, path: str, kind: type = str) -> Any:
    if key not in d:
        raise TemplateError(f"模板 {path}:{where} 缺少 {key}")
    value = d[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TemplateError(f"模板 {path}:{where} 的 {key} 类型不对")
    return value


def _table_from(d: dict[str, Any], path: str) -> Table:
    tid = _req(d, "id", "[[tables]]", path)
    where = f"表 {tid}"
    columns: list[Column] = []
    for i, c in enumerate(d.get("columns", [])):
        ctype = c.get("type", "count")
        if ctype not in ("count", "amount"):
            raise TemplateError(f"模板 {path}:{where} 列 {c.get('id')} 的 type 只能是 count 或 amount")
        columns.append(
            Column(
                id=_req(c, "id", f"{where} 的列", path),
                label=_req(c, "label", f"{where} 的列", path),
                index=i,
                group=tuple(c.get("group", ())),
                type=ctype,
                places=int(c.get("places", 0)),
                unit=c.get("unit", "件" if ctype == "count" else ""),
                formula=c.get("formula"),
            )
        )
    rows = [
        Row(
            id=_req(r, "id", f"{where} 的行", path),
            label=_req(r, "label", f"{where} 的行", path),
            index=i,
            group=tuple(r.get("group", ())),
            short=r.get("short", ""),
            help=r.get("help", ""),
            formula=r.get("formula"),
        )
        for i, r in enumerate(d.get("rows", []))
    ]
    if not columns or not rows:
        raise TemplateError(f"模板 {path}:{where} 至少要有一行一列")
    for kind, items in (("列", columns), ("行", rows)):
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                raise TemplateError(f"模板 {path}:{where} 的{kind} id “{item.id}”重复")
            seen.add(item.id)
    col_ids = {c.id for c in columns}
    row_ids = {r.id for r in rows}
    blocks: list[Block] = []
    for b in d.get("blocks", []):
        block = Block(
            title=b.get("title", ""),
            row_header=b.get("row_header", ""),
            rows=tuple(b.get("rows", [])),
            columns=tuple(b.get("columns", [])),
        )
        for r in block.rows:
            if r not in row_ids:
                raise TemplateError(f"模板 {path}:{where} 的块引用了不存在的行 “{r}”")
        for c in block.columns:
            if c not in col_ids:
                raise TemplateError(f"模板 {path}:{where} 的块引用了不存在的列 “{c}”")
        blocks.append(block)
    if not blocks:
        blocks = [Block("", "", tuple(r.id for r in rows), tuple(c.id for c in columns))]
    return Table(
        id=tid,
        section_id=_req(d, "section", where, path),
        title=_req(d, "title", where, path),
        columns=columns,
        rows=rows,
        blocks=blocks,
        corner=d.get("corner", ""),
        row_labels=bool(d.get("row_labels", True)),
    )


def _closing_from(items: object, meta: list[MetaField], path: str) -> tuple[ClosingLine, ...]:
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise TemplateError(f"模板 {path}:closing 应写成 [[closing]] 表数组")
    known = {m.id for m in meta}
    out = []
    for i, item in enumerate(items, 1):
        where = f"第 {i} 个 [[closing]]"
        text = _req(item, "text", where, path)
        align = item.get("align", "left")
        if align not in ("left", "right"):
            raise TemplateError(f"模板 {path}:{where} 的 align 只能是 left 或 right")
        for name in re.findall(r"(?<!\{)\{(\w+)\}", text):
            if name not in known:
                raise TemplateError(f"模板 {path}:{where} 的占位 {{{name}}} 不是基本信息的 id")
        out.append(ClosingLine(text, align))
    return tuple(out)


def _scopes_of(r: dict[str, Any], rid: str, path: str) -> tuple[tuple[str, str, str], ...]:
    """A rule's [[rules.scopes]]: each a label and either `value` (an expression the stated
    figure may equal instead) or `test` (a condition under which it counts something else)."""
    raw = r.get("scopes", [])
    if not isinstance(raw, list):
        raise TemplateError(f"模板 {path}:规则 {rid} 的 scopes 应写成 [[rules.scopes]] 表数组")
    out: list[tuple[str, str, str]] = []
    for i, s in enumerate(raw, 1):
        if not isinstance(s, dict) or not isinstance(s.get("label"), str):
            raise TemplateError(f"模板 {path}:规则 {rid} 的第 {i} 个 scopes 缺少 label")
        kinds = [k for k in ("value", "test") if k in s]
        if len(kinds) != 1 or not isinstance(s[kinds[0]], str):
            raise TemplateError(f"模板 {path}:规则 {rid} 的 scopes“{s['label']}”应写 value 或 test 其中之一(表达式)")
        out.append((s["label"], kinds[0], s[kinds[0]]))
    return tuple(out)


def parse_template(data: dict[str, Any], path: str = "<模板>") -> Template:
    """Build and validate a Template from parsed TOML; compiles every rule and formula."""
    if not isinstance(data, dict):
        raise TemplateError(f"模板 {path}:应是 TOML 表")
    validate_structure(data, path)
    head = data.get("template")
    if not isinstance(head, dict):
        raise TemplateError(f"模板 {path}:缺少 [template] 表")
    meta = [
        MetaField(
            id=_req(m, "id", "[[meta]]", path),
            label=_req(m, "label", "[[meta]]", path),
            type=m.get("type", "text"),
            required=bool(m.get("required", False)),
            help=m.get("help", ""),
            choices=tuple(m.get("choices", ())),
        )
        for m in data.get("meta", [])
    ]
    for m in meta:
        if m.type not in ("text", "choice", "year", "date"):
            raise TemplateError(f"模板 {path}:基本信息 {m.id} 的 type “{m.type}”无效")
    tables = {}
    for t in data.get("tables", []):
        table = _table_from(t, path)
        if table.id in tables:
            raise TemplateError(f"模板 {path}:表 id “{table.id}”重复")
        tables[table.id] = table
    sections = []
    for s in data.get("sections", []):
        sid = _req(s, "id", "[[sections]]", path)
        fields = [
            NarrativeField(
                id=_req(f, "id", f"章节 {sid} 的字段", path),
                section_id=sid,
                label=_req(f, "label", f"章节 {sid} 的字段", path),
                guidance=f.get("guidance", ""),
                required=bool(f.get("required", False)),
                min_chars=int(f.get("min_chars", 0)),
            )
            for f in s.get("fields", [])
        ]
        for tid in s.get("tables", []):
            if tid not in tables:
                raise TemplateError(f"模板 {path}:章节 {sid} 引用了不存在的表 “{tid}”")
        heading = _req(s, "heading", f"章节 {sid}", path)
        sections.append(Section(sid, heading, s.get("nav", heading), fields, list(s.get("tables", []))))
    section_ids = {s.id for s in sections}
    if META_SECTION in section_ids:
        raise TemplateError(f"模板 {path}:章节 id 不能是 “{META_SECTION}”")
    for t in tables.values():
        if t.section_id not in section_ids:
            raise TemplateError(f"模板 {path}:表 {t.id} 所属章节 “{t.section_id}”不存在")
        t.number = next(s.number for s in sections if s.id == t.section_id)
    rules = []
    seen_rules: set[str] = set()
    for r in data.get("rules", []):
        rid = _req(r, "id", "[[rules]]", path)
        if rid in seen_rules:
            raise TemplateError(f"模板 {path}:规则 id “{rid}”重复")
        seen_rules.add(rid)
        severity = r.get("severity", "error")
        if severity not in ("error", "warning"):
            raise TemplateError(f"模板 {path}:规则 {rid} 的 severity 只能是 error 或 warning")
        section = r.get("section", "auto")
        if section not in section_ids | {META_SECTION, "auto"}:
            raise TemplateError(f"模板 {path}:规则 {rid} 的 section “{section}”不存在")
        rules.append(
            Rule(
                scopes=_scopes_of(r, rid, path),
                id=rid,
                severity=severity,
                section=section,
                title=r.get("title", rid),
                check=_req(r, "check", f"规则 {rid}", path),
                message=_req(r, "message", f"规则 {rid}", path),
                when=r.get("when"),
                needs_previous=bool(r.get("needs_previous", False)),
            )
        )
    carry = data.get("carry", {})
    carry_meta = tuple(carry.get("meta", ()))
    carry_rows = tuple(tuple(pair) for pair in carry.get("rows", ()))
    for m in carry_meta:
        if m not in {x.id for x in meta}:
            raise TemplateError(f"模板 {path}:[carry] 的 meta 引用了不存在的基本信息 “{m}”")
    for pair in carry_rows:
        if len(pair) != 2:
            raise TemplateError(f"模板 {path}:[carry] 的 rows 每项应是 [来源行, 目标行]")
        for ref in pair:
            tid, _, rid = ref.partition(".")
            if tid not in tables or rid not in tables[tid].row_by_id:
                raise TemplateError(f"模板 {path}:[carry] 引用了不存在的行 “{ref}”")
    if not isinstance(data.get("migrations", []), list):
        raise TemplateError(f"模板 {path}:migrations 应写成 [[migrations]] 表数组")
    closing = _closing_from(data.get("closing", []), meta, path)
    template = Template(
        id=_req(head, "id", "[template]", path),
        version=_req(head, "version", "[template]", path, int),
        name=str(head.get("name", head.get("id", ""))),
        basis=head.get("basis", ""),
        title=head.get("title", "{org_name}{year}年报告"),
        opening=head.get("opening", ""),
        meta=meta,
        sections=sections,
        tables=tables,
        rules=rules,
        path=path,
        migrations=list(data.get("migrations", [])),
        carry_meta=carry_meta,
        carry_rows=carry_rows,
        closing=closing,
    )
    # A broken migration is refused with the template, not when a clerk opens an old draft.
    try:
        migrate.validate(template.migrations, template.version, path)
    except migrate.MigrationError as exc:
        raise TemplateError(str(exc)) from None
    # Compiling needs the whole template (names of tables, rows, sections).
    compile_template(template)
    return template


def load_template_file(path: Path) -> Template:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise TemplateError(f"模板 {path}:无法读取({os_reason(exc)})") from None
    if len(raw) > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"模板 {path}:文件过大(超过 {MAX_TEMPLATE_BYTES // 1024 // 1024} MB)")
    try:
        text = raw.decode("utf-8")
        tomlsafe.prescan(text)
        data = tomllib.loads(text)
        tomlsafe.check_data(data)
    except UnicodeDecodeError:
        raise TemplateError(f"模板 {path}:不是 UTF-8 编码的文本") from None
    except tomlsafe.TomlRefused as exc:
        raise TemplateError(f"模板 {path}" + (f" 第 {exc.line} 行" if exc.line else "") + f":{exc.reason}") from None
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(f"模板 {path}:TOML 语法错误:{exc}") from None
    except (ValueError, RecursionError):  # e.g. an integer of more than 4,300 digits
        raise TemplateError(f"模板 {path}:数字超出范围或嵌套过深") from None
    return parse_template(data, str(path))


def template_dirs() -> list[Path]:
    """Where templates are found: the wheel's copy, else the repository's schema/ folder."""
    dirs = []
    packaged = resources.files("nianbao") / "_schema"
    if packaged.is_dir():
        dirs.append(Path(str(packaged)))
    repo = Path(__file__).resolve().parents[3] / "schema"
    if repo.is_dir():
        dirs.append(repo)
    return dirs


_cache: dict[str, Template] = {}


def available_templates() -> list[str]:
    ids: list[str] = []
    for d in template_dirs():
        ids.extend(p.stem for p in sorted(d.glob("*.toml")))
    return sorted(set(ids))


def load_template(template_id: str = DEFAULT_TEMPLATE_ID) -> Template:
    """The template with this id, from the installed templates (cached)."""
    if template_id in _cache:
        return _cache[template_id]
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", template_id or ""):
        raise TemplateError(f"未知的模板 “{template_id[:60]}”(可用的模板:{'、'.join(available_templates()) or '无'})")
    for d in template_dirs():
        p = d / f"{template_id}.toml"
        if p.is_file():
            t = load_template_file(p)
            if t.id != template_id:
                raise TemplateError(f"模板 {p}:[template] 的 id “{t.id}”应与文件名 “{template_id}”一致")
            _cache[template_id] = t
            return t
    known = "、".join(available_templates()) or "无"
    raise TemplateError(f"未知的模板 “{template_id}”(可用的模板:{known})")
