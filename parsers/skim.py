"""Hand mail-parser a copy of the email without the header fields nobody reads and the bodies
nobody may read.

mail-parser reads every header field of the message at once: it parses each address field,
each Received hop and each date, and lists every field twice. On real mail most of the header
block is signatures, authentication results and the hops before the last one, which nothing
here reads, so the copy keeps only the fields `parsers.message` asks mail-parser for (From,
Subject, Date, Message-ID) and the ones that shape the MIME parse (MIME-Version and Content-*).
The untouched block is kept beside the copy for what is read only when asked: the recipients a
campaign rule looks at, and the topmost Received hop, when the email arrived (an IMAP run knows
that without it). A block the email parser could read differently line by line (a bare CR, a
line that is neither a field nor a continuation) is handed over as it is.

Python's email parser, under mail-parser, spends most of its time splitting bodies into lines
and testing each line against every open MIME boundary. Two kinds of body are rarely read:
the base64 text of a large image, application, audio or video part (only the screenshot
reader reads images, and only when the text holds no code), and an HTML alternative beside a
plain text body (read only when the plain text holds no code). Each such body is swapped for
a one-line placeholder before parsing and kept aside, to be decoded when asked.

Why the parse stays the same: the email parser reads a leaf part's body line by line until a
line opens with "--" and matches an enclosing boundary. A swapped body is a run of whole
lines none of which opens with "--" (base64 lines cannot, and an HTML body is cut before the
first that does), and the placeholder is such a line too; the bytes before it are the same, so
the parser is in the same state when it meets either. `faithful` then checks on the parsed
copy that each placeholder is the whole body of a leaf of the expected kind, which proves the
line after the swapped run ended that leaf in the original too; when one is not (a guess that
was wrong: the run was in a text part, a preamble, half a body), the caller parses the
untouched email instead.
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# A placeholder is this, a number, then "Z": letters and digits only, so also a base64 line.
TOKEN = "SparkcodesSkimmedBody"
_TOKEN_BYTES = TOKEN.encode("ascii")

MIN_BODY = 2048  # smaller bodies cost the parser little, and skimming them saves little

# Whole lines of base64 characters, each ended by any line break the email parser knows.
_RUN = re.compile(rb"(?:[A-Za-z0-9+/=]+(?:\r\n|\n|\r))+")
# What stands before "base64" and "text/html" on a header line, read on the few bytes before.
_CTE_LABEL = re.compile(rb"(?i)\ncontent-transfer-encoding:[ \t]*\Z")
_TYPE_LABEL = re.compile(rb"(?i)\ncontent-type:[ \t]*\Z")
_LABEL_REACH = 48
_BLANK_LINE = re.compile(rb"\n\r?\n")
# A header field: its name (what the email parser takes for one), value and continuation lines.
_FIELD = re.compile(rb"([!-9;-~]+):[^\n]*\n(?:[ \t][^\n]*\n)*")
_READ_NAMES = frozenset({"from", "subject", "date", "message-id", "mime-version"})
_HEAD_REACH = 2048  # how far back a part's header block is looked for
_CTE_OTHER = re.compile(rb"(?im)^content-transfer-encoding:[ \t]*(?:base64|x-uue|uue)")
_BINARY_TYPE = re.compile(rb"(?im)^content-type:[ \t\r\n]*(?:image|application|audio|video)/")
_SKIMMED_TYPES = frozenset({"image", "application", "audio", "video"})
# Transfer encodings whose decoding maps the placeholder to itself.
_TEXT_ENCODINGS = frozenset({"", "7bit", "8bit", "quoted-printable"})


@dataclass(slots=True)
class Skimmed:
    """The email to parse, each placeholder's original body, and (once `faithful` said yes)
    the parsed part each HTML placeholder stands in."""

    raw: bytes
    bodies: dict[str, bytes]
    html: frozenset[str]  # the placeholders of HTML bodies, the others are binary
    headers: bytes | None = None  # the untouched header block, when the copy's is pruned
    received: str | None = None  # then its topmost Received field, as the email parser keeps it
    html_parts: dict[str, email.message.Message] = field(default_factory=dict)

    def body(self, payload: object) -> bytes | None:
        """The base64 text a parsed binary part's payload stands for, if it is a placeholder."""
        token = _token(payload)
        return self.bodies.get(token) if token is not None and token not in self.html else None

    def html_token(self, text: str) -> str | None:
        """The placeholder a decoded HTML body is, if it is one."""
        token = _token(text)
        return token if token in self.html_parts else None

    def original_payload(self, token: str) -> str:
        """The payload the email parser gives the HTML part in the untouched email.

        The parser drops the line break before a boundary: from the body alone when the body
        ran up to the boundary, else from what followed the placeholder (only line breaks).
        """
        body = self.bodies[token].decode("ascii", "surrogateescape")
        payload = str(self.html_parts[token].get_payload())
        if len(payload) > len(token):  # the placeholder's own line break, then the rest
            return body + payload[len(token) + 1 :]
        return body[:-2] if body.endswith("\r\n") else body[:-1]


