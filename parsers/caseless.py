"""Lower-case text whose offsets still point into the original.

The stdlib regex engine skips a literal alternative on its first character only when the
pattern is case-sensitive, so a long case-insensitive word list ("from|von|de|...") is several
times slower than the same list matched against lower-cased text. Matching there is only safe
when every offset is the same in both texts: `str.lower` turns a few characters into two
('İ' becomes 'i̇'), and those are kept as they are.
"""

from __future__ import annotations

# The last few texts lowered, by identity: the splitter, the code search and the period
# search are handed the same body or part one after another, and lowering non-ASCII text
# costs a call per character. Identity, not equality: no hashing of a long body.
_RECENT = 4
_recent: list[tuple[str, str]] = [("", "")] * _RECENT
_next = [0]


def aligned_lower(text: str) -> str:
    """`text.lower()`, with any character that would change length left unlowered, except
    'İ' (Turkish dotted capital I), which becomes 'i' as a case-insensitive match reads it."""
    for entry in _recent:
        if entry[0] is text:
            return entry[1]
    lowered = _aligned_lower(text)
    slot = _next[0]
    _recent[slot] = (text, lowered)
    _next[0] = (slot + 1) % _RECENT
    return lowered


def _aligned_lower(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := c.lower()) == 1 else "i" if c == "İ" else c for c in text)
