"""Raw bytes to a decoded message: headers, readable text, images, attached messages.

mail-parser does the MIME decoding (charsets, transfer encodings, RFC 2047 headers, dates)
and survives broken mail; this module adds what it does not do for us: it keeps a
forwarded-as-attachment message (message/rfc822) apart from the message that carries it,
joins `format=flowed` lines, and turns HTML into text without breaking a code that was split
across inline elements.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import email.message
import email.parser
import email.utils
import html as htmllib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, cast, overload

import mailparser
from mailparser.utils import receiveds_parsing
from selectolax.lexbor import LexborHTMLParser

from parsers.codes import join_soft_break
from parsers.headers import plausible_email, repair_attached_headers, repair_headers
from parsers.skim import Skimmed, faithful, read_field, skim

# Block-level HTML elements: text on either side of them belongs on different lines. Inline
# elements (span, b, a, wbr, font) are joined with nothing, so a code split across them
# stays whole.
_BLOCK_TAGS = (
    "address, article, aside, blockquote, dd, div, dl, dt, fieldset, figcaption, figure, "
    "footer, form, h1, h2, h3, h4, h5, h6, header, hr, li, main, nav, ol, p, pre, section, "
    "table, tr, ul"
)
_CELL_TAGS = "td, th"
_INVISIBLE_TAGS = "head, style, script, title, template, noscript"
_TAG = re.compile(r"<[^>]*>")
_HIDDEN = re.compile(r"(?is)<(style|script|head|title)\b.*?</\1\s*>")
# Blank lines after a line: from its line break on, so that the search starts on a literal
# "\n" (a leading [ \t\u00a0]* would make the engine try every character of the text).
_BLANK_RUN_TAIL = re.compile(r"\n(?:[ \t\u00a0]*\n)+")
_LINE_SPACE = " \t\u00a0"

# mail-parser logs a warning for every multipart container and unknown part it meets: noise
# on ordinary mail, and under cron it would fill every report.
logging.getLogger("mailparser").setLevel(logging.ERROR)


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image the email carries (attached, or inline in its HTML): named at once, its bytes
    decoded only when asked, since only the screenshot reader needs them."""

    name: str
    content_type: str
    # As mail-parser hands it (base64 text when `binary`), or the base64 bytes `skim` kept.
    payload: str | bytes = field(repr=False)
    binary: bool = True

    def data(self) -> bytes:
        """The image's bytes; empty when its transfer encoding is damaged beyond reading."""
        if not self.binary:
            if isinstance(self.payload, bytes):
                return self.payload
            return self.payload.encode("latin-1", "replace")
        try:
            return base64.b64decode(self.payload)
        except ValueError:
            return b""


_UNREAD = object()


@dataclass(slots=True)
class DecodedMessage:
    """One email (or one email attached inside another), decoded for extraction."""

    subject: str | None
    from_name: str | None
    from_email: str | None
    date: datetime | None
    tz: timezone | None
    message_id: str | None
    text: str
    alternative_html: Sequence[str]  # HTML bodies beside a plain one, read only if needed
    images: list[ImagePart] = field(default_factory=list)
    attached: list[DecodedMessage] = field(default_factory=list)
    # Its own header fields: as parsed, or the raw block when mail-parser got a pruned copy.
    headers: email.message.Message | bytes | None = None
    # The topmost Received field as the email parser stores it, read only when asked.
    received_field: str | None = None
    _received_at: Any = field(default=_UNREAD, repr=False)

    def alternative_text(self, worth_it: Callable[[str], bool]) -> str | None:
        """The HTML alternative as text: a second chance when the plain part has no code.

        `worth_it` sees the HTML with its tags cut out (cheap) and says whether the full
        conversion could find anything.
        """
        if not self.alternative_html:
            return None
        if not any(worth_it(rough_text(h)) for h in self.alternative_html):
            return None
        return "\n".join(html_to_text(h) for h in self.alternative_html)

    @property
    def received_at(self) -> datetime | None:
        """When the shared inbox got it (the topmost Received hop), else its Date. Read when
        asked: an IMAP run knows the arrival time without it."""
        if self._received_at is _UNREAD:
            self._received_at = _received_at(self.received_field) or self.date
        return cast(datetime | None, self._received_at)

    @property
    def recipients(self) -> list[str]:
        """To, Cc and Delivered-To: a plus address (spark+summer@) tags a campaign."""
        if isinstance(self.headers, bytes):
            self.headers = email.parser.BytesHeaderParser().parsebytes(self.headers)
        return _recipients(self.headers) if self.headers is not None else []


