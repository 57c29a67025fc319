"""Find Spark codes in text, repair copy-paste damage, and reject look-alikes.

A Spark code is '#' plus a long base64 run. Mail clients and people damage it in a few known
ways (a line break or space inside, quoted-printable leftovers, a lost '#'); hashtags, invoice
numbers, URL fragments and tokens in links look a little like it. Text handed to `find_codes`
has already had zero-width characters removed (see `normalize_text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import regex

from parsers.caseless import aligned_lower

CODE_MIN = 40
CODE_MAX = 120

# Invisible characters are dropped, unusual spaces become plain ones.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"
_NO_BREAK_SPACES = "\u00a0\u2007\u202f"
_REPLACEMENTS = tuple((c, "") for c in _INVISIBLE) + tuple((c, " ") for c in _NO_BREAK_SPACES)
# A no-break space inside a code (an HTML editor's &nbsp; for a stray space): the code before
# it and a piece after it that reads as the rest of one (see `_wrapped_piece`).
_NBSP_IN_CODE = re.compile(
    r"(?<![\w/+=&?%#.-])(#[A-Za-z0-9+/]{8,})[\u00a0\u2007\u202f]([A-Za-z0-9+/]+(?:=3D|=){0,2})"
    r"(?![\w/+=@#-])"
)
# The last code fragment of a line and the first token of the next, for soft line breaks.
_TAIL_FRAGMENT = re.compile(r"(?<![\w/+=&?%#.-])#[A-Za-z0-9+/]{8,}$")
_HEAD_PIECE = re.compile(r"[A-Za-z0-9+/]+(?:=3D|=){0,2}(?![\w/+=@#-])")
# Mail clients wrap plain text at 72-78 columns (Thunderbird 72, Outlook 76, Gmail 78); a
# quote marker or a trailing space moves that by a little.
_WRAP_WIDTHS = range(70, 81)
_WORDLIKE = re.compile(r"[a-z]{4}")
# Links and addresses are kept out of the code search, so a '#fragment' or a token inside a
# tracking URL is never taken for one. Two patterns: with a literal prefix the stdlib engine
# finds links several times faster than one combined pattern.
_LINK = re.compile(r"(?:https?://|www\.|HTTPS?://|WWW\.)[^\s<>\"'“”‘’()\[\]{}]+")
# An address is found from its '@' (a literal the engine jumps to), then its local part
# backwards: one pattern with the local part first is tried at every character of the text.
_DOMAIN = re.compile(r"@[\w-]+(?:\.[\w-]+)+")
_LOCAL_PART = re.compile(r"[\w.+-]{1,64}$")
_RUN = regex.compile(r"[A-Za-z0-9+/][A-Za-z0-9+/=]*")
_PIECE = regex.compile(r"[A-Za-z0-9+/]+(?:=3D|=){0,3}")
_GAP = regex.compile(r"[ \t]{0,3}\n[ \t>]{0,4}|[ \t]{1,2}")
# A code that lost its '#': a whole run, not the middle of a token, an address or a path.
_BARE = regex.compile(r"[A-Za-z0-9+/]{30,}(?:=3D|=){0,3}(?![\w/+=&?%@-])")
# Words that say "the next thing is the code" in the languages creators write in.
_LABEL = regex.compile(
    r"(?i)(?:\b(?:spark(?:\s*ads?)?|auth(?:ori[sz]ation)?|ad|post|video|access|tiktok)"
    r"[\s-]*(?:code|key)\b|\bcode\b|\bc[óo]digo\b|\bautori[sz]ierungscode\b|\bcodice\b"
    r"|\bcode\s+d['’]autorisation\b|\bautorisatiecode\b|\bcode\s+spark\b)"
)
_LABEL_WINDOW = 60


@dataclass(frozen=True, slots=True)
class CodeMatch:
    code: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class DamagedCode:
    """Text presented as a code that cannot be one: reported, never guessed."""

    text: str
    start: int
    why: str


def normalize_text(text: str) -> str:
    """Drop characters that are invisible in a mail client but split a code in the bytes."""
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    # A substring search per character is a fast C scan; a regex character class is not.
    for char, replacement in _REPLACEMENTS:
        if char in text:
            if replacement == " ":
                text = _join_no_break_spaces(text)
            text = text.replace(char, replacement)
    return text


def _join_no_break_spaces(text: str) -> str:
    def join(match: re.Match[str]) -> str:
        head, piece = match.group(1), match.group(2)
        if _wrapped_piece(piece) and len(head) + len(piece) <= CODE_MAX + 1:
            return head + piece
        return match.group()

    for _ in range(3):  # a code cut in several places: each pass joins one more piece
        joined = _NBSP_IN_CODE.sub(join, text)
        if joined == text:
            break
        text = joined
    return text


def _wrapped_piece(piece: str) -> bool:
    """Does this token read as the rest of a code a client or an editor cut, not as a word?

    Base64 of random bytes mixes digits, '+' and '/' with letters and switches letter case at
    most positions; words and brand names (TikTok, Video1, Valid30Days) keep runs of four or
    more lower-case letters and switch case far less.
    """
    clean = piece.replace("=3D", "=")
    if clean.endswith("="):
        return True
    if len(clean) < 4:
        return False
    if len(clean) >= 8 and looks_random(clean, strict=True):
        return True
    if _WORDLIKE.search(clean):
        return False
    return (
        "+" in clean
        or "/" in clean
        or (any(map(str.isdigit, clean)) and any(map(str.isalpha, clean)))
    )


def join_soft_break(left: str, right: str) -> str:
    """Join a format=flowed soft line break (`left` ends in its space) with the next line.

    The space stays (RFC 3676 without DelSp) unless the break cuts a code: a '#' fragment at
    the end of `left` and a piece that reads as its rest at the start of `right`. Some clients
    cut a token longer than the line that way, and the halves must not become two codes.
    """
    if not left:
        return right
    window = max(0, len(left) - CODE_MAX - 3)  # a paragraph can be long; a code is not
    if left.find("#", window) < 0:
        return left + right
    fragment = _TAIL_FRAGMENT.search(left, window, len(left) - 1)
    if fragment is not None and fragment.group()[-1] != "=":
        piece = _HEAD_PIECE.match(right)
        if (
            piece is not None
            and _wrapped_piece(piece.group())
            and len(fragment.group()) + len(piece.group()) <= CODE_MAX + 1
        ):
            return left[:-1] + right
    return left + right


def link_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Where the links and email addresses in `text[start:end]` are, in order."""
    end = len(text) if end is None else end
    spans = []
    if any(text.find(mark, start, end) >= 0 for mark in ("://", "www.", "WWW.")):
        spans = [m.span() for m in _LINK.finditer(text, start, end)]
    if text.find("@", start, end) >= 0:
        for domain in _DOMAIN.finditer(text, start, end):
            at = domain.start()
            local = _LOCAL_PART.search(text, max(start, at - 64), at)
            if local is not None:
                spans.append((local.start(), domain.end()))
        spans.sort()
    return spans


