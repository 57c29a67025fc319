"""Lower-case text whose offsets still point into the original.

The stdlib regex engine skips a literal alternative on its first character only when the
pattern is case-sensitive, so a long case-insensitive word list ("from|von|de|...") is several
times slower than the same list matched against lower-cased text. Matching there is only safe
when every offset is the same in both texts: `str.lower` turns a few characters into two
('İ' becomes 'i̇'), and those are kept as they are.
"""

from __future__ import annotations


def aligned_lower(text: str) -> str:
    """`text.lower()`, with any character that would change length left unlowered, except
    'İ' (Turkish dotted capital I), which becomes 'i' as a case-insensitive match reads it."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(low if len(low := c.lower()) == 1 else "i" if c == "İ" else c for c in text)