class UndecodableMessage(ValueError):
    """The bytes are not an email mail-parser can read at all."""


def decode(
    raw: bytes, *, max_depth: int = 8, worth_rendering: Callable[[str], bool] | None = None
) -> DecodedMessage:
    """Decode raw RFC 5322 bytes; raises `UndecodableMessage` only when nothing is readable.

    `worth_rendering` sees an HTML-only body with its tags cut out and says whether the full
    HTML-to-text rendering could find anything; when not, a rough text is enough (for a
    review item's snippet and its sender), at a fraction of the cost.
    """
    readable, why_not = plausible_email(raw)
    if not readable:
        raise UndecodableMessage(why_not)
    raw = repair_headers(raw)
    skimmed = skim(raw)
    parsed = None
    if skimmed is not None:
        try:
            parsed = mailparser.MailParser.from_bytes(skimmed.raw)
        except Exception:  # the untouched email says how it is broken
            parsed = None
        if parsed is not None and not _skim_faithful(parsed, skimmed):
            parsed = None
        if parsed is None:
            skimmed = None
    if parsed is None:
        try:
            parsed = mailparser.MailParser.from_bytes(raw)
        except Exception as exc:  # mail-parser raises more than its own errors on broken MIME
            raise UndecodableMessage(str(exc) or type(exc).__name__) from exc
    return _decoded(parsed, max_depth, worth_rendering, skimmed)


def _skim_faithful(parsed: Any, skimmed: Skimmed) -> bool:
    if not skimmed.bodies:
        return True  # only header fields were left out, whole lines the parse never mixes in
    texts = [*parsed.text_plain]
    texts += [
        str(att.get("payload") or "")
        for att in parsed.attachments
        if str(att.get("mail_content_type", "")).lower() == "text/plain"
    ]
    return faithful(parsed.message, skimmed, parsed.text_html, texts)


class _HtmlBodies(Sequence[str]):
    """HTML bodies, each one `skim` set aside decoded on first use: most are never read."""

    __slots__ = ("_items", "_skimmed")

    def __init__(self, items: list[str], skimmed: Skimmed | None) -> None:
        self._items = items
        self._skimmed = skimmed

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> list[str]: ...
    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        text = self._items[index]
        skimmed = self._skimmed
        if skimmed is not None and (token := skimmed.html_token(text)) is not None:
            text = self._items[index] = _skimmed_html(skimmed, token)
        return text


def _skimmed_html(skimmed: Skimmed, token: str) -> str:
    """The HTML body mail-parser would have decoded: it decodes the part, body restored."""
    part = copy.copy(skimmed.html_parts[token])
    part.set_payload(skimmed.original_payload(token))
    decoded = mailparser.MailParser(part).text_html
    return _unescape_iso2022(decoded[0]) if decoded else ""


def _decoded(
    parsed: Any,
    depth_left: int,
    worth_rendering: Callable[[str], bool] | None = None,
    skimmed: Skimmed | None = None,
    *,
    top: bool = True,
) -> DecodedMessage:
    message: email.message.Message = parsed.message
    attached_roots = _attached_messages(message) if depth_left > 0 else []
    attached = []
    inner_texts: set[str] = set()
    for inner in attached_roots:
        # Its Received hops, signatures and recipients are read by nothing here, and
        # mail-parser would spend most of its work on an attached message reading them.
        for name in {k.lower() for k in inner if not read_field(k)}:
            del inner[name]
        repair_attached_headers(inner)
        try:
            inner_parsed = mailparser.MailParser(inner)
        except Exception:  # a broken attached message must not cost the carrier's codes
            continue
        inner_texts.update(inner_parsed.text_plain)
        inner_texts.update(inner_parsed.text_html)
        attached.append(_decoded(inner_parsed, depth_left - 1, worth_rendering, skimmed, top=False))

    # mail-parser flattens attached messages into the carrier's bodies; take them back out.
    # `in` on a set hashes the whole body first: ask only when a message was attached.
    plain = [_unescape_iso2022(t) for t in parsed.text_plain if not _among(t, inner_texts)]
    html = _HtmlBodies(
        [_unescape_iso2022(t) for t in parsed.text_html if not _among(t, inner_texts)], skimmed
    )
    if plain and _is_flowed(message):
        plain = [unflow(t, delsp=_is_delsp(message)) for t in plain]
    alternative: Sequence[str]
    if plain:
        text, alternative = "\n".join(plain), html
    else:
        text, alternative = "\n".join(_render(h, worth_rendering) for h in html), []
    attachments = _text_attachments(parsed.attachments)
    if attachments:  # after the body, whichever part of it was read
        text = "\n".join([text, *attachments]) if text else "\n".join(attachments)

    from_name, from_email = _first_address(parsed.from_)
    date = _aware(parsed.date)
    return DecodedMessage(
        subject=_clean_header(parsed.subject),
        from_name=from_name,
        from_email=from_email,
        date=date,
        tz=_offset(parsed.timezone),
        message_id=_clean_header(parsed.message_id),
        text=text,
        alternative_html=alternative,
        images=_images(parsed.attachments, skimmed),
        attached=attached,
        **_own_fields(message, skimmed if top else None),
    )


