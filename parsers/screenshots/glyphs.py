"""Settle the engine's known confusions by the glyphs' own geometry in the image.

Codes are random base64, so no dictionary or context helps, and in the app's sans-serif faces
some characters differ only by size: 'l' reaches the ascender line, 'I' only the capital line;
'c s v w x z o u' and their capitals differ only in height; 'O' is as wide as the other round
capitals, '0' as narrow as the other digits. Each glyph is measured, sub-pixel, inside the box
the engine gives it, against the capital, x-height and ascender heights that the characters
not in doubt show on the same image.
What geometry cannot settle becomes an alternative for the candidates, with a probability.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

import numpy as np
from numpy.typing import NDArray

# Characters whose reading the engine gets wrong here, and what each may really be.
CONFUSIONS: dict[str, str] = {
    "I": "l1",
    "l": "I1",
    "1": "lI",
    "S": "5s",
    "5": "S",
    "B": "8",
    "8": "B",
    "O": "0o",
    "0": "Oo",
    "o": "O0",
    **{c: c.upper() for c in "csvwxzuk"},
    **{c: c.lower() for c in "CSVWXZUK"},
}
_CASE_PAIRS = frozenset("csvwxzuoCSVWXZUO")
_UPPER_REF = frozenset("ABDEFGHJLMNPQRTY")
_DIGIT_REF = frozenset("23456789")
_LOWER_X_REF = frozenset("aemnr")  # tops at the x-height
_ASC_REF = frozenset("bdh")  # tops at the ascender line
_BASE_REF = frozenset("ABDEFGHIKLMNOPRSTUVWXZacemnorsuvwxz0123456789")  # sit on the baseline
_WIDE_REF = frozenset("DGHNQU")  # about as wide as 'O'


@dataclass(frozen=True, slots=True)
class Glyph:
    left: int
    right: int
    top: float
    bottom: float
    arm_top: float  # the top of the right third's ink ('k' vs 'K')

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> float:
        return self.bottom - self.top


Choices = list[tuple[str, float]]  # (character, probability), most likely first


def _edge(profile: NDArray[np.float64], rising: bool) -> float:
    """Sub-pixel position where `profile` first crosses half ink (from the start or the end)."""
    idx = np.flatnonzero(profile >= 128)
    if idx.size == 0:
        return float("nan")
    i = int(idx[0] if rising else idx[-1])
    j = i - 1 if rising else i + 1
    if 0 <= j < profile.size and profile[i] > profile[j]:
        frac = (profile[i] - 128) / (profile[i] - profile[j])
        return i - frac if rising else i + frac
    return float(i)


@dataclass(frozen=True, slots=True)
class Metrics:
    cap: float | None
    xh: float | None
    asc: float | None
    digit_w: float | None
    wide_w: float | None


def metrics(pairs: list[tuple[str, Glyph, float]]) -> Metrics:
    """Heights above the baseline for capitals, x-height and ascenders, from unambiguous glyphs."""

    def med(values: list[float]) -> float | None:
        return median(values) if values else None

    def heights(chars: frozenset[str]) -> list[float]:
        return [base - g.top for c, g, base in pairs if c in chars]

    return Metrics(
        cap=med(heights(_UPPER_REF | _DIGIT_REF)),
        xh=med(heights(_LOWER_X_REF)),
        asc=med(heights(_ASC_REF)),
        digit_w=med([g.width for c, g, _ in pairs if c in _DIGIT_REF]),
        wide_w=med([g.width for c, g, _ in pairs if c in _WIDE_REF]),
    )


def _pick(value: float, a: float | None, b: float | None, ca: str, cb: str) -> Choices | None:
    """Between two references, the nearer one with a probability from the margin."""
    if a is None or b is None or abs(b - a) < 0.5:
        return None
    t = (value - a) / (b - a)  # 0 at a, 1 at b
    p_b = min(0.97, max(0.03, t))
    if p_b >= 0.5:
        return [(cb, p_b), (ca, 1 - p_b)]
    return [(ca, 1 - p_b), (cb, p_b)]


def _prior(char: str) -> Choices:
    """What the engine's reading alone is worth, with no geometry."""
    alts = CONFUSIONS.get(char, "")
    if not alts:
        return [(char, 1.0)]
    if char in "Il":
        return [(char, 0.5), (alts[0], 0.45), (alts[1], 0.05)]
    return [(char, 0.7)] + [(a, 0.3 / len(alts)) for a in alts]


