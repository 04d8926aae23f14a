"""Draft locks: tell a clerk when another running nianbao already has this draft open.

Beside `NAME.toml` the app keeps `.NAME.toml.lock`, a small JSON file::

    {"pid": 4242, "host": "pc-07", "user": "wang", "started": "2025-01-20T09:00:00+08:00",
     "token": "…", "proc_start": "…", "nianbao": "0.1.0"}

It is created atomically and complete (written to a temporary file, then hard-linked to the
lock name, which fails if a lock is already there), so a reader never sees half a lock.

Whether a lock is live (`LockInfo.alive`):

* same host: the process must exist (`os.kill(pid, 0)`; `PermissionError` means it exists
  but belongs to another user, so it is alive) and must not be a zombie. On Linux the lock
  also records the boot id and the process's start time, so a pid reused after a crash or a
  reboot is not mistaken for the holder.
* another host (a draft on a shared folder): we cannot look at its processes. The lock is
  live while its file was refreshed within `REMOTE_STALE_AFTER` (12 hours); the holder
  refreshes it with `Lock.refresh()` (the app should do so every few minutes, e.g. with each
  autosave), so a session left open overnight on another PC still counts, and a lock left
  by a PC that crashed is taken over after 12 hours at most.
* a lock file that is not valid JSON, or lacks pid/host, is stale (nianbao never writes
  such a file; something else did, or a disk error).

A lock held by this very process (same pid and host) is not "another holder": acquiring
again replaces it, and the earlier `Lock` object's `release()` then leaves the file alone.

Stale locks are taken over silently; `Lock.took_over` keeps what the dead holder wrote, so
the app can say that the last session did not end normally (and look for a recovery file).

Known limit: two processes that find the same stale lock at the same instant may both take
it over (the window is the time between reading and replacing a few hundred bytes). A live
lock is never taken over without `force=True`.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import socket
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nianbao import __version__
from nianbao.errors import NianbaoError, os_reason
from nianbao.store.sidefile import read_regular, real_draft, side_file_mode

REMOTE_STALE_AFTER = 12 * 3600  # seconds without refresh before another host's lock is stale
REFRESH_EVERY = 10 * 60  # how often a holder should call Lock.refresh() (the app's timer)


def lock_path(path: Path | str) -> Path:
    """Beside the real file: a draft opened through a symbolic link and by its own name has one lock."""
    path = real_draft(path)
    return path.with_name(f".{path.name}.lock")


def this_host() -> str:
    try:
        return socket.gethostname() or "localhost"
    except OSError:
        return "localhost"


def this_user() -> str:
    try:
        import getpass

        return getpass.getuser()
    except Exception:  # no passwd entry (containers), no USER variable
        return os.environ.get("USER") or os.environ.get("USERNAME") or str(getattr(os, "getuid", lambda: "?")())


def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _proc_stat(pid: int) -> tuple[str, str] | None:
    """(state, start time in clock ticks since boot) of a Linux process, or None if unknown."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid ..." - comm may contain spaces and parentheses.
    rest = raw[raw.rfind(")") + 2 :].split()
    if len(rest) < 20:
        return None
    return rest[0], rest[19]


def _proc_start(pid: int) -> str:
    boot = _boot_id()
    st = _proc_stat(pid)
    if not boot or st is None:
        return ""
    return f"{boot}:{st[1]}"


def _pid_exists(pid: int) -> bool:
    if pid <= 0:  # 0 and negatives would signal process groups
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    except OSError:
        return True  # cannot tell: do not take a lock that may be live
    st = _proc_stat(pid)
    if st is not None and st[0] in ("Z", "X"):
        return False  # crashed and not yet reaped
    return True


