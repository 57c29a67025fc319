"""Unwrap inline forwards and split off quoted replies: who wrote which part of a body.

Mail clients mark a forward with a separator line ("---------- Forwarded message ---------",
a row of underscores, "Begin forwarded message:") and a block of From/Date/Subject/To lines;
a reply quotes the earlier mail under "On <date>, <name> wrote:" or as '>' lines. Both are
localized in every language, and clients mix languages (Gmail translates only "From"), so
they are recognized by their shape: a header block is a run of short `label: value` lines, one
holding an address and one a date; an attribution is a line ending in ':' that holds a date
and a name or address. The words in `parsers.mailclients` only raise confidence and name the
sender's field. Whether a boundary is a forward or a reply follows the subject's prefix
("Fwd:", "WG:", "转发:" against "Re:", "AW:", "Odp:") where it has one.

The splitter walks a body top-down and returns its parts in order, outermost first, each with
the sender its header names.
"""

from __future__ import annotations

import email.errors
import email.header
import email.utils
import functools
import heapq
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

import regex

from parsers import mailclients
from parsers.caseless import aligned_lower


class Kind(StrEnum):
    TOP = "top"  # written by the sender of the message itself
    FORWARD = "forward"  # an original message carried inside a forward
    REPLY = "reply"  # quoted text of an earlier message in a reply


@dataclass(frozen=True, slots=True)
class Segment:
    kind: Kind
    text: str
    sender_name: str | None = None
    sender_email: str | None = None
    date_text: str | None = None
    subject: str | None = None


@dataclass(frozen=True, slots=True)
class Split:
    """The first boundary in a body: what stands above it, its header, and the rest."""

    before: str
    kind: Kind
    rest: str
    sender_name: str | None
    sender_email: str | None
    date_text: str | None
    subject: str | None