def _token(payload: object) -> str | None:
    if not isinstance(payload, str) or not payload.startswith(TOKEN):
        return None
    return payload.rstrip("\r\n")


def skim(raw: bytes) -> Skimmed | None:
    """The email with the header fields nobody reads left out and its large binary bodies and
    HTML alternatives swapped for placeholders; None if it has none of these."""
    if _TOKEN_BYTES in raw:
        return None
    head_end, kept_head, received = _read_fields(raw)
    starts = _binary_bodies(raw)
    html_starts = _html_bodies(raw) if raw.find(b"lternative") >= 0 else []
    if html_starts and _attaches_message(raw):
        html_starts = []
    headers = raw[:head_end] if kept_head is not None else None
    head = kept_head if kept_head is not None else raw[:head_end]
    pieces: list[bytes] = [head]
    bodies: dict[str, bytes] = {}
    html: set[str] = set()
    done = head_end
    dash, bare_cr_dash, tag = _Ahead(raw, b"\n--"), _Within(raw, b"\r--"), _Ahead(raw, b"<")
    for start, is_html in sorted([(s, False) for s in starts] + [(s, True) for s in html_starts]):
        if start < done:
            continue
        end = _html_end(raw, start, dash, bare_cr_dash, tag) if is_html else _base64_end(raw, start)
        if end - start < MIN_BODY:
            continue
        token = f"{TOKEN}{len(bodies)}Z"
        bodies[token] = raw[start:end]
        if is_html:
            html.add(token)
        pieces += (raw[done:start], token.encode("ascii"), b"\n")
        done = end
    if not bodies and headers is None:
        return None
    pieces.append(raw[done:])
    return Skimmed(b"".join(pieces), bodies, frozenset(html), headers, received)


def _read_fields(raw: bytes) -> tuple[int, bytes | None, str | None]:
    """Where the top header block ends (after its last line break), the block with only the
    fields read (None when it has nothing to leave out or might not parse the same), and its
    topmost Received field's value."""
    blank = _BLANK_LINE.search(raw)
    if blank is None:
        return 0, None, None
    end = blank.start() + 1
    block = raw[:end]
    if block.count(b"\r") != block.count(b"\r\n"):
        return 0, None, None  # a bare CR breaks a line for the email parser, not for this reading
    kept: list[bytes] = []
    received = None
    left_out = False
    at = 0
    while at < end:
        field = _FIELD.match(block, at)
        if field is None:
            return 0, None, None  # not a field: the parser would end the block here
        name = field.group(1).decode("ascii")
        if read_field(name):
            kept.append(field.group())
            at = field.end()
            continue
        left_out = True
        if received is None and name.lower() == "received":
            # As the email parser keeps a value: after the colon, leading blanks and the
            # last line break dropped, continuation lines as they are.
            value = block[field.end(1) + 1 : field.end()].decode("ascii", "surrogateescape")
            received = value.lstrip(" \t").rstrip("\r\n")
        at = field.end()
    return (end, b"".join(kept), received) if left_out else (end, None, None)


def read_field(name: str) -> bool:
    """Whether mail-parser is handed this header field (the others are left out)."""
    name = name.lower()
    return name in _READ_NAMES or name.startswith("content-")


def _attaches_message(raw: bytes) -> bool:
    """An attached message's bodies mix with the carrier's in mail-parser's lists, told apart
    by their decoded text: its HTML alternatives cannot wait (`faithful` would refuse)."""
    # One spelling, for speed (a long needle is skipped through faster): `faithful` refuses the
    # others ("MESSAGE/RFC822", message/global), and the untouched email is parsed then.
    return raw.find(b"message/rfc822") >= 0


def _base64_end(raw: bytes, start: int) -> int:
    run = _RUN.match(raw, start)
    return run.end() if run else start


def _html_end(raw: bytes, start: int, dash: _Ahead, bare_cr_dash: _Within, tag: _Ahead) -> int:
    """The end of the lines before the first one opening with "--"; `start` when there is none
    or the body has no "<" (a body decoding to nothing would vanish from mail-parser's list)."""
    if raw.startswith(b"--", start):
        return start
    end = dash.next(start)
    bare_cr = bare_cr_dash.first(start, end if end >= 0 else len(raw))  # a lone CR ends a line
    if bare_cr >= 0:
        end = bare_cr
    lt = tag.next(start)
    if end < 0 or not 0 <= lt < end:
        return start
    return end + 1


class _Ahead:
    """Where a byte string next occurs at or after a position. Asked at growing positions it
    searches each byte once, however many guesses ask: hostile mail full of "base64" or
    "text/html" costs linear time, not quadratic."""

    __slots__ = ("_asked", "_found", "_needle", "_raw")

    def __init__(self, raw: bytes, needle: bytes) -> None:
        self._raw, self._needle = raw, needle
        self._asked, self._found = -1, -1

    def next(self, pos: int) -> int:
        # A new search when never asked, asked behind, or the last find now lies behind.
        if self._asked < 0 or pos < self._asked or 0 <= self._found < pos:
            self._found = self._raw.find(self._needle, pos)
        self._asked = pos
        return self._found


