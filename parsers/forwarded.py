"""Unwrap inline forwards and split off quoted replies: who wrote which part of a body.

Mail clients mark a forward with a separator line ("---------- Forwarded message ---------",
a row of underscores, "Begin forwarded message:") and a block of From/Date/Subject/To lines,
all localized; a reply quotes the earlier mail under "On <date>, <name> wrote:" or as '>' lines.
The splitter walks a body top-down and returns its parts in order, outermost first, each with
the sender its header names. It recognizes the header block itself, so a client or language
without a known separator still splits.
"""

from __future__ import annotations

import email.header
import email.utils
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import regex

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


_FROM = {
    "mittente",
    "remetente",
    "afzender",
    "expéditeur",
    "from",
    "von",
    "de",
    "da",
    "van",
    "från",
    "fra",
    "od",
    "sender",
    "absender",
    "remitente",
}
_DATE = {
    "date",
    "sent",
    "datum",
    "gesendet",
    "envoyé",
    "envoye",
    "enviado",
    "enviada",
    "data",
    "inviato",
    "verzonden",
    "verstuurd",
    "fecha",
    "date d'envoi",
    "sendt",
    "skickat",
}
_SUBJECT = {
    "subject",
    "betreff",
    "objet",
    "asunto",
    "assunto",
    "oggetto",
    "onderwerp",
    "sujet",
    "ämne",
    "emne",
}
_TO = {
    "destinatario",
    "destinatário",
    "empfänger",
    "ontvanger",
    "to",
    "an",
    "à",
    "a",
    "para",
    "aan",
    "pour",
    "til",
    "till",
    "destinataire",
}
_OTHER = {
    "cc",
    "bcc",
    "cci",
    "kopie",
    "reply-to",
    "antwort an",
    "risposta",
    "responder a",
    "répondre à",
    "antwoord aan",
    "copia",
    "cópia",
}
_LABELS = _FROM | _DATE | _SUBJECT | _TO | _OTHER

_LABEL_ALT = "|".join(sorted((regex.escape(x) for x in _LABELS), key=len, reverse=True))
# Matched against the lower-cased line (parsers.caseless); the value is cut from the original.
_HEADER_LINE = re.compile(
    r"^(?P<quote>[ \t]*(?:>[ \t]?)*)[ \t]*\**[ \t]*(?P<label>"
    + _LABEL_ALT
    + r")[ \t]*\**[ \t]*[:：][ \t]*\**[ \t]*(?P<value>.*?)[ \t]*$"
)
# Yahoo prints the whole header block on one line, often on the separator line itself and
# with labels glued to the value before them: "Von: A <a@x>An: B <b@x>Gesendet: ... MEZBetreff: X".
# There only capitalized labels count, and a glued one must be three letters or more.
_CAPITALIZED = sorted({x[:1].upper() + x[1:] for x in _LABELS}, key=len, reverse=True)
_INLINE_LABEL = regex.compile(
    r"(?:(?<![^\s>\])])(?P<label>"
    + "|".join(regex.escape(x) for x in _CAPITALIZED)
    + r")|(?<=[\p{L}\d])(?P<glued>"
    + "|".join(regex.escape(x) for x in _CAPITALIZED if len(x) >= 3)
    + r"))\**[ \t]*[:：]\s*"
)
_MARKER_WITH_HEADERS = regex.compile(r"^[ \t>]*-{2,}\s*[\p{L}' ’]{3,60}?\s*-{2,}(?P<rest>.+)$")
_MARKER = regex.compile(
    r"(?ix)^[ \t>]*(?:"
    r"-{2,}\s*[\p{L}' ’]{3,60}?\s*-{2,}"  # ---------- Forwarded message ---------
    r"|_{8,}|-{8,}"  # Outlook's rule
    r"|(?:begin\s+forwarded\s+message|anfang\s+der\s+weitergeleiteten\s+nachricht"
    r"|d[ée]but\s+du\s+message\s+r[ée]exp[ée]di[ée]|inicio\s+del\s+mensaje\s+reenviado"
    r"|in[íi]cio\s+da\s+mensagem\s+reencaminhada|come[çc]o\s+da\s+mensagem\s+encaminhada"
    r"|inizio\s+messaggio\s+inoltrato|begin\s+doorgestuurd\s+bericht"
    r"|forwarded\s+message|weitergeleitete\s+nachricht|message\s+transf[ée]r[ée]"
    r"|mensaje\s+reenviado|mensagem\s+encaminhada|messaggio\s+inoltrato"
    r"|doorgestuurd\s+bericht)\s*:?"
    r")[ \t]*$"
)
_ATTRIBUTION_START = regex.compile(r"(?i)^[ \t>]*(?:on|am|le|el|em|il|op|den|w\s+dniu)\s+\S")
_ATTRIBUTION = regex.compile(
    r"(?is)^[ \t>]*(?:on|am|le|el|em|il|op|den|w\s+dniu)\s+(?P<body>.{4,300}?)[,\s]*"
    r"(?:wrote|schrieb|a\s+écrit|escribió|escreveu|ha\s+scritto|schreef|skrev|napisał)\s*:?[ \t]*$"
)
# Where a header block, a separator or a quote may start, looked for in "\n" + the lower-cased
# body: a literal first character and case-sensitive labels let the stdlib engine skip ahead,
# several times faster than `^` with (?im) on every body. Nothing may consume a line's final
# "\n" (hence the look-ahead): the next line's hint starts with it.
_HINT = re.compile(
    r"\n[ \t>]*(?:\**(?:" + _LABEL_ALT + r")\**[ \t]*[:：]|-{2,}|_{8,}|>|"
    r"(?:on|am|le|el|em|il|op|den)(?=\s)|begin|anfang|d[ée]but|inicio|in[íi]cio|come[çc]o|inizio)"
)
_MAILTO = regex.compile(r"(?i)[<\[]\s*mailto:[^>\]]*[>\]]")
_ADDRESS = regex.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
_QUOTE_PREFIX = regex.compile(r"^[ \t]*(?:>[ \t]?)")


