"""Writing data into the clerk's own TOML text, touching only what changed.

Drafts are hand-edited: a save must keep the clerk's comments, the order of tables and keys,
and the spelling of every value it does not change. `update_text` parses the text as it was
read (tomlkit keeps every byte), makes the document hold exactly `data` - a value that is
equal stays as written, a changed value is replaced in place, a new key is added after the
last key of its table, a new table at the end of its parent, a key `data` lacks is removed -
and renders it. The result is checked by reading it back with tomllib (the parser every
reader uses); if tomlkit ever got it wrong, a fresh document is written instead.

See docs/saving.md.
"""

from __future__ import annotations

import copy
import datetime as dt
import pickle
import tomllib
from collections.abc import Mapping, MutableMapping
from decimal import Decimal
from typing import Any

import tomlkit
from tomlkit.container import Container, OutOfOrderTableProxy
from tomlkit.items import AoT, Comment, InlineTable, Item, Table, Whitespace
from tomlkit.toml_document import TOMLDocument

# A dict level of the document: the document itself, a table, an inline table, or a table
# whose parts are spread over the file ("out of order").
Level = MutableMapping[str, Any]


def update_text(source: str, data: Mapping[str, object], header: str = "", *, keep: bool = False) -> str:
    """`source` changed to hold exactly `data`; a new document (starting with `header`) when
    there is no source or tomlkit cannot read it. `keep`: the result becomes the next source
    (a save), so keep it parsed."""
    if source.strip():
        parsed = _parse(source)
        if parsed is not None:
            doc, old = parsed
            _sync(doc, data, old)
            text = doc.as_string()
            if _reads_as(text, data):
                if keep:
                    _remember(text, doc, data)
                return text
    return new_text(data, header)


def new_text(data: Mapping[str, object], header: str = "") -> str:
    """A fresh document holding `data`, in its order, after the comment lines of `header`."""
    doc = tomlkit.parse(header) if header.strip() else tomlkit.document()
    _sync(doc, data, {})
    text = doc.as_string()
    if not _reads_as(text, data):  # never write a file that reads back as something else
        raise ValueError("TOML rendering does not read back as the data")
    return text


# ---------------------------------------------------------------- parsing, with a small cache

# tomlkit parses a draft in ~10 ms, a pickled copy of the parsed document loads in ~1 ms: the
# texts last parsed are kept pickled (with what tomllib reads in them), so the autosaves between
# two saves parse once. A pickle, not the document itself: syncing changes the document.
_CACHE: dict[str, tuple[bytes, dict[str, Any]]] = {}
_CACHE_SIZE = 4
_CACHE_MAX_CHARS = 256 * 1024


def _parse(source: str) -> tuple[TOMLDocument, dict[str, Any]] | None:
    """The document and the data it holds (as tomllib reads it), or None if either refuses it."""
    cached = _CACHE.get(source)
    if cached is not None:
        doc = pickle.loads(cached[0])
        if isinstance(doc, TOMLDocument):
            return doc, cached[1]
    try:
        old = tomllib.loads(source, parse_float=Decimal)
        doc = tomlkit.parse(source)
    except Exception:  # tomlkit refuses a few texts tomllib accepts: a fresh document is written
        return None
    _remember(source, doc, old)
    return doc, old


def _remember(text: str, doc: TOMLDocument, data: Mapping[str, Any]) -> None:
    if len(text) <= _CACHE_MAX_CHARS:
        _CACHE.pop(text, None)
        _CACHE[text] = (pickle.dumps(doc), copy.deepcopy(dict(data)))
        while len(_CACHE) > _CACHE_SIZE:
            del _CACHE[next(iter(_CACHE))]


# ---------------------------------------------------------------- making a level hold `data`


def _has_comment(table: Table) -> bool:
    """Whether the clerk wrote a comment line directly in this table (not in a sub-table)."""
    return any(k is None and isinstance(item, Comment) for k, item in table.value.body)


def _sync(level: Level, data: Mapping[str, object], old: Mapping[str, object]) -> None:
    """Make `level` hold `data`. `old` is what tomllib reads in `level` now: a part equal in
    both is left alone without walking the (slower) tomlkit items."""
    for key in [k for k in old if k not in data]:
        if key not in level:
            continue
        current, before = level[key], old[key]
        if isinstance(before, Mapping) and isinstance(current, Table) and _has_comment(current):
            _sync(current, {}, before)  # emptied, not deleted: the clerk's comments in it stay
        else:
            del level[key]
    for key, value in data.items():
        if key in old and key in level:
            before = old[key]
            if _equal(before, value):
                continue
            current = level[key]
            if isinstance(value, Mapping) and isinstance(current, (Table, InlineTable, OutOfOrderTableProxy)):
                _sync(current, value, before if isinstance(before, Mapping) else {})
            else:
                level[key] = _item(value, current)
        elif key in level:  # only for a fresh document's header: not in `old`
            level[key] = _item(value, level[key])
        elif not _is_empty_table(value):  # an empty table is not written
            _add(level, key, _item(value, None))


