"""Reading figures out of narrative prose, for the text-against-table rules.

Sentences, mentions of a counted thing ("受理…申请17件"), breakdowns ("共…N件,其中A件、B件…")
and the sentences reused from last year's report. Every scanner here is linear in the length of
the text: single passes over the characters, `str.find` loops that never rescan, and regexes
with bounded repeats only. What a rule looks for (its keywords and variants) is a pattern in the
template; this module only knows how Chinese prose is punctuated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A bound figure ({{t3.new.total}} in a draft) reaches the rules as its value between these two
# private-use characters: a pattern like (\d+)\s*件 cannot match across them, so a bound figure
# is never read as a stated number, while breakdowns still add it up.
BOUND_OPEN = "\ue000"
BOUND_CLOSE = "\ue001"

SENTENCE_ENDS = frozenset("。!?\n")  # after NFKC (！？ become !?)
CLAUSE_BREAKS = frozenset(",;:")  # after NFKC (，；： become ,;:)
UNITS = frozenset("条件篇个项")
MAX_FIGURE_DIGITS = 15  # a longer run of digits is an ID or a typo, not a figure


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence; the end mark belongs to its sentence. One pass."""
    spans: list[tuple[int, int]] = []
    start = 0
    for i, ch in enumerate(text):
        if ch in SENTENCE_ENDS:
            if text[start : i + 1].strip():
                spans.append((start, i + 1))
            start = i + 1
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans


def sentences(text: str) -> list[str]:
    return [text[a:b].strip() for a, b in sentence_spans(text)]


def unbound(text: str) -> str:
    """The text as a reader sees it: bound figures' markers removed, values kept."""
    if BOUND_OPEN not in text:
        return text
    return text.replace(BOUND_OPEN, "").replace(BOUND_CLOSE, "")


# ---------------------------------------------------------------- mentions


@dataclass(frozen=True)
class Mention:
    """One number a pattern found in a sentence: the value, its sentence, and the clause that
    leads up to it ("其中区政府办受理政府信息公开申请"), for scope tests like a named sub-unit."""

    value: int
    sentence: str
    lead: str

    def __str__(self) -> str:
        return str(self.value)


def mentions(text: str, regex: re.Pattern[str]) -> list[Mention]:
    """Each match of `regex` (its first group is the number) as a Mention, sentence by sentence."""
    out: list[Mention] = []
    for a, b in sentence_spans(text):
        s = text[a:b]
        if not regex.search(s):
            continue
        clause_start = [0] * (len(s) + 1)  # clause_start[i]: where the clause holding s[i] begins
        cur = 0
        for i, ch in enumerate(s):
            clause_start[i] = cur
            if ch in CLAUSE_BREAKS:
                cur = i + 1
        clause_start[len(s)] = cur
        for m in regex.finditer(s):
            group = 1 if regex.groups else 0
            digits = m.group(group)
            if not digits or not digits.isdecimal() or len(digits) > MAX_FIGURE_DIGITS:
                continue
            at = m.start(group)
            if at > 0 and s[at - 1] == BOUND_OPEN:
                continue  # a bound figure
            lead = unbound(s[clause_start[at] : at]).strip()
            out.append(Mention(int(digits), unbound(s).strip(), lead))
    return out


def said(text: str, regex: re.Pattern[str], unless: re.Pattern[str]) -> list[str]:
    """The sentences that match `regex` and not `unless` (e.g. "均已办结" but not "除…外")."""
    return [s for s in sentences(unbound(text)) if regex.search(s) and not unless.search(s)]


# ---------------------------------------------------------------- breakdowns

_PAREN = re.compile(r"\([^()]{0,200}\)")
_NOT_EXHAUSTIVE = ("包括", "主要", "包含")  # "其中包括…" lists examples
_NEXT_TOTAL = ("其中", "合计", "总计", "累计", "共计")
_TOTAL_AFTER_GONG = frozenset("0123456789收受办发公接处答有")  # "共收到…", "共36件"; not "公共服务"
_LEAD_CHARS = 10


def _total_before(t: str, at: int) -> tuple[int, int, str] | None:
    """The "N条" right before a "其中" at `at` (one punctuation mark may sit between): (start of
    the digits, value, unit)."""
    i = at - 1
    while i >= 0 and t[i] == " ":
        i -= 1
    if i >= 0 and t[i] in "。.,;:":
        i -= 1
    if i < 0 or t[i] not in UNITS:
        return None
    unit = t[i]
    i -= 1
    while i >= 0 and t[i] == " ":
        i -= 1
    end = i + 1
    while i >= 0 and t[i].isdecimal() and end - i <= MAX_FIGURE_DIGITS + 1:
        i -= 1
    digits = t[i + 1 : end]
    if not digits or len(digits) > MAX_FIGURE_DIGITS or (i >= 0 and t[i].isdecimal()):
        return None
    return i + 1, int(digits), unit


