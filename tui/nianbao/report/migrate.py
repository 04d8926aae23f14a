"""Template migrations: bring a draft written for an older template version up to date.

A template that changes its structure (renames a row, moves a text field, splits a column)
bumps `[template] version` and declares, as data, how an older draft's keys move::

    [[migrations]]
    from_version = 1
    to_version = 2
    note = "表三“上年结转”行的 id 由 carry 改为 carried"
    steps = [
      { op = "rename", from = "tables.t3.carry", to = "tables.t3.carried" },
      { op = "move",   from = "text.s1.active_info", to = "text.s1.active" },
      { op = "move",   from = "tables.t3.*.legal_person", to = "tables.t3.*.legal" },
      { op = "move",   from = "tables.t3.old_a", to = "tables.t3.merged", combine = "sum" },
      { op = "map",    path = "meta.org_type", values = { "县级政府部门" = "县级人民政府部门" } },
      { op = "set",    path = "meta.contact", value = "", only_missing = true },
      { op = "delete", path = "meta.fax" },
    ]

Steps work on the draft's raw TOML data (before `parse_draft` validates it), in order:

`move` / `rename`  `from` → `to`. A missing source is skipped. If the target exists: two
                   tables are merged key by key; two values conflict, which is an error unless
                   `combine` says what to do: "sum" (add numbers), "keep" (keep the target),
                   "replace" (take the source). `rename` must keep the parent (only the last
                   key changes).
`delete`           removes `path` (listed with its old value in the dry run).
`set`              puts `value` at `path`; with `only_missing = true` only where nothing is.
`map`              replaces the value at `path` if it is a key of `values`.

Paths are dotted keys (`tables.t3.new.natural`) or arrays of keys for keys containing dots.
One or more `*` segments match every key at that level; the keys they matched fill the `*`
segments of `to`, in order.

Versions: the draft's `[draft] template_version` (missing means "current"). Migrations chain
from the draft's version up to the template's; a version with no declared step is taken to
have changed nothing structural. A draft from a newer template version is left alone (its
unknown keys are kept by `parse_draft`). After migrating, `template_version` is the
template's version.

`plan()` is the dry run: a Chinese line per change. `apply()` returns migrated data.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from nianbao.errors import NianbaoError

if TYPE_CHECKING:
    from nianbao.report.model import Template

OPS = ("move", "rename", "delete", "set", "map")
COMBINE = ("error", "sum", "keep", "replace")


class MigrationError(NianbaoError):
    """A migration cannot be applied (or a template declares a broken one)."""


@dataclass(frozen=True)
class Change:
    """One thing a migration did (or would do), for the dry run and the app's notice."""

    op: str  # move | delete | set | map | version
    path: str  # where the value was (dotted)
    target: str = ""  # where it went (move)
    before: object = None
    after: object = None

    def describe(self) -> str:
        if self.op == "move":
            return f"移动 {self.path} → {self.target}"
        if self.op == "merge":
            return f"合并 {self.path} → {self.target}({_show(self.before)} + 原有值 = {_show(self.after)})"
        if self.op == "delete":
            return f"删除 {self.path}(原值 {_show(self.before)})"
        if self.op == "set":
            old = "无" if self.before is None else _show(self.before)
            return f"设置 {self.path} = {_show(self.after)}(原值 {old})"
        if self.op == "map":
            return f"改写 {self.path}:{_show(self.before)} → {_show(self.after)}"
        if self.op == "version":
            return f"模板版本 {self.before} → {self.after}"
        return f"{self.op} {self.path}"


def _show(v: object, width: int = 30) -> str:
    if isinstance(v, dict):
        return f"{{{len(v)} 项}}"
    if isinstance(v, str):
        s = v.replace("\n", " ")
        s = s if len(s) <= width else s[: width - 1] + "…"
        return f"“{s}”"
    if isinstance(v, Decimal):
        return format(v, "f")
    return str(v)


# ---------------------------------------------------------------- paths