@dataclass(frozen=True)
class LockInfo:
    """What a lock file says about its holder."""

    pid: int
    host: str
    started: str = ""  # ISO 8601 with offset
    user: str = ""
    token: str = ""
    proc_start: str = ""  # Linux "boot_id:start_ticks": detects a reused pid
    nianbao: str = ""
    mtime: float = field(default=0.0, compare=False)  # of the lock file: refreshed by the holder

    @classmethod
    def from_json(cls, data: bytes, mtime: float = 0.0) -> LockInfo | None:
        try:
            d = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return None
        if not isinstance(d, dict):
            return None
        pid, host = d.get("pid"), d.get("host")
        if not isinstance(pid, int) or isinstance(pid, bool) or not isinstance(host, str) or not host:
            return None

        def text(k: str) -> str:
            v = d.get(k, "")
            return v if isinstance(v, str) else str(v)

        return cls(pid, host, text("started"), text("user"), text("token"), text("proc_start"), text("nianbao"), mtime)

    def to_json(self) -> bytes:
        d = asdict(self)
        d.pop("mtime")
        return json.dumps(d, ensure_ascii=False, indent=1).encode("utf-8")

    @property
    def local(self) -> bool:
        return self.host == this_host()

    def is_this_process(self) -> bool:
        return self.local and self.pid == os.getpid()

    def alive(self, now: float | None = None) -> bool:
        if not self.local:
            now = time.time() if now is None else now
            return now - self.mtime < REMOTE_STALE_AFTER
        if not _pid_exists(self.pid):
            return False
        if self.proc_start:
            current = _proc_start(self.pid)
            if current and current != self.proc_start:
                return False  # the pid now belongs to another process (or this is another boot)
        return True

    def describe(self) -> str:
        """Chinese: who holds the draft, for the warning dialog."""
        when = self.started
        try:
            when = dt.datetime.fromisoformat(self.started).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            pass
        who = self.user or "某用户"
        where = "本机" if self.local else f"电脑 {self.host}"
        since = f"于 {when} " if when else ""
        return f"{who} 在{where}上(进程 {self.pid}){since}打开了这份草稿"


class DraftLocked(NianbaoError):
    """Another live nianbao holds the draft."""

    def __init__(self, path: Path, holder: LockInfo):
        super().__init__(f"{path}:{holder.describe()}。两边同时修改会互相覆盖,请先在那边保存并退出。")
        self.path = path
        self.holder = holder


def read_lock(path: Path | str) -> LockInfo | None:
    """The lock beside the draft, live or not; None if there is none or it is not a lock."""
    target = lock_path(path)
    try:  # a FIFO or a link planted as the lock must not block or be followed
        data, st = read_regular(target, 64 * 1024, follow=False)
    except (OSError, ValueError):
        return None
    return LockInfo.from_json(data, st.st_mtime)


def holder(path: Path | str) -> LockInfo | None:
    """The other live process holding the draft, or None (no lock, a stale lock, or ours)."""
    info = read_lock(path)
    if info is None or info.is_this_process() or not info.alive():
        return None
    return info


class Lock:
    """A held (or, if the folder is not writable, merely attempted) lock on one draft."""

    def __init__(self, path: Path, info: LockInfo | None, took_over: LockInfo | None = None, problem: str = ""):
        self.path = path
        self.file = lock_path(path)
        self.info = info
        self.took_over = took_over  # the stale (or forced) lock this one replaced
        self.problem = problem  # why no lock could be written; the draft is then unprotected

    @property
    def acquired(self) -> bool:
        return self.info is not None

    @property
    def held(self) -> bool:
        """Whether the lock file on disk is still this lock (nobody forced it away)."""
        current = read_lock(self.path)
        return self.info is not None and current is not None and current.token == self.info.token

    def refresh(self) -> bool:
        """Touch the lock so another host keeps seeing it live. False if it is no longer ours."""
        if not self.held:
            return False
        try:
            os.utime(self.file)
        except OSError:
            return False
        return True

    def release(self) -> None:
        """Remove the lock file if it is still ours. Safe to call twice."""
        if self.info is None:
            return
        if self.held:
            try:
                self.file.unlink()
            except OSError:
                pass
        self.info = None

    def __enter__(self) -> Lock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def __repr__(self) -> str:
        state = "held" if self.info else (f"not acquired: {self.problem}" if self.problem else "released")
        return f"<Lock {self.file} {state}>"