def mask_urls(text: str) -> str:
    """The same text with every link and email address blanked out, offsets unchanged."""
    out = list(text)
    for start, end in link_spans(text):
        out[start:end] = " " * (end - start)
    return "".join(out)


def looks_random(body: str, *, strict: bool = True) -> bool:
    """Base64 of random bytes switches between upper, lower and digits far more than words do.

    Separates a code from a camel-case hashtag (#GlowBrandPartner2026). Random base64 switches
    class at about 65% of positions, camel-case words at 30-45%; `strict` is for short runs,
    where a hashtag is likely and a false "damaged code" would mislead a reviewer.
    """
    core = body.rstrip("=")
    if len(core) < 8:
        return False
    has_digit = any(map(str.isdigit, core))
    has_upper = any(c.isupper() for c in core)
    has_lower = any(c.islower() for c in core)
    if sum((has_digit, has_upper, has_lower)) < 2:
        return False

    changes = len(_CLASS_RUNS.findall(core)) - 1
    if strict:
        return changes >= 0.5 * len(core)
    return changes >= 0.35 * len(core) or "+" in core or "/" in core or body.endswith("=")


def _clean_piece(piece: str) -> str:
    return piece.replace("=3D", "=")


def _continues(piece: str) -> bool:
    """Could this token be the rest of a code pushed onto the next line or past a space?"""
    core = piece.rstrip("=")
    if len(core) < 2 and not piece.endswith("="):
        return False
    return (
        any(c.isdigit() or c in "+/" for c in core)
        or piece.endswith("=")
        or (len(core) >= 6 and any(c.isupper() for c in core[1:]))
    )