def _among(text: str, texts: set[str]) -> bool:
    return bool(texts) and text in texts


_ISO2022_CODECS = ("iso2022_jp_2", "iso2022_jp_ext", "iso2022_kr")


def _unescape_iso2022(text: str) -> str:
    """ISO-2022 bodies (Japanese Outlook and Thunderbird) are 7-bit, so mail-parser hands
    them over undecoded: escape sequences and ASCII stand-ins for every kana and kanji."""
    if "\x1b" not in text:
        return text
    try:
        data = text.encode("ascii")
    except UnicodeEncodeError:
        return text  # already decoded text around a stray ESC: leave it
    for codec in _ISO2022_CODECS:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            continue
    return text


def _attached_messages(message: email.message.Message) -> list[email.message.Message]:
    """The top-level message/rfc822 parts, not descending into them (they recurse on their own)."""
    found: list[email.message.Message] = []
    stack = [message]
    while stack:
        part = stack.pop()
        if part is not message and part.get_content_maintype() == "message":
            payload = part.get_payload()
            if isinstance(payload, list):
                found.extend(p for p in payload if isinstance(p, email.message.Message))
            continue
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(p for p in reversed(payload) if isinstance(p, email.message.Message))
    return found


def _is_flowed(message: email.message.Message) -> bool:
    # The stored Content-Type text first: parsing parameters of every part costs more.
    if not any("flowed" in str(p.get("Content-Type", "")).lower() for p in message.walk()):
        return False
    return any(
        p.get_content_type() == "text/plain" and str(p.get_param("format", "")).lower() == "flowed"
        for p in message.walk()
    )


def _is_delsp(message: email.message.Message) -> bool:
    return any(str(p.get_param("delsp", "")).lower() == "yes" for p in message.walk())


def unflow(text: str, *, delsp: bool = False) -> str:
    """Join RFC 3676 soft line breaks (a line ending in a space continues on the next).

    Quote depth is honoured (section 4.5): the '>' marks of a continuation line are not part
    of the text, and lines of different depth never join. Without DelSp the space before a
    soft break stays, except inside a code a client cut at its line width (see `codes`).
    """
    out: list[str] = []
    pending = ""  # the text of a paragraph so far, without its quote marks
    pending_depth = 0
    for line in text.split("\n"):
        line = line.rstrip("\r")
        depth = 0
        content = line
        if line.startswith(">"):  # '>>' or '> >': quoting clients write both
            marks = _QUOTE_MARKS.match(line)
            depth = marks.group().count(">") if marks else 0
            content = line[marks.end() :] if marks else line
        elif content.startswith(" "):  # space-stuffing
            content = content[1:]
        if pending and depth != pending_depth:  # a quote of another depth: not a continuation
            out.append(_requote(pending, pending_depth))
            pending = ""
        if content.endswith(" ") and content != "-- ":  # the signature separator is hard
            if delsp:
                pending += content[:-1]
            else:
                pending = join_soft_break(pending, content)
            pending_depth = depth
        else:
            joined = pending + content if delsp else join_soft_break(pending, content)
            out.append(_requote(joined, depth))
            pending = ""
    if pending:
        out.append(_requote(pending, pending_depth))
    return "\n".join(out)


