"""What a file on disk looked like when we last read or wrote it, to notice outside changes.

A Session keeps the `Stamp` of the draft as loaded (and as saved); before the next save it
asks `changed_since(path, stamp)`. If another program (a second nianbao, a text editor, a
sync client) changed the file meanwhile, the app asks 覆盖 / 重新载入 / 另存为 instead of
silently overwriting that work.

The comparison is by content (SHA-256 of the bytes): a file that was only touched, or
rewritten with the same bytes, has not changed; a file rewritten within the same second
with the same size (coarse mtimes on FAT, SMB, some ext3 mounts) has. `mtime_ns` and `size`
are kept to make the common case cheap (a different size needs no hashing) and for
messages.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Stamp:
    mtime_ns: int
    size: int
    sha256: str

    @classmethod
    def of_bytes(cls, data: bytes, mtime_ns: int = 0) -> Stamp:
        """The stamp of content we hold in memory (e.g. exactly the bytes just written)."""
        return cls(mtime_ns, len(data), hashlib.sha256(data).hexdigest())


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def stamp(path: Path | str) -> Stamp | None:
    """The file's stamp now, or None if there is no regular file there (missing, a folder,
    unreadable)."""
    path = Path(path)
    try:
        st = os.stat(path)
        if not os.path.isfile(path):
            return None
        return Stamp(st.st_mtime_ns, st.st_size, _digest(path))
    except (OSError, ValueError):
        return None


def changed_since(path: Path | str, before: Stamp | None) -> bool:
    """Whether the file's content differs from `before`.

    `before=None` means "there was no file": any file there now is a change. A file that
    disappeared (or became unreadable) since `before` is a change too.
    """
    path = Path(path)
    if before is None:
        return stamp(path) is not None
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return True
    if not os.path.isfile(path):
        return True
    if st.st_size != before.size:
        return True
    # Same size: hash even when the mtime is unchanged, because mtimes can be coarse (1-2 s).
    try:
        return _digest(path) != before.sha256
    except OSError:
        return True


def describe_change(path: Path | str, before: Stamp | None) -> str:
    """A Chinese sentence for the conflict dialog: what happened to the file on disk."""
    import datetime as dt

    now = stamp(path)
    if now is None:
        return f"{Path(path).name} 在磁盘上已被删除或移走"
    when = dt.datetime.fromtimestamp(now.mtime_ns / 1e9).strftime("%Y-%m-%d %H:%M:%S")
    if before is None:
        return f"{Path(path).name} 在磁盘上被新建了({when})"
    return f"{Path(path).name} 在打开之后被其他程序修改过(修改时间 {when})"
