"""Hand mail-parser a copy of the email without the bodies of its big binary attachments.

Python's email parser, under mail-parser, spends most of its time on an email with an
attachment splitting the attachment's base64 text into lines and testing each one against
every open MIME boundary, for bytes only the screenshot reader ever reads, and only of images.
So the base64 body of a large image, application, audio or video part is swapped for a
one-line placeholder before parsing, and kept aside for `ImagePart.data()` to decode if asked.

Why the parse stays the same: a run of whole lines made only of base64 characters has no
colon, no leading space, no leading dash and no "From " in it, so the email parser, in any
state (headers, preamble, a part's body, an attached message), reads such a line as content
and never as structure; swapping one such run for another such line changes what some part
holds and nothing else. `faithful` then checks, on the parsed copy, that every placeholder is
the whole body of a base64 image/application/audio/video part; when one is not (the run was
in a text part, a preamble, half a body), the caller parses the untouched email instead.
"""

from __future__ import annotations

import email.message
import re
from collections.abc import Iterable
from dataclasses import dataclass

# A placeholder is this, a number, then "Z": alphabetic, so it is itself a base64 line.
TOKEN = "SparkcodesSkimmedBody"
_TOKEN_BYTES = TOKEN.encode("ascii")

MIN_BODY = 2048  # smaller bodies cost the parser little, and skimming them saves little

# Whole lines of base64 characters, each ended by any line break the email parser knows.
_RUN = re.compile(rb"(?:[A-Za-z0-9+/=]+(?:\r\n|\n|\r))+")
_BLANK_LINE = re.compile(rb"\n\r?\n")
_CTE_BASE64 = re.compile(rb"(?i)content-transfer-encoding:[ \t]*base64[ \t]*\r?")
_BINARY_TYPE = re.compile(rb"(?im)^content-type:[ \t\r\n]*(?:image|application|audio|video)/")
_SKIMMED_TYPES = frozenset({"image", "application", "audio", "video"})


@dataclass(frozen=True, slots=True)
class Skimmed:
    """The email to parse, and each placeholder's original base64 text."""

    raw: bytes
    bodies: dict[str, bytes]

    def body(self, payload: object) -> bytes | None:
        """The base64 text a parsed part's payload stands for, if it is a placeholder."""
        if not isinstance(payload, str) or not payload.startswith(TOKEN):
            return None
        return self.bodies.get(payload.rstrip("\r\n"))


def skim(raw: bytes) -> Skimmed | None:
    """The email with its large binary bodies swapped for placeholders; None if there are none."""
    starts = _candidate_bodies(raw)
    if not starts or _TOKEN_BYTES in raw:
        return None
    pieces: list[bytes] = []
    bodies: dict[str, bytes] = {}
    done = 0
    for start in starts:
        if start < done:
            continue
        run = _RUN.match(raw, start)
        if run is None or run.end() - start < MIN_BODY:
            continue
        token = f"{TOKEN}{len(bodies)}Z"
        bodies[token] = run.group()
        pieces += (raw[done:start], token.encode("ascii"), b"\n")
        done = run.end()
    if not bodies:
        return None
    pieces.append(raw[done:])
    return Skimmed(b"".join(pieces), bodies)


def _candidate_bodies(raw: bytes) -> list[int]:
    """Where base64 bodies of binary parts seem to start: a guess, which `faithful` checks.

    A bytes search finds "base64" (in its usual spellings) far faster than a regular
    expression scans the whole email.
    """
    starts: set[int] = set()
    for needle in (b"ase64", b"ASE64"):
        at = raw.find(needle)
        while at >= 0:
            line_start = raw.rfind(b"\n", 0, at) + 1
            if _CTE_BASE64.match(raw, line_start) and (blank := _BLANK_LINE.search(raw, at)):
                head_start = max(
                    raw.rfind(b"\n\n", 0, at),
                    raw.rfind(b"\n\r\n", 0, at),
                    raw.rfind(b"\n--", 0, at),
                    0,
                )
                if _BINARY_TYPE.search(raw, head_start, blank.start() + 1):
                    starts.add(blank.end())
            at = raw.find(needle, at + 5)
    return sorted(starts)


def faithful(message: email.message.Message, skimmed: Skimmed, texts: Iterable[str]) -> bool:
    """Whether every placeholder is the whole body of a base64 binary leaf part (so the parse
    of the skimmed email is the parse of the original with those bodies left unread), and no
    decoded text shows one."""
    seen: set[str] = set()
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload()
        if not isinstance(payload, str) or TOKEN not in payload:
            continue
        token = payload.rstrip("\r\n")
        if (
            token not in skimmed.bodies
            or token in seen
            or part.get_content_maintype() not in _SKIMMED_TYPES
            or str(part.get("Content-Transfer-Encoding", "")).strip().lower() != "base64"
        ):
            return False
        seen.add(token)
    return len(seen) == len(skimmed.bodies) and not any(TOKEN in t for t in texts)