def segments(text: str, quotes_matter: Callable[[str], bool] | None = None) -> list[Segment]:
    """The parts of a body, outermost first; the first is the message sender's own text.

    Quoted text is split further only where `quotes_matter` says it may hold something the
    caller looks for: a long reply chain is mostly a brand's own earlier mail.
    """
    parts: list[Segment] = []
    current = Segment(Kind.TOP, "")
    rest = text
    for _ in range(64):  # a bound on nesting; real mail stays far below it
        if current.kind is Kind.REPLY and quotes_matter is not None and not quotes_matter(rest):
            break
        split = split_first(rest)
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


def split_first(text: str, *, replies: bool = True) -> Split | None:
    """Find the first forward header block (or, with `replies`, reply or quote) in `text`."""
    lines: list[str] | None = None
    line, pos = 0, 0
    for hint in _HINT.finditer("\n" + aligned_lower(text)):
        start = hint.start()  # in `text`, where the hinted line starts
        line += text.count("\n", pos, start)
        pos = start
        lines = lines or text.split("\n")
        split = _split_at(lines, line, replies)
        if split is not None:
            return split
    return None


def _split_at(lines: list[str], i: int, replies: bool) -> Split | None:
    line = lines[i]
    glued = _MARKER_WITH_HEADERS.match(line)
    if glued:  # Yahoo: the separator and the whole header block on one line
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
    # A forward: an optional marker line, blank lines, then a header block with a sender.
    block_start = i
    if _MARKER.match(line):
        block_start = _skip_blank(lines, i + 1)
    block = _header_block(lines, block_start)
    if block is not None:
        fields, end, quote_level = block
        before_end = i
        if block_start == i:  # no marker on this line; maybe one stands just above
            prev = _prev_nonblank(lines, i)
            if prev is not None and _MARKER.match(lines[prev]):
                before_end = prev
        name, addr = _sender(fields.get("from", ""))
        return Split(
            before="\n".join(lines[:before_end]).rstrip(),
            kind=Kind.FORWARD,
            rest=_dequote("\n".join(lines[end:]), quote_level),
            sender_name=name,
            sender_email=addr,
            date_text=fields.get("date"),
            subject=_decode_words(fields["subject"]) if "subject" in fields else None,
        )
    if not replies or _MARKER.match(line):
        return None
    # A reply: "On <date>, <name> <addr> wrote:", perhaps wrapped over two lines.
    if _ATTRIBUTION_START.match(line):
        for span in (1, 2, 3):
            chunk = lines[i : i + span]
            if len(chunk) < span or not chunk[-1].strip(" \t>"):
                break  # an attribution wraps onto the next line, never across a blank one
            joined = " ".join(x.strip() for x in chunk)
            m = _ATTRIBUTION.match(joined)
            if m:
                name, addr, date_text = _attribution(m.group("body"))
                rest = "\n".join(lines[i + span :])
                return Split(
                    before="\n".join(lines[:i]).rstrip(),
                    kind=Kind.REPLY,
                    rest=_dequote(rest, 1),
                    sender_name=name,
                    sender_email=addr,
                    date_text=date_text,
                    subject=None,
                )
    # An unattributed quote: two or more '>' lines in a row.
    if (
        line.lstrip().startswith(">")
        and i + 1 < len(lines)
        and lines[i + 1].lstrip().startswith(">")
    ):
        return Split(
            before="\n".join(lines[:i]).rstrip(),
            kind=Kind.REPLY,
            rest=_dequote("\n".join(lines[i:]), 1),
            sender_name=None,
            sender_email=None,
            date_text=None,
            subject=None,
        )
    return None


