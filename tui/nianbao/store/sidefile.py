"""Files beside a draft, and the draft file itself, handled as the clerk's own.

* Reading never blocks: a FIFO or a device planted where a lock, a recovery file or a draft
  should be is opened without blocking and refused unless it is a regular file.
* A draft reached through a symbolic link is the file the link points to: its lock, its
  recovery files and its saves all use the real file (`real_draft`), so the link stays a link
  and the same draft opened by two names is one draft.
* Side files (recovery files, exports, locks) are never readable by more people than the
  draft itself, and new files respect the umask (`side_file_mode`, `new_file_mode`).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


class NotRegularFile(OSError):
    """A path that is a FIFO, a device, a folder or (when not followed) a symbolic link."""


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: the classic two calls
    os.umask(mask)
    return mask


def new_file_mode() -> int:
    """The mode a newly created file gets (0o666 less the umask), as `open()` would give."""
    return 0o666 & ~current_umask()


def side_file_mode(draft: Path | str) -> int:
    """The mode of a file written beside a draft (recovery file, export, lock): group and others
    get no more than they have on the draft, and no more than the umask allows; the owner can
    always read and write it."""
    try:
        draft_mode = os.stat(draft).st_mode & 0o666
    except OSError:
        draft_mode = 0o666
    return (draft_mode & ~current_umask() & 0o066) | 0o600


def real_draft(path: Path | str) -> Path:
    """The file a draft's name stands for: a symbolic link's target, otherwise the path as given."""
    p = Path(path)
    try:
        if p.is_symlink():
            return Path(os.path.realpath(p))
    except OSError:
        pass
    return p


def read_regular(path: Path | str, limit: int, *, follow: bool = True) -> tuple[bytes, os.stat_result]:
    """At most `limit` bytes of a regular file and its stat, without ever blocking.

    Raises NotRegularFile for anything else (and for a symbolic link when `follow` is False),
    FileNotFoundError, PermissionError or another OSError.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if not follow and os.path.islink(path):
            raise NotRegularFile(f"{path}: symbolic link") from None
        if exc.errno is not None and os.path.isdir(path):
            raise NotRegularFile(f"{path}: folder") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegularFile(f"{path}: not a regular file")
        chunks, left = [], limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks), st
    finally:
        os.close(fd)


def is_own_regular_file(path: Path | str) -> bool:
    """A regular file (not a link) owned by this user: what may be offered as our side file."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode):
        return False
    getuid = getattr(os, "getuid", None)
    return getuid is None or st.st_uid == getuid()
