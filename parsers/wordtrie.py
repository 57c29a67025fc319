"""Word lists as one regex factored on shared prefixes.

The stdlib engine tries the alternatives of "until|till|til|..." one after another at every
position; factored as "t(?:ill|il|hr(?:u|ough))|u..." it reads each letter once, and a
pattern that starts with a plain character set lets it skip ahead to the next candidate.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_Node = dict[str, "_Node"]


def alternation(words: Iterable[str]) -> str:
    """A non-capturing regex matching any of `words`, longest first; a space in a word
    matches any run of whitespace."""
    tree: _Node = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def pattern(node: _Node) -> str:
        branches = [
            (r"\s+" if c == " " else re.escape(c)) + pattern(sub) for c, sub in node.items() if c
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return "(?:" + body + ")?" if "" in node else body

    return "(?:" + pattern(tree) + ")"