def _assemble(text: str, pos: int, links: _Links) -> tuple[str, int]:
    """Read a code body starting at `pos`, joining pieces a mail client or a person split."""
    first = _PIECE.match(text, pos)
    if first is None:
        return "", pos
    body = _clean_piece(first.group())
    end = first.end()
    while len(body) < CODE_MAX:
        gap = _GAP.match(text, end)
        if gap is None or gap.end() == end:
            break
        nxt = _PIECE.match(text, gap.end())
        if nxt is None or links.contains(nxt.start()):
            break
        after = nxt.end()
        if after < len(text) and (text[after].isalnum() or text[after] in "_-#@"):
            break  # the next piece runs into a word: it is prose, not code
        piece = _clean_piece(nxt.group())
        head = body
        if body.endswith("="):
            # Padding ends a code, unless it is a quoted-printable soft break ('=' at line end).
            if body.endswith("==") or not gap.group().startswith("\n"):
                break
            head = body[:-1]
        if not _continues(piece):
            break
        if len(head) + len(piece) > CODE_MAX:
            break
        # Only a client's wrap at its line width cuts a code this long without padding.
        if (
            len(head) >= CODE_MIN
            and not piece.endswith("=")
            and not (
                _wrapped_at_width(text, gap.start(), gap.group())
                and _wrapped_piece(piece)
                and not text.startswith(":", after)  # "Video1:" is a label, not a code's end
            )
        ):
            break
        body = head + piece
        end = after
    return body, end


def _wrapped_at_width(text: str, end: int, gap: str) -> bool:
    """Is the line ending at `end` as long as a mail client's wrap, before a line break?"""
    if "\n" not in gap:
        return False
    return (end - (text.rfind("\n", 0, end) + 1)) in _WRAP_WIDTHS


_CLASS_RUNS = regex.compile(r"[A-Z]+|[a-z]+|[0-9]+|[^A-Za-z0-9]+")
# Nothing can be a code (or a damaged one) without one of these; most prose has neither.
# '#' and eight base64 characters, or a bare run of thirty that a label announces (a code
# that lost its '#'). The stdlib engine finds the first by its literal '#' at memchr speed;
# a scan for the second tries every letter of every word, so it runs only in the 60
# characters after a word every label contains. The look-behind (not inside a word, a path
# or a query) is checked on the few hits in Python.
_HASH_HIT = re.compile(r"#[A-Za-z0-9+/]{8}")
_RUN_START = re.compile(r"[A-Za-z0-9+/]{30}")
_LONG_RUN = re.compile(r"[A-Za-z0-9+/]{30,}")
_LABEL_WORDS = ("code", "key", "digo", "codice")  # one is in every match of _LABEL
_NOT_AFTER_HASH = frozenset("/&?=#%.-_")
_NOT_AFTER_RUN = frozenset("/+=#&?%.-_")


def _candidates(text: str, labels: re.Pattern[str] | None = None) -> list[re.Match[str]]:
    """Code-like runs in text order: every '#' one, and the bare ones a label may announce."""
    hits = list(_HASH_HIT.finditer(text))
    windows = []
    lowered = aligned_lower(text)
    for word in _LABEL_WORDS:
        at = lowered.find(word)
        while at >= 0:
            windows.append((at, at + len(word) + _LABEL_WINDOW))
            at = lowered.find(word, at + 1)
    if labels is not None:
        windows += [(m.start(), m.end() + _LABEL_WINDOW) for m in labels.finditer(text)]
    if windows:
        starts = {
            m.start()
            for lo, hi in windows
            for m in _RUN_START.finditer(text, lo, min(len(text), hi + 30))
        }
        runs = (_LONG_RUN.match(text, start) for start in sorted(starts))
        hits = sorted([*hits, *(m for m in runs if m)], key=lambda m: m.start())
    return [hit for hit in hits if _free_start(text, hit.start())]