def _new_info() -> LockInfo:
    return LockInfo(
        pid=os.getpid(),
        host=this_host(),
        started=dt.datetime.now().astimezone().replace(microsecond=0).isoformat(),
        user=this_user(),
        token=uuid.uuid4().hex,
        proc_start=_proc_start(os.getpid()),
        nianbao=__version__,
    )


def _write_temp(folder: Path, name: str, data: bytes) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".locktmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _write_lock_temp(folder: Path, name: str, data: bytes, mode: int) -> str:
    """The complete lock, in a temporary file, readable by no more people than the draft."""
    tmp = _write_temp(folder, name, data)
    try:
        os.chmod(tmp, mode)
    except OSError:
        _unlink(tmp)
        raise
    return tmp


def _unlink(name: str | Path) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def _link_exclusive(tmp: str, target: Path, mode: int = 0o644) -> bool:
    """Put the complete temporary file at `target` unless something is there. True if done."""
    try:
        os.link(tmp, target)
        return True
    except FileExistsError:
        return False
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.ENOSYS, errno.EMLINK):
            raise
    # No hard links here (some network or FAT file systems): exclusive create, then write.
    try:
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    with os.fdopen(fd, "wb") as fh, open(tmp, "rb") as src:
        fh.write(src.read())
        fh.flush()
        os.fsync(fh.fileno())
    return True


def acquire(path: Path | str, *, force: bool = False) -> Lock:
    """Lock the draft at `path` for this process.

    Raises DraftLocked if another live nianbao holds it (unless `force`, which takes it over:
    the clerk chose to open it anyway). A stale lock is taken over. If no lock can be written
    (read-only folder, full disk), returns a Lock with `acquired == False` and `problem` set:
    the draft can still be opened, unprotected (and saving there will fail anyway).
    """
    path = Path(path)
    target = lock_path(path)
    folder = target.parent if str(target.parent) else Path(".")
    info = _new_info()
    mode = side_file_mode(path)  # readable by whoever may read the draft, nobody else
    try:
        tmp = _write_lock_temp(folder, path.name, info.to_json(), mode)
    except OSError as exc:
        reason = os_reason(exc)
        return Lock(path, None, problem=f"无法创建锁文件 {target.name}({reason}),其他人同时打开时无法提醒")
    try:
        for _ in range(5):
            if _link_exclusive(tmp, target, mode):
                return Lock(path, info)
            current = read_lock(path)
            if current is not None and not current.is_this_process() and current.alive() and not force:
                raise DraftLocked(path, current)
            # Stale, garbage, ours, or forced: replace it - but only if it is still the file we judged.
            try:
                seen, _ = read_regular(target, 64 * 1024, follow=False)
            except FileNotFoundError:
                continue  # its holder just released it: try the exclusive create again
            except OSError:
                seen = b""  # a FIFO, a link or a device where the lock should be: garbage, replaced
            if (LockInfo.from_json(seen) or None) != (current or None):
                continue  # changed under us: judge again
            os.replace(tmp, target)
            tmp = ""
            mine = read_lock(path)
            if mine is None or mine.token != info.token:
                # Someone replaced it in the same instant; judge their lock on the next round.
                tmp = _write_lock_temp(folder, path.name, info.to_json(), mode)
                continue
            return Lock(path, info, took_over=current)
        current = read_lock(path)
        if current is not None and current.alive():
            raise DraftLocked(path, current)
        return Lock(path, None, problem=f"无法取得锁文件 {target.name}(反复被其他进程改动)")
    except OSError as exc:
        reason = os_reason(exc)
        return Lock(path, None, problem=f"无法创建锁文件 {target.name}({reason}),其他人同时打开时无法提醒")
    finally:
        if tmp:
            _unlink(tmp)
