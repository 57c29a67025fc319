"""Raw header bytes repaired before MIME decoding, and a test for bytes that are no email.

Old mailers write headers in raw 8-bit (Latin-1, KOI8-R) without RFC 2047 encoding, and some
leave a bare CR inside a header. The stdlib parser under mail-parser reads the first as
undecodable bytes (`J\\udcfcrgen`, letters lost from the Subject) and treats the second as the
end of a line, so the rest of the header block falls into the body. Mail clients show both
the way the sender meant; so does this.
"""

from __future__ import annotations

import codecs
import email.message
import re

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_BARE_CR = re.compile(rb"\r(?!\n)")
_FIELD_NAME = re.compile(rb"[!-9;-~]{1,76}:")
_CHARSET = re.compile(rb"""(?i)charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""")
_FIRST_LINE = re.compile(rb"(?:From |[!-9;-~]{1,76}:)")
# Bytes no text file holds: C0 controls other than tab, line breaks, form feed and escape.
_CONTROL = bytes(b for b in range(32) if b not in b"\t\n\r\f\x1b") + b"\x7f"
_SAMPLE = 4096
_MAX_NON_TEXT = 0.3


def plausible_email(raw: bytes) -> tuple[bool, str]:
    """Could these bytes be an email (or at least a text), and if not, why not.

    An email starts with a header field; a file without one is still read when it is text
    (a note saved as .eml), never when most of it is binary (an image, an archive, noise).
    """
    head = raw[:_SAMPLE].lstrip()
    if not head:
        return False, "the file is empty"
    if _FIRST_LINE.match(head):
        return True, ""
    non_text = len(head) - len(head.translate(None, _CONTROL))
    non_text += head.decode("utf-8", "replace").count("\ufffd")
    if non_text > _MAX_NON_TEXT * len(head):
        return False, "no email headers, and mostly binary data"
    return True, ""


def repair_headers(raw: bytes) -> bytes:
    """The message with its top header block readable: bare CRs and raw 8-bit text fixed.

    A bare CR before a field name is a line break, any other one a space. Undeclared 8-bit
    text is read as UTF-8, else in the charset the message declares for its body, else as
    Windows-1252, as mail clients do, and handed on as UTF-8 (which the parser keeps).
    """
    found = _HEADER_END.search(raw)
    end = found.start() if found else len(raw)
    block = raw[:end]
    bare_cr = block.count(b"\r") != block.count(b"\r\n") and b"\n" in block
    if block.isascii() and not bare_cr:
        return raw
    if bare_cr:
        block = _BARE_CR.sub(_cr_replacement, block)
    if not block.isascii():
        block = _to_utf8(block, raw)
    return block + raw[end:]


def repair_attached_headers(message: email.message.Message) -> None:
    """The same 8-bit repair for a message attached inside another (message/rfc822), whose
    headers the stdlib parser already holds as text with undecodable bytes escaped."""
    broken = {
        name
        for name, value in message.raw_items()
        if isinstance(value, str) and not value.isascii() and _has_escaped_bytes(value)
    }
    if not broken:
        return
    fallback = _known(str(message.get_param("charset", "") or "")) or "cp1252"
    raw = [(name, str(value)) for name, value in message.raw_items() if name in broken]
    for name in broken:
        del message[name]
    for name, value in raw:
        try:
            data = value.encode("ascii", "surrogateescape")
        except UnicodeEncodeError:  # not bytes the parser escaped: leave it as it is
            message[name] = value
            continue
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            data = _decode(data, fallback).encode("utf-8")
        # Stored as the parser stores raw UTF-8 bytes, which mail-parser reads right.
        message[name] = data.decode("ascii", "surrogateescape")


def _has_escaped_bytes(value: str) -> bool:
    return any("\udc80" <= c <= "\udcff" for c in value)


def _known(charset: str) -> str | None:
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return None
    return None if name in ("ascii", "utf-7") or name.startswith("utf-") else name


def _cr_replacement(match: re.Match[bytes]) -> bytes:
    return b"\n" if _FIELD_NAME.match(match.string, match.end()) else b" "


def _to_utf8(block: bytes, raw: bytes) -> bytes:
    fallback: str | None = None
    lines = block.split(b"\n")
    for i, line in enumerate(lines):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            continue
        except UnicodeDecodeError:
            pass
        if fallback is None:
            fallback = _body_charset(raw)
        lines[i] = _decode(line, fallback).encode("utf-8")
    return b"\n".join(lines)


def _body_charset(raw: bytes) -> str:
    """The first charset the message declares, when it is one that could hold 8-bit text."""
    found = _CHARSET.search(raw, 0, 262144)
    if found:
        name = _known(found.group(1).decode("ascii", "replace"))
        if name:
            return name
    return "cp1252"


def _decode(line: bytes, charset: str) -> str:
    for name in (charset, "cp1252"):
        try:
            return line.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
    return line.decode("latin-1")  # defines every byte: the last resort never fails