class _Within:
    """Where a byte string first occurs in [start, end), asked with growing starts: the part of
    a span already searched in vain is not searched again (linear time on hostile mail), and
    an ordinary email is searched only up to the end asked, not to its own end."""

    __slots__ = ("_clean_to", "_found", "_needle", "_raw")

    def __init__(self, raw: bytes, needle: bytes) -> None:
        self._raw, self._needle = raw, needle
        self._clean_to, self._found = 0, -1  # no occurrence starts in [last start, _clean_to)

    def first(self, start: int, end: int) -> int:
        if self._found >= start:
            return self._found if self._found + len(self._needle) <= end else -1
        lo = max(start, self._clean_to - len(self._needle) + 1)
        self._found = self._raw.find(self._needle, lo, end)
        if self._found < 0:
            self._clean_to = max(self._clean_to, end)
        return self._found


def _labelled(raw: bytes, at: int, label: re.Pattern[bytes]) -> bool:
    """Whether the header line holding `at` reads `label` up to it (a few bytes looked at)."""
    head = raw[at - _LABEL_REACH : at] if at >= _LABEL_REACH else b"\n" + raw[:at]
    return label.search(head) is not None


def _part_heads(raw: bytes, value: bytes, label: re.Pattern[bytes]) -> Iterable[tuple[int, int]]:
    """(header block start, body start) of each part whose header line `label` is followed by
    `value`: a guess, which `faithful` checks. Each byte is searched a bounded number of times
    whatever the email holds: a header line is only read past the last blank line found, so the
    searches for the next blank line, and the looks back for the block's start, never overlap."""
    last_body = 0
    for at in _found(raw, value):
        if at < last_body or not _labelled(raw, at, label):
            continue  # inside the block or body already looked at, or not that header
        blank = _BLANK_LINE.search(raw, at)
        if blank is None:
            return
        body = blank.end()
        lo = max(at - _HEAD_REACH, last_body, 0)
        head = max(
            raw.rfind(b"\n--", lo, at), raw.rfind(b"\n\n", lo, at), raw.rfind(b"\n\r\n", lo, at), lo
        )
        last_body = body
        yield head, body


def _binary_bodies(raw: bytes) -> list[int]:
    """Where base64 bodies of binary parts seem to start: a guess, which `faithful` checks.

    Bytes searches find "base64" far faster than a regular expression scans the whole email.
    """
    return [
        body
        for head, body in _part_heads(raw, b"base64", _CTE_LABEL)
        if _BINARY_TYPE.search(raw, head, body)
    ]


def _html_bodies(raw: bytes) -> list[int]:
    """Where HTML bodies that are not base64 seem to start (a guess, which `faithful` checks)."""
    return [
        body
        for head, body in _part_heads(raw, b"text/html", _TYPE_LABEL)
        if not _CTE_OTHER.search(raw, head, body)
    ]


def _found(raw: bytes, needle: bytes) -> Iterable[int]:
    at = raw.find(needle)
    while at >= 0:
        yield at
        at = raw.find(needle, at + len(needle))


def faithful(
    message: email.message.Message,
    skimmed: Skimmed,
    html_texts: list[str],
    other_texts: Iterable[str],
) -> bool:
    """Whether every placeholder is the whole body of a leaf of its kind, so that the parse of
    the skimmed email is the parse of the original with those bodies left unread.

    A binary placeholder must be the body of a base64 image/application/audio/video part; an
    HTML one the body of a text/html part whose transfer encoding leaves it as it is, seen
    once among mail-parser's HTML bodies, in an email that attaches no message (whose bodies
    mail-parser would mix with the carrier's). No other decoded text may show a placeholder.
    """
    seen: dict[str, email.message.Message] = {}
    has_message_part = False
    for part in message.walk():
        maintype = part.get_content_maintype()
        if part.is_multipart():
            has_message_part = has_message_part or (maintype == "message" and part is not message)
            continue
        payload = part.get_payload()
        if not isinstance(payload, str) or TOKEN not in payload:
            continue
        token = _token(payload)
        if token is None or token not in skimmed.bodies or token in seen:
            return False
        encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
        if token in skimmed.html:
            if part.get_content_type() != "text/html" or encoding not in _TEXT_ENCODINGS:
                return False
        elif maintype not in _SKIMMED_TYPES or encoding != "base64":
            return False
        seen[token] = part
    if len(seen) != len(skimmed.bodies) or (skimmed.html and has_message_part):
        return False
    html_seen = [t for t in html_texts if TOKEN in t]
    if len(html_seen) != len(skimmed.html) or {_token(t) for t in html_seen} != skimmed.html:
        return False
    if any(TOKEN in t for t in other_texts):
        return False
    skimmed.html_parts = {t: seen[t] for t in skimmed.html}
    return True