def _free_start(text: str, start: int) -> bool:
    before = text[start - 1] if start else " "
    banned = _NOT_AFTER_HASH if text[start] == "#" else _NOT_AFTER_RUN
    return before not in banned and not before.isalnum()


def may_hold_code(text: str, labels: re.Pattern[str] | None = None) -> bool:
    """A cheap test that rules out most text before the real search."""
    if any(_free_start(text, hit.start()) for hit in _HASH_HIT.finditer(text)):
        return True
    return any(
        hit.group()[0] != "#" and _is_labelled(text, hit.start(), labels)
        for hit in _candidates(text, labels)
    )


def candidate_texts(text: str, labels: re.Pattern[str] | None = None) -> set[str]:
    """The code-like runs in `text`, to tell whether another rendering could hold more."""
    return {hit.group() for hit in _candidates(text, labels)}


class _Links:
    """Where links and addresses are, so a '#fragment' or a token inside one is never a code.

    Neither ever spans a line break, so only the lines a question is asked about are read:
    a long email holds a few codes and many lines.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self._by_line: dict[int, list[tuple[int, int]]] = {}

    def contains(self, pos: int) -> bool:
        line = self.text.rfind("\n", 0, pos) + 1
        spans = self._by_line.get(line)
        if spans is None:
            end = self.text.find("\n", pos)
            spans = self._by_line[line] = link_spans(self.text, line, None if end < 0 else end)
        return any(a <= pos < b for a, b in spans)


def find_codes(
    text: str, labels: re.Pattern[str] | None = None
) -> tuple[list[CodeMatch], list[DamagedCode]]:
    """Every Spark code in `text` in order of appearance (deduplicated), and damaged ones.

    `labels` adds words of the ops team's own that announce a code (config rules).
    """
    hits = [
        (hit, labelled)
        for hit in _candidates(text, labels)
        if (labelled := _is_labelled(text, hit.start(), labels)) or hit.group()[0] == "#"
    ]
    if not hits:
        return [], []
    links = _Links(text)
    codes: list[CodeMatch] = []
    damaged: list[DamagedCode] = []
    seen: set[str] = set()
    taken: list[tuple[int, int]] = []

    def is_free(pos: int) -> bool:
        return not links.contains(pos) and not any(a <= pos < b for a, b in taken)

    def consider(body: str, start: int, end: int, *, labelled: bool) -> None:
        taken.append((start, end))
        core = body.rstrip("=")
        in_range = CODE_MIN <= len(core) <= CODE_MAX
        if not looks_random(body, strict=not (in_range or labelled)):
            return
        if in_range and body.count("=") <= 2:
            code = "#" + body
            if code not in seen:
                seen.add(code)
                codes.append(CodeMatch(code, start, end))
        elif len(core) >= 12 or labelled:
            why = (
                f"{len(core)} characters long; Spark codes are {CODE_MIN}-{CODE_MAX}"
                if len(core) < CODE_MIN or len(core) > CODE_MAX
                else "padding in the middle of the code"
            )
            damaged.append(DamagedCode("#" + body, start, why))

    for hit, labelled in hits:
        start = hit.start()
        if not is_free(start):
            continue
        if hit.group().startswith("#"):
            body, end = _assemble(text, start + 1, links)
            glued = _RUN.match(text, end)
            if glued:  # base64 straight after the padding: two codes run together, or worse
                taken.append((start, glued.end()))
                damaged.append(
                    DamagedCode("#" + body + glued.group(), start, "padding in the middle")
                )
                continue
            consider(body, start, end, labelled=labelled)
        elif _BARE.match(text, start):  # a labelled code that lost its '#'
            body, end = _assemble(text, start, links)
            consider(body, start, end, labelled=True)
    codes.sort(key=lambda c: c.start)
    return codes, damaged


def _is_labelled(text: str, start: int, extra: re.Pattern[str] | None = None) -> bool:
    """Does a code label stand just before `start` (same line or the line before)?"""
    window = text[max(0, start - _LABEL_WINDOW) : start]
    return _LABEL.search(window) is not None or (extra is not None and bool(extra.search(window)))