def _split(path: object, where: str) -> tuple[str, ...]:
    if isinstance(path, str) and path.strip():
        parts = tuple(path.split("."))
    elif isinstance(path, list) and path and all(isinstance(p, str) for p in path):
        parts = tuple(path)
    else:
        raise MigrationError(f"{where}:路径应是非空的文字(如 \"tables.t3.new\")或文字数组")
    if any(p == "" for p in parts):
        raise MigrationError(f"{where}:路径 “{path}” 中有空的部分")
    return parts


def _dotted(parts: tuple[str, ...]) -> str:
    return ".".join(f'"{p}"' if "." in p or not p else p for p in parts)


def _expand(data: dict[str, Any], pattern: tuple[str, ...]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Existing paths matching `pattern`: (path, the keys the `*` segments matched)."""
    out: list[tuple[tuple[str, ...], tuple[str, ...]]] = []

    def walk(node: object, i: int, path: tuple[str, ...], stars: tuple[str, ...]) -> None:
        if i == len(pattern):
            out.append((path, stars))
            return
        if not isinstance(node, dict):
            return
        seg = pattern[i]
        if seg == "*":
            for k in list(node):
                walk(node[k], i + 1, path + (k,), stars + (k,))
        elif seg in node:
            walk(node[seg], i + 1, path + (seg,), stars)

    walk(data, 0, (), ())
    return out


def _fill(pattern: tuple[str, ...], stars: tuple[str, ...]) -> tuple[str, ...]:
    it = iter(stars)
    return tuple(next(it) if seg == "*" else seg for seg in pattern)


def _get(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: object = data
    for seg in path:
        if not isinstance(node, dict) or seg not in node:
            return _MISSING
        node = node[seg]
    return node


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING = _Missing()


def _parent(data: dict[str, Any], path: tuple[str, ...], create: bool, where: str) -> dict[str, Any] | None:
    node = data
    for i, seg in enumerate(path[:-1]):
        nxt = node.get(seg, _MISSING)
        if nxt is _MISSING:
            if not create:
                return None
            nxt = node[seg] = {}
        if not isinstance(nxt, dict):
            raise MigrationError(f"{where}:{_dotted(path[: i + 1])} 不是表,无法放入 {_dotted(path)}")
        node = nxt
    return node


def _prune(data: dict[str, Any], path: tuple[str, ...]) -> None:
    """Remove tables left empty by a move, up from `path`'s parent (never the top level)."""
    for n in range(len(path) - 1, 1, -1):
        parent = _get(data, path[: n - 1])
        node = _get(data, path[:n])
        if isinstance(parent, dict) and node == {}:
            del parent[path[n - 1]]
        else:
            break


def _is_number(v: object) -> bool:
    return isinstance(v, int | float | Decimal) and not isinstance(v, bool)


def _exact(v: object) -> int | Decimal:
    """A number (checked by _is_number) for exact addition: a float through its shortest text."""
    if isinstance(v, float):
        return Decimal(str(v))
    assert isinstance(v, int | Decimal)
    return v


# ---------------------------------------------------------------- steps


def _merge(src: object, dst: object, combine: str, path: tuple[str, ...], where: str, changes: list[Change], target: tuple[str, ...]) -> object:
    """`src` put where `dst` already is: the resulting value."""
    if isinstance(src, dict) and isinstance(dst, dict):
        out = dict(dst)
        for k, v in src.items():
            if k in out:
                out[k] = _merge(v, out[k], combine, path + (k,), where, changes, target + (k,))
            else:
                out[k] = v
        return out
    if combine == "keep":
        return dst
    if combine == "replace":
        return src
    if combine == "sum":
        if _is_number(src) and _is_number(dst):
            total = _exact(src) + _exact(dst)
            changes.append(Change("merge", _dotted(path), _dotted(target), src, total))
            return total
        raise MigrationError(f"{where}:{_dotted(path)} 与 {_dotted(target)} 不都是数字,无法相加")
    raise MigrationError(
        f"{where}:{_dotted(target)} 已有内容,不能把 {_dotted(path)} 移过去(迁移步骤可用 combine = \"sum\"/\"keep\"/\"replace\")"
    )


def _step(data: dict[str, Any], step: dict[str, Any], where: str, changes: list[Change]) -> None:
    op = step.get("op")
    if op in ("move", "rename"):
        src = _split(step.get("from"), where)
        dst = _split(step.get("to"), where)
        if src.count("*") != dst.count("*"):
            raise MigrationError(f"{where}:from 和 to 中的 * 个数应相同")
        if op == "rename" and (len(src) != len(dst) or src[:-1] != dst[:-1]):
            raise MigrationError(f"{where}:rename 只能改最后一级的名字,移到别处请用 move")
        combine = step.get("combine", "error")
        if combine not in COMBINE:
            raise MigrationError(f"{where}:combine 只能是 {'、'.join(COMBINE)}")
        for path, stars in _expand(data, src):
            target = _fill(dst, stars)
            if target == path:
                continue
            if target[: len(path)] == path:
                raise MigrationError(f"{where}:不能把 {_dotted(path)} 移到它自己里面")
            value = _get(data, path)
            if value is _MISSING:  # moved away by an earlier match of this step
                continue
            tparent = _parent(data, target, True, where)
            assert tparent is not None
            changes.append(Change("move", _dotted(path), _dotted(target), value))
            if target[-1] in tparent:
                merged = _merge(value, tparent[target[-1]], combine, path, where, changes, target)
            else:
                merged = value
            parent = _parent(data, path, False, where)
            assert parent is not None
            del parent[path[-1]]
            tparent[target[-1]] = merged
            _prune(data, path)
    elif op == "delete":
        for path, _ in _expand(data, _split(step.get("path"), where)):
            parent = _parent(data, path, False, where)
            assert parent is not None
            changes.append(Change("delete", _dotted(path), before=parent.pop(path[-1])))
            _prune(data, path)
    elif op == "set":
        if "value" not in step:
            raise MigrationError(f"{where}:set 需要 value")
        path = _split(step.get("path"), where)
        if "*" in path:
            raise MigrationError(f"{where}:set 的路径不能含 *")
        old = _get(data, path)
        if old is not _MISSING and step.get("only_missing", False):
            return
        if old == step["value"]:
            return
        parent = _parent(data, path, True, where)
        assert parent is not None
        parent[path[-1]] = copy.deepcopy(step["value"])
        changes.append(Change("set", _dotted(path), before=None if old is _MISSING else old, after=step["value"]))
    elif op == "map":
        values = step.get("values")
        if not isinstance(values, dict) or not values:
            raise MigrationError(f"{where}:map 需要 values = {{ 旧值 = 新值 }}")
        for path, _ in _expand(data, _split(step.get("path"), where)):
            old = _get(data, path)
            if isinstance(old, str) and old in values:
                parent = _parent(data, path, False, where)
                assert parent is not None
                parent[path[-1]] = values[old]
                changes.append(Change("map", _dotted(path), before=old, after=values[old]))
    else:
        raise MigrationError(f"{where}:op “{op}” 无效,只能是 {'、'.join(OPS)}")


# ---------------------------------------------------------------- the chain


def validate(migrations: list[Any], template_version: int, path: str = "<模板>") -> None:
    """Check a template's [[migrations]] (structure only). Raises MigrationError.

    Meant to be called by the template loader so a broken migration is refused with the
    template, not when a clerk opens an old draft.
    """
    seen: set[int] = set()
    for i, m in enumerate(migrations, 1):
        where = f"模板 {path}:第 {i} 个 [[migrations]]"
        if not isinstance(m, dict):
            raise MigrationError(f"{where} 应是一个表")
        a, b = m.get("from_version"), m.get("to_version")
        if not (isinstance(a, int) and isinstance(b, int)) or isinstance(a, bool) or isinstance(b, bool):
            raise MigrationError(f"{where} 需要整数 from_version 和 to_version")
        if not a < b <= template_version:
            raise MigrationError(f"{where}:应满足 from_version < to_version ≤ 模板版本 {template_version}")
        if a in seen:
            raise MigrationError(f"{where}:从版本 {a} 出发的迁移重复")
        seen.add(a)
        steps = m.get("steps", [])
        if not isinstance(steps, list):
            raise MigrationError(f"{where}:steps 应是数组")
        for j, s in enumerate(steps, 1):
            w = f"{where} 第 {j} 步"
            if not isinstance(s, dict):
                raise MigrationError(f"{w} 应是一个表,如 {{ op = \"move\", from = …, to = … }}")
            op = s.get("op")
            if op not in OPS:
                raise MigrationError(f"{w}:op “{op}” 无效,只能是 {'、'.join(OPS)}")
            if op in ("move", "rename"):
                src, dst = _split(s.get("from"), w), _split(s.get("to"), w)
                if src.count("*") != dst.count("*"):
                    raise MigrationError(f"{w}:from 和 to 中的 * 个数应相同")
                if op == "rename" and (len(src) != len(dst) or src[:-1] != dst[:-1]):
                    raise MigrationError(f"{w}:rename 只能改最后一级的名字,移到别处请用 move")
                if s.get("combine", "error") not in COMBINE:
                    raise MigrationError(f"{w}:combine 只能是 {'、'.join(COMBINE)}")
            else:
                _split(s.get("path"), w)
            if op == "set" and "value" not in s:
                raise MigrationError(f"{w}:set 需要 value")
            if op == "map" and not isinstance(s.get("values"), dict):
                raise MigrationError(f"{w}:map 需要 values = {{ 旧值 = 新值 }}")


def draft_version(raw: dict[str, Any], template: Template) -> int:
    head = raw.get("draft")
    v = head.get("template_version") if isinstance(head, dict) else None
    if isinstance(v, int) and not isinstance(v, bool):
        return v
    return template.version


def needed(raw: dict[str, Any], template: Template) -> bool:
    """Whether `raw` (a draft's TOML data) is for an older version of `template`."""
    return draft_version(raw, template) < template.version


def run(raw: dict[str, Any], template: Template, path: str = "<草稿>") -> tuple[dict[str, Any], list[Change]]:
    """Migrated copy of `raw` and the changes made; `raw` itself is not touched."""
    data = copy.deepcopy(raw)
    start = version = draft_version(raw, template)
    changes: list[Change] = []
    if version >= template.version:
        return data, changes
    by_from = {m.get("from_version"): m for m in template.migrations if isinstance(m, dict)}
    while version < template.version:
        m = by_from.get(version)
        if m is None:
            # No declared step: nothing structural changed between these versions.
            later = [v for v in by_from if isinstance(v, int) and version < v < template.version]
            version = min(later) if later else template.version
            continue
        to = m.get("to_version")
        if not isinstance(to, int) or to <= version:
            raise MigrationError(f"模板 {template.id}:从版本 {version} 的迁移 to_version 无效")
        for j, step in enumerate(m.get("steps", []), 1):
            where = f"{path}:模板 {template.id} 从版本 {version} 升到 {to} 的第 {j} 步"
            if not isinstance(step, dict):
                raise MigrationError(f"{where} 不是表")
            _step(data, step, where, changes)
        version = to
    head = data.setdefault("draft", {})
    if isinstance(head, dict):
        head["template_version"] = template.version
    changes.append(Change("version", "draft.template_version", before=start, after=template.version))
    return data, changes


def plan(raw: dict[str, Any], template: Template, path: str = "<草稿>") -> list[str]:
    """The dry run: one Chinese line per change a migration would make (empty: none needed)."""
    _, changes = run(raw, template, path)
    return [c.describe() for c in changes]


def apply(raw: dict[str, Any], template: Template, path: str = "<草稿>") -> dict[str, Any]:
    """`raw` migrated to the template's version (a new dict; `raw` is not touched)."""
    return run(raw, template, path)[0]