_QUOTE_MARKS = re.compile(r"(?:> ?)+")


def _requote(content: str, depth: int) -> str:
    return (">" * depth + " " + content) if depth else content


def html_to_text(html: str) -> str:
    """HTML to plain text: blocks on their own lines, cells apart, inline runs joined.

    TikTok links hidden behind anchor text are written out after the text, so a video can be
    paired with the code beside it.
    """
    try:
        tree = LexborHTMLParser(html)
    except Exception:  # lexbor refuses a few pathological inputs; plain tag stripping is enough
        return _TAG.sub(" ", html)
    root = tree.body or tree.root
    if root is None:
        return ""
    for node in tree.css(_INVISIBLE_TAGS):
        node.decompose()
    for node in root.css("a[href]"):
        href = node.attributes.get("href") or ""
        if "tiktok.com" in href and href not in (node.text() or ""):
            node.insert_after(f" {href} ")
    for node in root.css("br"):
        node.insert_after("\n")
    for node in root.css(_CELL_TAGS):
        node.insert_after("\t")
    for node in root.css(_BLOCK_TAGS):
        node.insert_before("\n")
        node.insert_after("\n")
    text = str(root.text(separator=""))
    return collapse_blank_lines(str(text)).strip()


def collapse_blank_lines(text: str) -> str:
    """Each run of blank lines, with the spaces ending the line before it, as one empty line:
    what `re.sub(r"[ \t\u00a0]*\n(?:[ \t\u00a0]*\n)+", "\n\n", text)` gives, faster."""
    out: list[str] = []
    done = 0
    for run in _BLANK_RUN_TAIL.finditer(text):
        out += (text[done : run.start()].rstrip(_LINE_SPACE), "\n\n")
        done = run.end()
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def _text_attachments(attachments: list[dict[str, Any]]) -> list[str]:
    """A code pasted into a .txt attachment is still a code the creator sent."""
    texts = []
    for att in attachments:
        if str(att.get("mail_content_type", "")).lower() != "text/plain":
            continue
        payload = att.get("payload") or ""
        try:
            data = base64.b64decode(payload) if att.get("binary") else str(payload).encode()
            texts.append(data.decode(att.get("charset") or "utf-8", errors="replace"))
        except (ValueError, LookupError):
            continue
    return texts


def _render(html: str, worth_rendering: Callable[[str], bool] | None) -> str:
    if worth_rendering is None:
        return html_to_text(html)
    rough = rough_text(html)
    return html_to_text(html) if worth_rendering(rough) else rough


# Inline elements vanish (a code split across <span>s joins up), block ends become line
# breaks, any other tag a space (a code in its own table cell stays apart from its neighbour).
# The tag names are spelled as [sS][pP][aA][nN]: with (?i) the stdlib engine cannot rule out an
# alternative on its first character, and these run over every HTML-only body.


