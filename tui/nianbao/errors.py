"""Errors the user may see. Every message is Chinese and names the place it concerns."""

from __future__ import annotations

import re

# Exit codes scripts can rely on (documented in the README).
EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_UNUSABLE = 2


# What a terminal may read as a command: C0 controls, DEL, C1 controls (\x9b is CSI on its own),
# and the bidirectional overrides that reorder what is shown (a "Trojan source" line).
_TERMINAL_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text safe to print on a clerk's terminal: control characters (from a file's content or a
    file's name, e.g. ESC ] 52 - a clipboard write) are shown as escapes such as \\x1b instead of
    being sent to the terminal. Line breaks and tabs stay. Every CLI output goes through this."""
    if not _TERMINAL_CONTROLS.search(text):
        return text
    return _TERMINAL_CONTROLS.sub(lambda m: m.group(0) if m.group(0) in "\n\t" else ascii(m.group(0))[1:-1], text)


def without_controls(text: str) -> str:
    """The text with every terminal control character removed (they take no cell on screen, so
    removing them keeps the layout). What the app draws goes through this."""
    return _TERMINAL_CONTROLS.sub("", text) if _TERMINAL_CONTROLS.search(text) else text


_OS_REASONS = {
    "ENOSPC": "磁盘已满",
    "EDQUOT": "超出磁盘配额",
    "EROFS": "磁盘或文件夹是只读的",
    "EACCES": "没有权限",
    "EPERM": "没有权限",
    "ENOENT": "文件或文件夹不存在",
    "ENOTDIR": "路径中有一部分不是文件夹",
    "EISDIR": "这是一个文件夹",
    "ENAMETOOLONG": "文件名太长",
    "EIO": "磁盘读写出错",
    "EBUSY": "文件正被占用",
    "ETXTBSY": "文件正被占用",
    "EEXIST": "文件已存在",
    "EXDEV": "不能跨磁盘移动",
    "EMFILE": "打开的文件过多",
    "ENFILE": "打开的文件过多",
    "ESTALE": "网络文件夹已断开",
    "ENOTCONN": "网络文件夹已断开",
    "ETIMEDOUT": "网络文件夹无响应",
}


def os_reason(exc: OSError) -> str:
    """Why a file operation failed, in Chinese (the system's own words only when unknown)."""
    import errno

    name = errno.errorcode.get(exc.errno or 0, "")
    return _OS_REASONS.get(name) or exc.strerror or str(exc)


class NianbaoError(Exception):
    """An expected failure with a message fit to show a clerk; never a traceback."""

    exit_code = EXIT_UNUSABLE

    def __init__(self, message: str):
        message = printable(message)
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class TemplateError(NianbaoError):
    """A template file is malformed; the message names the file and the place."""