def _alternation(words: Iterable[str]) -> str:
    """A regex alternation of `words` as a trie: the stdlib engine tries a flat alternation
    one word after another, so a 300-word list costs 300 tries at every line."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:  # type: ignore[type-arg]
        ends = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return "(?:" + body + ")?"
        return body

    return "(?:" + build(trie) + ")"


@dataclass(frozen=True, slots=True)
class Ambiguous:
    """A subject prefix that is a forward in some languages and a reply in others ("VS" in
    Danish and Norwegian against Finnish): the words of the boundary itself decide."""

    forward_languages: frozenset[str]
    reply_languages: frozenset[str]

    def resolve(self, words: Iterable[str]) -> Kind | None:
        langs: set[str] = set()
        for word in words:
            langs |= mailclients.languages_of(word)
        forward = bool(langs & self.forward_languages)
        reply = bool(langs & self.reply_languages)
        if forward != reply:
            return Kind.FORWARD if forward else Kind.REPLY
        return None


Prefix = Kind | Ambiguous | None


def subject_kind(subject: str | None) -> Prefix:
    """FORWARD for "Fwd:", "WG:", "转发:"..., REPLY for "Re:", "AW:", "Odp:"...; `Ambiguous`
    for a prefix that means either; None when the subject has no known prefix."""
    if not subject or ("：" not in subject and ":" not in subject):
        return None  # every prefix ends in a colon: no call into the regex module
    return _subject_kind(subject)


@functools.lru_cache(maxsize=64)
def _subject_kind(subject: str) -> Prefix:
    """The splitter asks again at each boundary of a message, with the same subject."""
    m = _SUBJECT_PREFIX.match(subject)
    if m is None:
        return None
    word = m.group("word").lower().replace("\u0307", "")  # "İLT" lowers to "i̇lt"
    if word in mailclients.FORWARD_PREFIX_WORDS:
        return Kind.FORWARD
    if word in mailclients.REPLY_PREFIX_WORDS:
        return Kind.REPLY
    forward, reply = mailclients.prefix_languages(word)
    if forward and reply:
        return Ambiguous(forward, reply)
    return None


def _resolve(prefix: Prefix, words: Iterable[str]) -> Kind | None:
    return prefix.resolve(words) if isinstance(prefix, Ambiguous) else prefix


_SUBJECT_PREFIX = regex.compile(
    r"^\s*(?:\[[^\]\n]{0,60}\]\s*)?(?P<word>\p{L}{1,16})\.?\s*(?:\[\d+\]|\(\d+\))?\s*[:：]"
)

# A header line of any label: 1-3 words of letters (no digits, colons or brackets), a colon
# (full-width too), the value; quoted with '>', in bold (*From:*) or tab-separated.
_SP = r"[ \t\xa0\u202f]"  # French typography puts a no-break space before the colon
_LABEL_CHAR = r"[^\s:：*<>@\d\[\](){}\"]"
_ANY_HEADER_LINE = regex.compile(
    rf"^(?P<quote>{_SP}*(?:>{_SP}?)*){_SP}*\**{_SP}*"
    rf"(?P<label>[^\W\d_]{_LABEL_CHAR}*(?:{_SP}{_LABEL_CHAR}+){{0,2}})"
    rf"{_SP}*\**{_SP}*[:：](?!//){_SP}*\**{_SP}*(?P<value>.*?){_SP}*$"
)
_MAX_LABEL = 32
# No client prints a link or a long code run as a header value.
_BODY_VALUE = regex.compile(r"://|www\.|[A-Za-z0-9+/=#]{24,}")
# Yahoo prints the whole header block on one line, often on the separator line itself and
# with labels glued to the value before them: "Von: A <a@x>An: B <b@x>Gesendet: ... MEZBetreff: X".
# There only capitalized known labels count, and a glued one must be three letters or more.
_CAPITALIZED = {x[:1].upper() + x[1:] for x in mailclients.LABELS}
_INLINE_LABEL = regex.compile(
    r"(?:(?<![^\s>\])])(?P<label>"
    + _alternation(_CAPITALIZED)
    + r")|(?<=[\p{L}\d])(?P<glued>"
    + _alternation(x for x in _CAPITALIZED if len(x) >= 3)
    + r"))\**[ \t]*[:：]\s*"
)
_MARKER_WITH_HEADERS = regex.compile(r"^[ \t>]*-{2,}\s*[\p{L}' ’]{3,60}?\s*-{2,}(?P<rest>.+)$")
_DASHED = regex.compile(r"^[ \t>]*(?:-{2,}\s*(?P<words>[^\n]{3,80}?)\s*-{2,}|_{8,}|-{8,})\s*$")
# A separator written as words alone on its line: "Begin forwarded message:", "Vidarebefordrat
# mejl:" (a known phrase, or any short line of words ending in ':' above a header block).
_WORDS_LINE = regex.compile(r"^[ \t>]*(?P<words>[\p{L}'’ ,.()-]{1,60}?)\s*[:：]?[ \t]*$")
_FORWARD_PHRASES = mailclients.words(mailclients.FORWARD_SEPARATORS)
_SEPARATOR_PHRASES = mailclients.SEPARATORS

# Where a header block, a separator or a quote may start (a known label, dashes, underscores,
# '>'), or an attribution or separator may end (a line ending in ':'), looked for in
# "\n" + the lower-cased body + "\n": case-sensitive labels let the engine rule a line out
# on its first letter. Three patterns, each starting with one literal character: the stdlib
# engine skips ahead to a single character fast, but tests a set of them (or a pattern that
# starts with a group) with a call per character of the body. No hint consumes a line's
# final "\n" (hence the look-aheads): the next line's hint starts with it; and none consumes
# a colon, so the three never overlap.
_LINE_HINT = re.compile(
    r"\n[ \t>]*(?:\**"
    + _alternation(mailclients.LABELS)
    + r"(?=\**"
    + _SP
    + r"*[:：])|-{2,}|_{8,}|>)"
)
_EOL_HINT = re.compile(r":[ \t]*(?=\n)")
_WIDE_EOL_HINT = re.compile(r"：[ \t]*(?=\n)")


def _hints(padded: str) -> Iterator[re.Match[str]]:
    """The hints in `padded` in order of position, found lazily (the caller stops early)."""
    streams = [_LINE_HINT.finditer(padded), _EOL_HINT.finditer(padded)]
    if "：" in padded:
        streams.append(_WIDE_EOL_HINT.finditer(padded))
    return heapq.merge(*streams, key=re.Match.start)


_MAILTO = regex.compile(r"(?i)[<\[]\s*mailto:\s*(?P<addr>[^>\]\s]*)\s*[>\]]")
_ADDRESS = regex.compile(r"(?<![\w.+'-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_QUOTE_PREFIX = regex.compile(r"^[ \t]*(?:>[ \t]?)")
# A value that reads as a date or a time: a clock, a year, a numeric date, CJK date marks.
_DATEISH = regex.compile(
    r"\d{1,2}[:.h]\d{2}|(?<!\d)(?:19|20)\d{2}(?!\d)|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d\s*[年月日년월일]"
)
_CLOCK = re.compile(
    r"(?<!\d)\d{1,2}[:.]\d{2}(?::\d{2})?"
    r"(?:\s*[aApP]\.?[mM]\.?)?(?:\s*(?:[A-Z]{2,5})?[+-]\d{2}:?\d{2})?"
)
_VERB = regex.compile(r"(?i)(?<![\p{L}])" + _alternation(sorted(mailclients.VERBS)))
_OPENER_WORDS = mailclients.OPENERS | mailclients.VERBS | mailclients.FIELDS["from"]


def segments(
    text: str,
    quotes_matter: Callable[[str], bool] | None = None,
    subject: str | None = None,
) -> list[Segment]:
    """The parts of a body, outermost first; the first is the message sender's own text.

    `subject` (the message's) says whether its first boundary is a forward or a reply; each
    forwarded original's own subject does the same for the boundary inside it. Quoted text is
    split further only where `quotes_matter` says it may hold something the caller looks for:
    a long reply chain is mostly a brand's own earlier mail.
    """
    parts: list[Segment] = []
    current = Segment(Kind.TOP, "", subject=subject)
    rest = text
    for _ in range(64):  # a bound on nesting; real mail stays far below it
        if current.kind is Kind.REPLY and quotes_matter is not None and not quotes_matter(rest):
            break
        split = split_first(rest, prefix=subject_kind(current.subject))
        if split is None:
            break
        parts.append(_with_text(current, split.before))
        current = Segment(
            split.kind, "", split.sender_name, split.sender_email, split.date_text, split.subject
        )
        rest = split.rest
    parts.append(_with_text(current, rest))
    return parts


def _with_text(seg: Segment, text: str) -> Segment:
    return Segment(seg.kind, text, seg.sender_name, seg.sender_email, seg.date_text, seg.subject)


def split_first(text: str, *, replies: bool = True, prefix: Prefix = None) -> Split | None:
    """Find the first forward header block (or, with `replies`, reply or quote) in `text`.

    `prefix` is what the subject says the message is: under a forward's subject the first
    boundary of any shape is the forwarded original; under a reply's, a header block that no
    separator calls a forward is the quoted earlier message.
    """
    lines: list[str] | None = None
    line, pos = 0, 0
    for hint in _hints("\n" + aligned_lower(text) + "\n"):
        at = hint.start()
        eol = hint.group()[0] != "\n"
        start = at - 1 if eol else at  # in `text`: the colon, or where the hinted line starts
        line += text.count("\n", pos, start)
        pos = start
        lines = lines or text.split("\n")
        split = _split_at(lines, line, replies, prefix, eol)
        if split is not None:
            return split
    return None


def _split_at(lines: list[str], i: int, replies: bool, prefix: Prefix, eol: bool) -> Split | None:
    line = lines[i]
    glued = _MARKER_WITH_HEADERS.match(line)
    if glued and not eol:  # Yahoo: the separator and the whole header block on one line
        fields = _inline_fields(glued.group("rest"))
        if fields is not None:
            name, addr = _sender(fields.get("from", ""))
            return Split(
                before="\n".join(lines[:i]).rstrip(),
                kind=Kind.FORWARD,
                rest="\n".join(lines[i + 1 :]),
                sender_name=name,
                sender_email=addr,
                date_text=fields.get("date"),
                subject=fields.get("subject"),
            )
    # A forward: an optional separator line, blank lines, then a header block with a sender.
    ends_in_colon = eol or line.rstrip().endswith((":", "："))
    marker = _marker(line, ends_in_colon)
    if marker is not None:
        block_start, before_end = _skip_blank(lines, i + 1), i
    elif eol:
        block_start = before_end = -1  # a line ending in ':' starts no block but a reply's
    else:
        block_start = before_end = _block_top(lines, i)
        prev = _prev_nonblank(lines, block_start)
        if prev is not None:
            marker = _marker(lines[prev], lines[prev].rstrip().endswith((":", "：")))
            if marker is not None:
                before_end = prev
    block = _header_block(lines, block_start, marker is not None) if block_start >= 0 else None
    if block is not None:
        fields, end, quote_level, labels = block
        kind = Kind.FORWARD
        if marker != "forward" and _resolve(prefix, labels) is Kind.REPLY:
            kind = Kind.REPLY
        name, addr = _sender(fields.get("from", ""))
        return Split(
            before="\n".join(lines[:before_end]).rstrip(),
            kind=kind,
            rest=_dequote("\n".join(lines[end:]), quote_level),
            sender_name=name,
            sender_email=addr,
            date_text=fields.get("date"),
            subject=_decode_words(fields["subject"]) if "subject" in fields else None,
        )
    if not replies:
        return None
    quoted_kind = Kind.FORWARD if prefix is Kind.FORWARD else Kind.REPLY
    # A reply: "On <date>, <name> <addr> wrote:" in any language and order, perhaps wrapped.
    if ends_in_colon:  # also an attribution inside a quote: "> On ... wrote:"
        attributed = _attribution_split(lines, i, prefix)
        if attributed is not None or eol:
            return attributed
    if marker is not None:
        return None
    # An unattributed quote: two or more '>' lines in a row.
    if (
        line.lstrip().startswith(">")
        and i + 1 < len(lines)
        and lines[i + 1].lstrip().startswith(">")
    ):
        return Split(
            before="\n".join(lines[:i]).rstrip(),
            kind=quoted_kind,
            rest=_dequote("\n".join(lines[i:]), 1),
            sender_name=None,
            sender_email=None,
            date_text=None,
            subject=None,
        )
    return None


def _marker(line: str, eol: bool) -> str | None:
    """ "forward" for a separator that says so, "original" for one that may stand above a
    forward or a reply (dashes, underscores, "Original Message"), None for no separator."""
    dashed = _DASHED.match(line)
    if dashed:
        words = " ".join((dashed.group("words") or "").lower().split())
        return "forward" if words in _FORWARD_PHRASES else "original"
    if not eol:
        return None
    plain = _WORDS_LINE.match(line)
    if plain is None:
        return None
    words = " ".join(plain.group("words").lower().split()).strip(" .")
    if words in _FORWARD_PHRASES:
        return "forward"
    if words in _SEPARATOR_PHRASES or len(words.split()) <= 6:
        return "original"
    return None


def _block_top(lines: list[str], i: int) -> int:
    """Where a header block that a known label hinted at line `i` starts: the label lines
    above it (an unknown "Kimden:" or "差出人:" over Gmail's English "Date:") belong to it."""
    top = i
    while top > 0 and i - top < 6:
        above = _header_line(lines[top - 1])
        if above is None or not (mailclients.field_of(above[1]) or _ADDRESS.search(above[2])):
            break
        top -= 1
    line_above = lines[top - 1] if 0 < top < i else ""
    if line_above.strip(" \t>") and _marker(line_above, True) is None:
        return i  # mid-paragraph: the lines above are the writer's own "Email: ..." notes
    return top


def _header_block(
    lines: list[str], start: int, marked: bool
) -> tuple[dict[str, str], int, int, list[str]] | None:
    """Read the `label: value` lines at `start`: a known From label and one more field, or,
    by shape, 3-8 fields where one value holds an address and another a date."""
    if start >= len(lines):
        return None
    first = _header_line(lines[start])
    if first is None:
        return None
    quote_level = first[0].count(">")
    inline = _inline_fields(lines[start])
    if inline is not None:
        return inline, start + 1, quote_level, []
    labels: list[str] = []
    found: list[tuple[str, str]] = []  # (field or "" when the label is unknown, value)
    seen: set[str] = set()
    j = start
    while j < len(lines) and j - start < 14 and len(found) < 10:
        header = _header_line(lines[j])
        if header and header[0].count(">") != quote_level:
            break  # a block never spans two quote depths
        if (
            header
            and "@" not in header[2]
            and _BODY_VALUE.search(header[2])
            and not mailclients.field_of(header[1])
        ):
            break  # a link or a code: the writer's own "Code: ..." line, not a header
        if header:
            key = mailclients.field_of(header[1])
            if key in seen and key != "other":
                break  # a second From: starts the body or another block
            if key:
                seen.add(key)
            labels.append(header[1])
            found.append((key, header[2]))
            j += 1
            continue
        stripped = _strip_quote(lines[j], quote_level).strip()
        if (
            stripped
            and found
            and found[-1][0] in ("subject", "to", "other", "")
            and j + 1 < len(lines)
            and (_header_line(lines[j + 1]) or not lines[j + 1].strip(" \t>"))
        ):
            key, value = found[-1]
            found[-1] = (key, value + " " + stripped)  # a long Subject or To wrapped
            j += 1
            continue
        break
    fields = {k: v for k, v in reversed(found) if k and k != "other"}
    if "from" in fields and len(fields) >= 2:
        return fields, j, quote_level, labels
    if len(found) < 3 or not (marked or seen):
        return None
    # By shape: the sender is the first field that holds an address (From comes before To
    # in every client), the date the first one that reads as a date.
    sender = next(
        (v for k, v in found if k in ("", "from") and (_ADDRESS.search(v) or "mailto:" in v)),
        None,
    )
    date = fields.get("date") or next(
        (v for k, v in found if k == "" and _DATEISH.search(v) and not _ADDRESS.search(v)), None
    )
    if sender is None or date is None:
        return None
    fields["from"] = sender
    fields["date"] = date
    return fields, j, quote_level, labels


def _header_line(line: str) -> tuple[str, str, str] | None:
    """A "label: value" line as its quote prefix, its label (lower case) and its value."""
    if ":" not in line and "：" not in line:
        return None
    m = _ANY_HEADER_LINE.match(line)
    if m is None or len(m.group("label")) > _MAX_LABEL:
        return None
    return m.group("quote"), m.group("label").lower(), m.group("value")


def _inline_fields(line: str) -> dict[str, str] | None:
    marks = list(_INLINE_LABEL.finditer(line))
    if len(marks) < 3:
        return None
    fields: dict[str, str] = {}
    for k, m in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(line)
        key = mailclients.field_of(m.group("label") or m.group("glued")) or "other"
        fields.setdefault(key, line[m.end() : end].strip())
    fields.pop("other", None)
    if "from" not in fields or len(fields) < 3:
        return None
    return fields


def _decode_words(value: str) -> str:
    """Some clients paste raw headers into a forward: decode =?utf-8?B?...?= words."""
    if "=?" not in value:
        return value
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (ValueError, LookupError, UnicodeError, email.errors.HeaderParseError):
        return value


def _sender(value: str) -> tuple[str | None, str | None]:
    """ "Jo Brand <jo@x>", "jo@x", "Jo Brand [mailto:jo@x]" (Outlook 2013) → name, address."""
    value = _decode_words(value)
    mailto = _MAILTO.search(value)
    if mailto:
        value = (
            value[: mailto.start()]
            + (f" <{mailto.group('addr')}>" if not _ADDRESS.search(value[: mailto.start()]) else "")
            + value[mailto.end() :]
        )
    value = value.replace("*", "").strip()
    raw_name, addr = email.utils.parseaddr(value)
    if not addr or "@" not in addr:
        found = _ADDRESS.search(value)
        addr = found.group() if found else ""
        raw_name = value.replace(addr, "").strip(" <>[]()\"'") if addr else value.strip()
    addr = addr.strip().rstrip(".").lower()
    name: str | None = raw_name.strip().strip("\"'«»“”") or None
    if name and "@" in name and addr and name.lower() == addr:
        name = None
    return name, (addr or None)


def _attribution_split(lines: list[str], end: int, prefix: Prefix) -> Split | None:
    """A reply line ending at `end` (wrapped over up to three lines): a date or time and a
    name or address, in any order and language, ending in ':'."""
    if _next_text(lines, end) is None or not any(
        map(str.isdigit, "".join(lines[max(0, end - 2) : end + 1]))
    ):
        return None  # no date, no attribution
    for span in (1, 2, 3):
        start = end - span + 1
        if start < 0 or not lines[start].strip(" \t>"):
            break  # an attribution wraps onto the next line, never across a blank one
        joined = " ".join(x.strip(" \t>") for x in lines[start : end + 1])
        if len(joined) > 400:
            break
        parsed = _attribution(joined)
        if parsed is None:
            continue
        name, addr, date_text = parsed
        words = [m.group() for m in _VERB.finditer(joined.lower())] + joined.lower().split()
        kind = Kind.FORWARD if _resolve(prefix, words) is Kind.FORWARD else Kind.REPLY
        return Split(
            before="\n".join(lines[:start]).rstrip(),
            kind=kind,
            rest=_dequote("\n".join(lines[end + 1 :]), 1),
            sender_name=name,
            sender_email=addr,
            date_text=date_text,
            subject=None,
        )
    return None


def _attribution(line: str) -> tuple[str | None, str | None, str | None] | None:
    """ "On Tue, Nov 3, 2026 at 9:00 AM Jo Brand <jo@brand.example> wrote:",
    "Am 28.10.2021 um 12:46 schrieb "X" <a>:", "X <a> kirjoitti 28/10/2021 12.46:",
    "2021年10月28日(木) 12:46 X <a>:" → name, address, date; None when not one."""
    body = line.rstrip(" \t:：")
    if not _DATEISH.search(body):
        return None
    verb = _VERB.search(body)
    mailto = _MAILTO.search(body)
    addr_match = _ADDRESS.search(body)
    bracketed = bool(
        mailto
        or (addr_match and _bracketed(body, addr_match.start(), addr_match.end()))
        or regex.search(r"«[^»]{2,60}»", body)
    )
    if verb is None and not (bracketed and _CLOCK.search(body)):
        return None
    if addr_match is None and verb is None:
        return None
    if mailto:
        body = body[: mailto.start()] + " <" + mailto.group("addr") + ">" + body[mailto.end() :]
        addr_match = _ADDRESS.search(body)
    if verb is not None:
        verb = _VERB.search(body)
    addr = addr_match.group().lower() if addr_match else None
    name: str | None = None
    if addr_match:
        a_start, a_end = _bracket_span(body, addr_match.start(), addr_match.end())
        head, tail = body[:a_start], body[a_end:]
        name, cut = _name_before(head)
        date_text = head[:cut] + " " + tail
    else:
        assert verb is not None
        head, tail = body[: verb.start()], body[verb.end() :]
        after = tail.strip(" ,\"'«»“”")
        if after and not _DATEISH.search(after):
            name, date_text = after, head
        else:
            name, cut = _name_before(head)
            date_text = head[:cut] + " " + tail
    date_text = _VERB.sub(" ", date_text)
    words = date_text.split()
    while words and words[0].lower().strip(",") in _OPENER_WORDS:
        words.pop(0)
    cleaned = _DATE_END.sub("", " ".join(words)).strip(" ,(")
    if name and "@" in name:
        name = None
    return name, addr, (cleaned or None)


# What follows a date's last digit that is not part of it ("heeft", "użytkownik", "tarihinde"),
# unless it is AM/PM, a zone name or "Uhr".
_DATE_END = regex.compile(r"(?<=\d)(?!\s*(?:[aApP]\.?[mM]\.?|[A-Z]{2,5}|[Uu]hr)\b)\D*$")


def _bracketed(text: str, start: int, end: int) -> bool:
    before = text[:start].rstrip()
    after = text[end:].lstrip()
    return bool(before and after and before[-1] + after[0] in ("<>", "()", "[]", "«»"))


def _bracket_span(text: str, start: int, end: int) -> tuple[int, int]:
    """The address with its brackets (and a "mailto:" inside them)."""
    s, e = start, end
    while s > 0 and text[s - 1] in " <([«":
        s -= 1
        if text[s] in "<([«":
            break
    while e < len(text) and text[e] in " >)]»":
        e += 1
        if text[e - 1] in ">)]»":
            break
    return s, e


_QUOTED_NAME = regex.compile(
    r"(?:\"([^\"]{1,80})\"|«\s*([^»]{1,80}?)\s*»|“([^”]{1,80})”|„([^“”]{1,80})[“”]|'([^']{1,80})')\s*$"
)


def _name_before(head: str) -> tuple[str | None, int]:
    """The name just before an address and where it starts: in quotes, or the words after
    the date (after the last comma or clock) with any opener or verb word before it dropped."""
    head = head.rstrip()
    quoted = _QUOTED_NAME.search(head)
    if quoted:
        return next(g for g in quoted.groups() if g is not None).strip() or None, quoted.start()
    cut = 0
    for m in _CLOCK.finditer(head):
        cut = max(cut, m.end())
    comma = max(head.rfind(","), head.rfind("，"))
    cut = max(cut, comma + 1)
    verbs = list(_VERB.finditer(head))
    if verbs and verbs[-1].end() > cut:
        cut = verbs[-1].end()
    words = head[cut:].split()
    while words and (words[0].lower() in _OPENER_WORDS or words[0] in mailclients.NAME_PARTICLES):
        words.pop(0)
    while words and words[-1] in mailclients.NAME_PARTICLES:
        words.pop()
    name = " ".join(words).strip(" ,\"'([<«“„")
    if not name or _DATEISH.search(name):
        return None, len(head)
    return name, head.rfind(name)


def _next_text(lines: list[str], i: int) -> int | None:
    """The next line with text after `i`, skipping at most two blank ones."""
    j = i + 1
    while j < len(lines) and j - i <= 3:
        if lines[j].strip(" \t>"):
            return j
        j += 1
    return None


# After a newline rather than (?m)^: a literal first character is three times faster.
_ONE_QUOTE_LEVEL = re.compile(r"\n[ \t]*>[ \t]?")


def _dequote(text: str, levels: int) -> str:
    for _ in range(levels):
        text = _ONE_QUOTE_LEVEL.sub("\n", "\n" + text)[1:]
    return text


def _strip_quote(line: str, levels: int) -> str:
    for _ in range(levels):
        m = _QUOTE_PREFIX.match(line)
        if m is None:
            break
        line = line[m.end() :]
    return line


def _skip_blank(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip(" \t>"):
        i += 1
    return i


def _prev_nonblank(lines: list[str], i: int) -> int | None:
    j = i - 1
    while j >= 0 and not lines[j].strip(" \t>"):
        j -= 1
    return j if j >= 0 and i - j <= 3 else None