def _header_block(lines: list[str], start: int) -> tuple[dict[str, str], int, int] | None:
    """Read From/Date/Subject/To lines at `start`; a block needs a sender and one more field."""
    if start >= len(lines):
        return None
    first = _header_line(lines[start])
    if first is None:
        return None
    quote_level = first[0].count(">")
    inline = _inline_fields(lines[start])
    if inline is not None:
        return inline, start + 1, quote_level
    fields: dict[str, str] = {}
    last: str | None = None
    j = start
    while j < len(lines) and j - start < 12:
        header = _header_line(lines[j])
        if header:
            key = _field(header[1])
            if key in fields and key != "other":
                break  # a second From: starts the body or another block
            fields[key] = header[2]
            last = key
            j += 1
            continue
        stripped = _strip_quote(lines[j], quote_level).strip()
        if (
            stripped
            and last in ("subject", "to", "other")
            and j + 1 < len(lines)
            and (_header_line(lines[j + 1]) or not lines[j + 1].strip())
        ):
            fields[last] += " " + stripped  # a long Subject or To wrapped onto the next line
            j += 1
            continue
        break
    fields.pop("other", None)
    if "from" not in fields or len(fields) < 2:
        return None
    return fields, j, quote_level


def _header_line(line: str) -> tuple[str, str, str] | None:
    """A "From: value" line as its quote prefix, its label (lower case) and its value."""
    m = _HEADER_LINE.match(aligned_lower(line))
    if m is None:
        return None
    return m.group("quote"), m.group("label"), line[m.start("value") : m.end("value")]


def _inline_fields(line: str) -> dict[str, str] | None:
    marks = list(_INLINE_LABEL.finditer(line))
    if len(marks) < 3:
        return None
    fields: dict[str, str] = {}
    for k, m in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(line)
        key = _field(m.group("label") or m.group("glued"))
        fields.setdefault(key, line[m.end() : end].strip())
    fields.pop("other", None)
    if "from" not in fields or len(fields) < 3:
        return None
    return fields


def _field(label: str) -> str:
    key = label.lower()
    for name, group in (("from", _FROM), ("date", _DATE), ("subject", _SUBJECT), ("to", _TO)):
        if key in group:
            return name
    return "other"


def _decode_words(value: str) -> str:
    """Some clients paste raw headers into a forward: decode =?utf-8?B?...?= words."""
    if "=?" not in value:
        return value
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except (ValueError, LookupError, UnicodeError):
        return value


def _sender(value: str) -> tuple[str | None, str | None]:
    value = _MAILTO.sub("", _decode_words(value)).replace("*", "").strip()
    raw_name, addr = email.utils.parseaddr(value)
    if not addr or "@" not in addr:
        found = _ADDRESS.search(value)
        addr = found.group() if found else ""
        raw_name = value.replace(addr, "").strip(" <>[]()\"'") if addr else value.strip()
    addr = addr.strip().rstrip(".").lower()
    name: str | None = raw_name.strip().strip("\"'") or None
    if name and "@" in name and addr and name.lower() == addr:
        name = None
    return name, (addr or None)


_CLOCK = re.compile(r"(?i)\d{1,2}:\d{2}(?::\d{2})?(?:\s*[ap]\.?m\.?)?(?:\s*[+-]\d{4})?")


def _attribution(body: str) -> tuple[str | None, str | None, str | None]:
    """ "Tue, Nov 3, 2026 at 9:00 AM Jo Brand <jo@brand.example>" → name, address, date."""
    if "mailto:" in body.lower():
        body = _MAILTO.sub("", body)
    addr_match = _ADDRESS.search(body)
    if addr_match is None:
        return None, None, None
    addr = addr_match.group().lower()
    head = body[: addr_match.start()].rstrip(" <[(\"'")
    # The name is what follows the date: after the last comma, or after a time ("AM"/"14:05").
    time_end = None
    for m in _CLOCK.finditer(head):
        time_end = m.end()
    if time_end is not None:
        date_text, raw_name = head[:time_end], head[time_end:]
    else:
        date_text, _, raw_name = head.rpartition(",")
    return (raw_name.strip(" ,\"'") or None), addr, (date_text.strip(" ,") or None)


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