def _any_case(names: str) -> str:
    """'span|sup|b' as a trie, '(?:[bB]|[sS](?:[pP][aA][nN]|[uU][pP]))': the engine tries a flat
    alternation's words one after another at every tag. Which word matched never matters (a
    match always runs on to the tag's '>'), so the order of the words is free."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for name in names.split("|"):
        node = trie
        for c in name:
            node = node.setdefault(c, {})
        node[""] = {}

    def build(node: dict) -> str:  # type: ignore[type-arg]
        branches = [
            (f"[{c.lower()}{c.upper()}]" if c.isalpha() else re.escape(c)) + build(child)
            for c, child in sorted(node.items())
            if c
        ]
        if "" in node:
            branches.append("")
        if len(branches) == 1:
            return branches[0]
        return "(?:" + "|".join(branches) + ")"

    return build(trie)


_INLINE_TAG = re.compile(
    r"</?"
    + _any_case("span|b|i|u|em|strong|a|font|wbr|small|sup|sub|mark|code|abbr|s|del|ins")
    + r"\b[^>]*>"
)
_ROUGH_BREAK = re.compile(
    r"<" + _any_case("br|/p|/div|/tr|/li|/table|/blockquote|/h1|/h2|/h3|/h4|/h5|/h6") + r"\b[^>]*>"
)


def rough_text(html: str) -> str:
    """A quick text of an HTML body: enough to tell whether it may hold a code, to split a
    forward and to quote a snippet. The full rendering (lexbor) is kept for when it does."""
    text = _TAG.sub(" ", _ROUGH_BREAK.sub("\n", _INLINE_TAG.sub("", _HIDDEN.sub("", html))))
    if "&" in text:
        text = htmllib.unescape(text)
    return collapse_blank_lines(text).strip()


def _recipients(message: email.message.Message) -> list[str]:
    values = [
        str(v)
        for h in ("To", "Cc", "Delivered-To", "X-Original-To")
        for v in message.get_all(h, [])
    ]
    return [addr.lower() for _, addr in email.utils.getaddresses(values) if addr]


def _images(attachments: list[dict[str, Any]], skimmed: Skimmed | None) -> list[ImagePart]:
    images = []
    for att in attachments:
        kind = str(att.get("mail_content_type", "")).lower()
        if not kind.startswith("image/"):
            continue
        name = str(att.get("filename") or att.get("mail_content_type"))
        kept = skimmed.body(att.get("payload")) if skimmed is not None else None
        if kept is not None:
            images.append(ImagePart(name, kind, kept, True))
        else:
            images.append(
                ImagePart(name, kind, str(att.get("payload") or ""), bool(att.get("binary")))
            )
    return images


def _first_address(addresses: Any) -> tuple[str | None, str | None]:
    if not addresses:
        return None, None
    try:
        name, addr = addresses[0]
    except (TypeError, ValueError):
        return None, None
    return (_clean_header(name), (addr or "").strip().lower() or None)


def _clean_header(value: Any) -> str | None:
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _aware(value: Any) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _offset(value: Any) -> timezone | None:
    """mail-parser reports the Date header's offset as hours in a string, such as '-4.0'."""
    try:
        hours = float(value)
    except (TypeError, ValueError):
        return None
    if not -15 <= hours <= 15:
        return None
    return timezone(timedelta(hours=hours))


# A Received field's date-time in the plain RFC 5322 form (four-digit year, valid clock, numeric
# zone after a space, an optional zone comment) after its only semicolon.
_PLAIN_STAMP = re.compile(
    r";[ \t\r\n]*((?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),[ \t\r\n]*)?"
    r"(?:0?[1-9]|[12]\d|3[01])[ \t\r\n]+(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r"[ \t\r\n]+(?:19|20)\d\d[ \t\r\n]+(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d)?"
    r"[ \t\r\n]+[+-](?:[01]\d|2[0-3])[0-5]\d)(?:[ \t\r\n]*\([A-Za-z0-9 +:-]*\))?[ \t\r\n]*\Z"
)


def _own_fields(message: email.message.Message, skimmed: Skimmed | None) -> dict[str, Any]:
    """The header fields mail-parser was not handed, from the untouched block if it was
    pruned, else from the parsed message."""
    if skimmed is not None and skimmed.headers is not None:
        return {"headers": skimmed.headers, "received_field": skimmed.received}
    received = next((str(v) for k, v in message.raw_items() if k.lower() == "received"), None)
    return {"headers": message, "received_field": received}


def _received_at(field: str | None) -> datetime | None:
    """When the shared inbox got the mail: the date on the topmost Received field, read by
    mail-parser's own reader of Received fields."""
    if field is None:
        return None
    plain = _PLAIN_STAMP.search(field) if field.count(";") == 1 and field.isascii() else None
    if plain is not None:  # the shape both readers agree on, read at a fraction of the cost
        with contextlib.suppress(ValueError):
            date = email.utils.parsedate_to_datetime(plain.group(1))
            return date.astimezone(UTC) if date.tzinfo else date.replace(tzinfo=UTC)  # -0000
    try:
        hops = receiveds_parsing([field])
        when = hops[0].get("date_utc") if hops and isinstance(hops[0], dict) else None
        if isinstance(when, str):
            return _aware(datetime.fromisoformat(when))
    except (TypeError, ValueError, AttributeError):
        pass
    _, _, stamp = field.rpartition(";")
    try:
        date = email.utils.parsedate_to_datetime(stamp.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if date is None:
        return None
    return date.astimezone(UTC) if date.tzinfo else date.replace(tzinfo=UTC)