def _add(level: Level, key: str, item: Item) -> None:
    """Add a key after the last key-value of the level (before comments that may introduce the
    next table), or a table at the end of the level."""
    container = _container_of(level)
    if container is not None and not isinstance(item, (Table, AoT)):
        last = _last_value_key(container)
        if last is not None:
            # tomlkit has no public insert; this is the one place that uses its private one.
            container._insert_after(last, key, item)
            return
    if isinstance(item, Table) and container is not None:
        # Comments at the end of the table rendered last introduce what follows it (tomlkit
        # reads them into that table): they move below the new table, still above the next one.
        for comment in _take_trailing_comments(container):
            item.raw_append(None, comment)
    level[key] = item


def _take_trailing_comments(container: Container) -> list[Item]:
    """Remove and return the comment lines (and the blank lines among them) at the end of the
    last table rendered inside `container`."""
    body = container.body
    while body and isinstance(body[-1][1], Table):
        body = body[-1][1].value.body
    start = len(body)
    while start > 0 and body[start - 1][0] is None and isinstance(body[start - 1][1], (Comment, Whitespace)):
        start -= 1
    while start < len(body) and isinstance(body[start][1], Whitespace):
        start += 1  # the blank line after the last value stays where it is
    if start == len(body) or body is container.body:
        return []
    taken = [entry for _, entry in body[start:]]
    del body[start:]  # keyless items at the end: no index in tomlkit's key map points at them
    return taken


def _container_of(level: Level) -> Container | None:
    if isinstance(level, Container):
        return level
    if isinstance(level, (Table, InlineTable)):
        return level.value
    return None


def _last_value_key(container: Container) -> str | None:
    last = None
    for key, item in container.body:
        if key is not None and not isinstance(item, (Table, AoT)):
            last = key.key
    return last


def _is_empty_table(value: object) -> bool:
    return isinstance(value, Mapping) and not value


# ---------------------------------------------------------------- values


def _equal(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | Decimal) and isinstance(b, int | Decimal):
        return a == b
    if isinstance(a, dict) and isinstance(b, Mapping):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, dt.datetime) or isinstance(b, dt.datetime):  # a date never equals a datetime
        return isinstance(a, dt.datetime) and isinstance(b, dt.datetime) and a == b
    return type(a) is type(b) and a == b


def _item(value: object, current: object) -> Item:
    """A tomlkit item for a Python value; `current` (the value it replaces) lends its style."""
    if isinstance(value, bool):
        return tomlkit.item(value)
    if isinstance(value, Decimal):
        return tomlkit.value(_decimal_text(value))
    if isinstance(value, int):
        return tomlkit.integer(value)
    if isinstance(value, str):
        return tomlkit.string(value, multiline="\n" in value)
    if isinstance(value, dt.datetime):
        sep = " " if isinstance(current, Item) and " " in current.as_string().strip() else "T"
        return tomlkit.value(value.isoformat(sep=sep))
    if isinstance(value, dt.date | dt.time):
        return tomlkit.value(value.isoformat())
    if isinstance(value, Mapping):
        return _table(value)
    if isinstance(value, list):
        if value and all(isinstance(v, Mapping) for v in value):
            aot = tomlkit.aot()
            for entry in value:
                aot.append(_table(entry))
            return aot
        array = tomlkit.array()
        for v in value:
            array.append(_item(v, None))
        return array
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _decimal_text(value: Decimal) -> str:
    if not value.is_finite():
        return "nan" if value.is_nan() else ("-inf" if value < 0 else "inf")
    return str(value)


def _table(value: Mapping[str, object]) -> Table:
    only_tables = bool(value) and all(isinstance(v, Mapping) for v in value.values())
    table = tomlkit.table(is_super_table=only_tables)
    for key, v in value.items():
        if not _is_empty_table(v):
            table.add(key, _item(v, None))
    if not only_tables:
        table.add(tomlkit.nl())  # a blank line before whatever table follows
    return table


# ---------------------------------------------------------------- the check


def _reads_as(text: str, data: Mapping[str, object]) -> bool:
    try:
        back = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError:
        return False
    return _equal(_pruned(back), _pruned(data))


def _pruned(value: object) -> object:
    """Without empty tables, which are not written."""
    if isinstance(value, Mapping):
        out = {}
        for key, v in value.items():
            kept = _pruned(v)
            if not _is_empty_table(kept):
                out[key] = kept
        return out
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value

