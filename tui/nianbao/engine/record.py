"""The validation record appended to an export (``render --with-record``), and the figures' digest.

A record says when and with which nianbao and template version the draft was checked, what the
check found (errors, open warnings, accepted warnings with their reasons) and a digest of every
figure as printed, so a published copy can later be compared with the checked draft
(``nianbao verify``). The digest is SHA-256 over one line per cell, ``TABLE.ROW.COL=TEXT``, in
template order; a blank cell has empty text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field

from nianbao import __version__
from nianbao.engine.checks import ERROR, Finding
from nianbao.store.draft import Draft

CellKey = tuple[str, str, str]
RECORD_TITLE = "校验记录"
DIGEST_LABEL = "数据摘要"
DIGEST = re.compile(r"sha256:([0-9a-f]{64})")
TEMPLATE_LINE = re.compile(r"模板:(\S+) 第 (\d+) 版")


def figures_digest(figures: dict[CellKey, str]) -> str:
    """The digest of a report's figures: "sha256:" and 64 hex digits."""
    text = "".join(f"{'.'.join(key)}={figures[key]}\n" for key in sorted(figures))
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class Record:
    checked_at: dt.datetime
    template_id: str
    template_version: int
    digest: str
    cells: int
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # open (not accepted)
    accepted: list[tuple[str, str]] = field(default_factory=list)  # (message, reason)
    forced: bool = False  # exported although the check found errors

    @property
    def result(self) -> str:
        if self.errors:
            return f"有 {len(self.errors)} 个错误" + ("(仍按 --force 导出)" if self.forced else "")
        if self.warnings:
            return f"无错误,{len(self.warnings)} 个提醒未处理"
        return "无错误" + (f",{len(self.accepted)} 个提醒已接受并说明理由" if self.accepted else ",无提醒")

    def lines(self) -> list[str]:
        """The record as text lines: the title first, then one fact per line."""
        out = [
            RECORD_TITLE,
            f"检查时间:{self.checked_at.isoformat(timespec='seconds')}",
            f"检查程序:nianbao {__version__}",
            f"模板:{self.template_id} 第 {self.template_version} 版",
            f"检查结果:{self.result}",
        ]
        out += [f"错误:{m}" for m in self.errors]
        out += [f"提醒:{m}" for m in self.warnings]
        out += [f"已接受的提醒:{m}(理由:{reason})" for m, reason in self.accepted]
        out.append(f"{DIGEST_LABEL}:{self.digest}(共 {self.cells} 个单元格;用 nianbao verify 核对)")
        return out

    def text(self) -> str:
        return "\n".join(self.lines()) + "\n"


def make_record(draft: Draft, findings: list[Finding], figures: dict[CellKey, str],
                forced: bool = False, now: dt.datetime | None = None) -> Record:
    when = now or dt.datetime.now().astimezone()
    record = Record(
        checked_at=when.replace(microsecond=0),
        template_id=draft.template.id,
        template_version=draft.template.version,
        digest=figures_digest(figures),
        cells=len(figures),
        forced=forced,
    )
    for f in findings:
        one_line = " ".join(f.message.split())
        if f.severity == ERROR:
            record.errors.append(one_line)
        elif f.acknowledged is not None:
            record.accepted.append((one_line, " ".join(f.acknowledged.reason.split())))
        else:
            record.warnings.append(one_line)
    return record


def recorded_digest(text: str) -> str | None:
    """The digest written in a published copy's record, if it has one."""
    if RECORD_TITLE not in text:
        return None
    found = [m.group() for m in DIGEST.finditer(text)]
    return found[-1] if found else None