def _enumeration_end(t: str, start: int) -> int:
    """Where the parts after "其中" end: "；", the end of the sentence, or the next total."""
    i, n = start, len(t)
    while i < n:
        ch = t[i]
        if ch in SENTENCE_ENDS or ch == ";":
            return i
        if any(t.startswith(w, i) for w in _NEXT_TOTAL):
            return i
        if ch == "共" and i + 1 < n and t[i + 1] in _TOTAL_AFTER_GONG:
            return i
        i += 1
    return n


_DIGITS = re.compile(r"\d+")


def _figures_with_unit(text: str, unit: str) -> list[str]:
    """Every run of digits followed (after spaces) by `unit`: each run is looked at once."""
    out = []
    for m in _DIGITS.finditer(text):
        i = m.end()
        while i < len(text) and text[i] == " ":
            i += 1
        if i < len(text) and text[i] == unit:
            out.append(m.group())
    return out


def breakdowns(text: str) -> list[dict[str, object]]:
    """Stated totals followed by the parts of one enumeration: "公开信息300条。其中指南1条,文件19条…".

    A record has total, parts (their sum), unit, text (the total and the words before it) and
    overlap (the parts add up to more than the total: categories that overlap, e.g. 解读 counted
    inside 政策文件, so at most a hint). "其中包括…" (examples) and lists ending in "等" are skipped.
    """
    t = unbound(text)
    out: list[dict[str, object]] = []
    pos = 0
    while True:
        at = t.find("其中", pos)
        if at < 0:
            return out
        body = at + 2
        while body < len(t) and t[body] in ",: ":
            body += 1
        end = _enumeration_end(t, body)
        pos = max(end, at + 2)
        total = _total_before(t, at)
        if total is None or t.startswith(_NOT_EXHAUSTIVE, body):
            continue
        start, value, unit = total
        tail = _PAREN.sub("", t[body:end])
        if "等" in tail[-4:] or unit + "等" in tail:
            continue
        parts = _figures_with_unit(tail, unit)
        if len(parts) < 2 or any(len(x) > MAX_FIGURE_DIGITS for x in parts):
            continue
        psum = sum(int(x) for x in parts)
        lead = t[max(0, start - _LEAD_CHARS) : start].split("\n")[-1]
        lead = re.split(r"[,;:。]", lead)[-1]
        out.append({"total": value, "parts": psum, "unit": unit, "text": f"{lead}{value}{unit}", "overlap": psum > value})


# ---------------------------------------------------------------- reused sentences

_DATES = re.compile(r"\d{4}年度?|\d{1,2}月(?:\d{1,2}日)?|\d{4}[-./]\d{1,2}(?:[-./]\d{1,2})?")
_MASK = re.compile(r"\d+(?:\.\d+)?")
_NOT_CONTENT = re.compile(r"[\W_]+")
MIN_SENTENCE_CHARS = 6  # "一是。" and the like are not sentences worth comparing


def _masked(sentence: str) -> str:
    """A sentence with years, dates and numbers masked and punctuation dropped."""
    return _NOT_CONTENT.sub("", _MASK.sub("#", _DATES.sub("", sentence)))


def _comparable(text: str, boilerplate: re.Pattern[str]) -> list[tuple[str, str]]:
    out = []
    for s in sentences(unbound(text)):
        key = _masked(s)
        if len(key) >= MIN_SENTENCE_CHARS and not boilerplate.search(s):
            out.append((s, key))
    return out


def reused(text: str, previous: str, boilerplate: re.Pattern[str]) -> tuple[int, list[str]]:
    """(percentage of this year's sentences found in last year's text, those sentences).

    Sentences are compared with years, dates and numbers masked, so a section identical except
    the year is 100 %; sentences matching `boilerplate` (the legal basis…) do not count.
    """
    mine = _comparable(text, boilerplate)
    if not mine or not previous:
        return 0, []
    before = {key for _s, key in _comparable(previous, boilerplate)}
    same = [s for s, key in mine if key in before]
    return round(100 * len(same) / len(mine)), same


def excerpt(sentences_: list[str], limit: int = 3, chars: int = 24) -> str:
    """A short quotation of some sentences for a message: “…”、“…”等N句."""
    shown = [f"“{s[:chars]}…”" if len(s) > chars else f"“{s}”" for s in sentences_[:limit]]
    more = f"等{len(sentences_)}句" if len(sentences_) > limit else ""
    return "、".join(shown) + more