def decide(char: str, glyph: Glyph, base: float, m: Metrics) -> Choices:
    """The choices for one character read as `char`, after measuring its glyph."""
    h = base - glyph.top
    if char in "Il1":
        picked = _pick(h, m.cap, m.asc, "I", "l")
        if picked is None:
            return _prior(char)
        if char == "1":
            return [("1", 0.8)] + [(c, p * 0.2) for c, p in picked]
        return picked
    if char in "Oo0":
        case = _pick(h, m.xh, m.cap, "o", "O")
        if case is not None and case[0][0] == "o":
            return case
        width = _pick(glyph.width, m.digit_w, m.wide_w, "0", "O")
        if width is None:
            return _prior(char)
        if case is not None:  # tall: 'O' or '0'; keep a little room for 'o'
            return [(c, p * case[0][1]) for c, p in width] + [("o", case[1][1])]
        return width
    if char in "kK":  # both reach the top: the case shows in where the arm starts
        arm = _pick(base - glyph.arm_top, m.xh, m.cap, "k", "K")
        return arm if arm is not None else _prior(char)
    if char in _CASE_PAIRS:
        picked = _pick(h, m.xh, m.cap, char.lower(), char.upper())
        return picked if picked is not None else _prior(char)
    return [(char, 1.0)]


def measure(img: NDArray[np.uint8], left: int, right: int, top: int, bottom: int) -> Glyph:
    """A glyph's ink extent, sub-pixel in height, inside the engine's box (a little widened)."""
    h, w = img.shape
    top, bottom = max(0, top - 4), min(h, bottom + 4)
    # Trim a pixel each side: the neighbours' anti-aliasing reaches into the engine's box.
    cols = slice(max(0, left + 1), max(left + 2, min(w, right - 1)))
    ink = 255.0 - img[top:bottom, cols].astype(np.float64)
    rows = ink.max(axis=1)
    columns = (255.0 - img[top:bottom, max(0, left) : min(w, right)].astype(np.float64)).max(axis=0)
    lit = np.flatnonzero(columns >= 128)
    width = int(lit[-1] - lit[0] + 1) if lit.size else right - left
    x0 = int(lit[0]) + max(0, left) if lit.size else left
    right_part = ink[:, max(0, x0 + 2 * width // 3 - cols.start) :]
    third = right_part.max(axis=1) if right_part.size and width >= 3 else rows
    return Glyph(
        left, left + width, top + _edge(rows, True), top + _edge(rows, False) + 1,
        top + _edge(third, True),
    )


def settle(img: NDArray[np.uint8], lines: list[list[tuple[str, int, int, int, int]]]) -> list[Choices]:
    """Choices for every character of the lines read, each glyph measured in `img`."""
    measured: list[list[tuple[str, Glyph]]] = []
    bases: list[float] = []
    pairs: list[tuple[str, Glyph, float]] = []
    for line in lines:
        row = []
        for i, (c, lft, top, rgt, bot) in enumerate(line):
            # Columns a neighbour's box also covers hold some of its ink: left out.
            own_l = max(lft, line[i - 1][3]) if i > 0 else lft
            own_r = min(rgt, line[i + 1][1]) if i + 1 < len(line) else rgt
            if own_r - own_l < max(2, (rgt - lft) // 2):
                own_l, own_r = lft, rgt
            row.append((c, measure(img, own_l, own_r, top, bot)))
        row = [(c, g) for c, g in row if g.top == g.top and g.bottom == g.bottom]  # not NaN
        on_base = [g.bottom for c, g in row if c in _BASE_REF]
        base = median(on_base) if on_base else (max(g.bottom for _, g in row) if row else 0.0)
        measured.append(row)
        bases.append(base)
        pairs.extend((c, g, base) for c, g in row)
    m = metrics(pairs)
    out: list[Choices] = []
    for row, base in zip(measured, bases, strict=True):
        out.extend(_decide_all(c, g, base, m) for c, g in row)
    return out


def _decide_all(chars: str, glyph: Glyph, base: float, m: Metrics) -> Choices:
    """One position the engine read as one or more characters (two boxes on one glyph)."""
    if len(chars) == 1:
        return decide(chars, glyph, base, m)
    total: dict[str, float] = {}
    for c in chars:
        for alt, p in decide(c, glyph, base, m):
            total[alt] = total.get(alt, 0.0) + p / len(chars)
    return sorted(total.items(), key=lambda cp: -cp[1])
