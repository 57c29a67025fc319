"""Settle the engine's known confusions by the glyphs' own geometry in the image.

Codes are random base64, so no dictionary or context helps, and in the app's sans-serif faces
some characters differ only by size: 'l' reaches the ascender line, 'I' only the capital line;
'c s v w x z o u' and their capitals differ only in height; 'O' is as wide as the other round
capitals, '0' as narrow as the other digits; 'k' starts its arm at the x-height, 'K' at the
top. Each glyph is found around the position the engine read it at and measured, sub-pixel,
against the capital, x-height and ascender heights that the characters not in doubt show in
the same image. What geometry cannot settle keeps the engine's odds plus the known confusions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from statistics import median

import numpy as np
from numpy.typing import NDArray

from parsers.screenshots.ocr import ReadChar

# Characters whose reading the engine gets wrong here, and what each may really be.
CONFUSIONS: dict[str, str] = {
    "I": "l1",
    "l": "I1",
    "1": "lI",
    "L": "l",
    "J": "j",
    "j": "J",
    "O": "0o",
    "0": "Oo",
    "o": "O0",
    "S": "5s",
    "5": "S",
    "B": "8",
    "8": "B",
    **{c: c.upper() for c in "csvwxzuk"},
    **{c: c.lower() for c in "CSVWXZUK"},
}
_CASE_PAIRS = frozenset("csvwxzuCSVWXZU")
# Where the engine, once 90 % sure, beat the geometry (seeds 100-299: letter case 3,600 of
# 3,600; j/J 359 of 363): a glyph merged with a tall neighbour measures as a capital.
_ENGINE_SURE = _CASE_PAIRS | frozenset("kKjJ")
_UPPER_REF = frozenset("ABDEFGHJLMNPQRTY")
_DIGIT_REF = frozenset("23456789")
_LOWER_X_REF = frozenset("aemnr")  # tops at the x-height
_ASC_REF = frozenset("bdfh")  # tops at the ascender line
# Where no ascender was read for sure: the faces' ascenders stand 4-6 % above their capitals.
_ASC_OVER_CAP = 1.05
_BASE_REF = frozenset("ABDEFGHIKLMNOPRSTUVWXZacemnorsuvwxz0123456789")  # sit on the baseline
_WIDE_REF = frozenset("DGHNQU")  # about as wide as 'O'
# The weakest ink between a glyph's top and its middle (0-1): 'j' shows a gap under its dot
# (measured 0-0.2 on the generated screens), 'J' none (0.3-1).
_GAP_J = 0.25
_GAP_CAP = 0.45
# A '1''s flag reaches 1-2.3 stem widths left of its stem on the generated faces; 'I' and 'l'
# show at most 0.3 (anti-aliasing).
_FLAG_ONE = 0.6
# '/' leans: ink right of its middle at the top and left of it at the bottom (both sides'
# measures negative); a stem's are within +-0.3 of zero.
_SLANT = 0.4
# Sub-pixel ink widths over the median digit's (2-9): '0' measured 0.98-1.08 (5-95 %), 'O'
# 1.30-1.46 on the generated proportional faces (Roboto's and SF's 'O' are ~1.25 their digits).
_O_OVER_DIGIT = 1.18
_OVERHANG = 0.3
_MERGED = 1.55  # 'O' measured at most 1.46 digit widths
_FLOOR = 0.02  # the least either witness grants a character it did not name
ENGINE_WEIGHT = 0.6
_IL_LEAN = 0.5
# A bare stem measures 0.23-0.35 digit widths: a wider 'I'/'l' took in a neighbour's ink, and
# its top is that neighbour's.
_STEM_MAX = 0.45
_J_DESCENT = 0.15
_SERIF = 0.25  # serifs reach this many stem widths out each side (Noto's 'I': 0.3-1.3, 'l': 0)

Choices = list[tuple[str, float]]  # (character, probability), most likely first


@dataclass(frozen=True, slots=True)
class Glyph:
    left: int
    right: int
    top: float
    bottom: float
    arm_top: float  # the top of the right third's ink ('k' vs 'K')
    gap: float = 1.0  # weakest ink across the upper half, 0-1 (a dot over a stem: 'j' vs 'J')
    core: float = 0.0  # ink at the centre, 0-1 (a dotted or slashed zero vs 'O')
    flag: float = 0.0  # ink left of the stem at the top, minus right of it, in stem widths ('1')
    tail: float = 0.0  # ink right of the stem at the bottom, minus left of it ('l' in mono faces)
    span: float = 0.0  # the ink's width, sub-pixel (integer column counts are too coarse for O/0)
    serifs: float = 0.0  # the least of a stem's spread both sides at both ends ('I' in Noto)

    @property
    def width(self) -> int:
        return self.right - self.left


@dataclass(frozen=True, slots=True)
class Metrics:
    cap: float | None
    xh: float | None
    asc: float | None
    digit_w: float | None
    wide_w: float | None
    dotted_zero: bool = False  # this face's zero has ink in its middle (a dot or a slash)


def _edge(profile: NDArray[np.float64], rising: bool) -> float:
    """Sub-pixel position where `profile` first (or last) reaches half ink."""
    idx = np.flatnonzero(profile >= 128)
    if idx.size == 0:
        return float("nan")
    i = int(idx[0] if rising else idx[-1])
    j = i - 1 if rising else i + 1
    if 0 <= j < profile.size and profile[i] > profile[j]:
        frac = (profile[i] - 128) / (profile[i] - profile[j])
        return float(i - frac if rising else i + frac)
    return float(i)


def measure(
    img: NDArray[np.uint8], lo: float, hi: float, centre: float, narrow: float = 0.0
) -> Glyph | None:
    """The glyph around `centre` between its neighbours' midpoints: its run of ink columns,
    and the sub-pixel top and bottom of that ink. With `narrow`, the nearest run at most that
    wide (a stem: 'I', 'l'), since the engine's position may be off by half a glyph."""
    w = img.shape[1]
    left, right = max(0, math.floor(lo)), min(w, math.ceil(hi))
    if right - left < 2:
        return None
    # A wide glyph ('O', 'W') between narrow ones overhangs the midpoints: its run of ink may
    # go on past the window, up to a third of the window's width.
    ext = round(_OVERHANG * (right - left))
    x0, x1 = max(0, left - ext), min(w, right + ext)
    wide_ink = 255.0 - img[:, x0:x1].astype(np.float64)
    wide_lit = wide_ink.max(axis=0) >= 128
    ink = wide_ink[:, left - x0 : right - x0]
    lit = wide_lit[left - x0 : right - x0]
    idx = np.flatnonzero(lit)
    if idx.size == 0:
        return None
    c = int(idx[np.argmin(np.abs(idx - (centre - left)))])
    if narrow > 0:
        runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)

        # A stem is preferred, but a serifed 'I' is a wider run right at the centre; a run cut
        # by the window's edge is most likely a neighbour's side.
        def cost(r: NDArray[np.intp]) -> float:
            at = centre - left
            # How far the engine's position is outside the run (0 inside it), then its centre.
            d = max(0.0, r[0] - at, at - r[-1]) + 0.25 * abs((r[0] + r[-1]) / 2 - at)
            cut = r[0] == 0 or r[-1] == lit.size - 1
            return float(d) * (1 if r.size <= narrow else 2) * (3 if cut else 1)

        c = int(min(runs, key=cost)[0])
    a = c
    while a > 0 and lit[a - 1]:
        a -= 1
    b = c + 1
    while b < lit.size and lit[b]:
        b += 1
    run = ink[:, a:b]
    # The run's edge columns may hold a neighbour's anti-aliasing: the height is read inside.
    rows = (run[:, 1:-1] if b - a > 4 else run).max(axis=1)
    width = b - a
    right_part = run[:, 2 * width // 3 :]
    third = right_part.max(axis=1) if right_part.size and width >= 3 else rows
    top, bottom, arm = _edge(rows, True), _edge(rows, False) + 1, _edge(third, True)
    if math.isnan(top) or math.isnan(bottom) or math.isnan(arm):
        return None
    gap, core = _gap(run, top, bottom), _core(run, top, bottom)
    flag, tail, serifs = _stem_sides(run, top, bottom)
    # The width on the run as it goes on past the window, one column beyond it each side for
    # the sub-pixel edges. (Not the height: past the window a touching neighbour may join.)
    wa, wb = a + left - x0, b + left - x0
    while wa > 0 and wide_lit[wa - 1]:
        wa -= 1
    while wb < wide_lit.size and wide_lit[wb]:
        wb += 1
    cols = wide_ink[:, max(0, wa - 1) : min(wide_lit.size, wb + 1)].max(axis=0)
    span = _edge(cols, False) + 1 - _edge(cols, True)
    return Glyph(left + a, left + b, top, bottom, arm, gap, core, flag, tail, span, serifs)


def _stem_sides(run: NDArray[np.float64], top: float, bottom: float) -> tuple[float, float, float]:
    """How a stem glyph leans at its ends, in stem widths: '1' has a flag out to the left at
    its top and nothing to the right; 'I' is bare or serifed on both sides, 'l' is bare or (in a
    monospaced face) has its tail to the right at the bottom. True of the usual phone faces too."""
    h = bottom - top
    if h < 6:
        return 0.0, 0.0, 0.0
    t0 = max(0, math.floor(top))
    inked = run >= 128
    mid = inked[math.floor(top + 0.4 * h) : math.ceil(top + 0.75 * h)]
    rows = [np.flatnonzero(r) for r in mid if r.any()]
    if not rows:
        return 0.0, 0.0, 0.0
    left = float(median(float(r[0]) for r in rows))
    right = float(median(float(r[-1]) for r in rows))
    stem = max(1.0, right - left + 1)

    def sides(band: NDArray[np.bool_]) -> tuple[float, float]:
        cols = np.flatnonzero(band.any(axis=0)) if band.size else np.array([], dtype=np.intp)
        if cols.size == 0:
            return 0.0, 0.0
        return max(0.0, left - cols[0]) / stem, max(0.0, cols[-1] - right) / stem

    top_l, top_r = sides(inked[t0 : t0 + max(1, round(0.3 * h))])
    b1 = math.ceil(bottom)
    bot_l, bot_r = sides(inked[max(t0, b1 - max(1, round(0.2 * h))) : b1])
    least = min(top_l, top_r, bot_l, bot_r)
    # A pixel of anti-aliasing round a thin stem is no serif: a serif reaches out 6 % of the
    # height at least (Noto's 'I': ~12 %).
    serifs = least if least * stem >= 0.06 * h else 0.0
    return top_l - top_r, bot_r - bot_l, serifs


def _gap(run: NDArray[np.float64], top: float, bottom: float) -> float:
    """The weakest row of ink between the glyph's top and half its height, over the columns
    inked near the top: a dot sits apart from its stem ('j'), a capital's top joins it ('J')."""
    h = bottom - top
    t0 = max(0, math.floor(top))
    head = run[t0 : t0 + max(1, round(0.2 * h))]
    cols = head.max(axis=0) >= 128 if head.size else np.zeros(run.shape[1], bool)
    if not cols.any():
        return 1.0
    prof = run[:, cols].max(axis=1)
    band = prof[t0 + 1 : max(t0 + 2, math.ceil(top + 0.6 * h))]
    return float(band.min()) / 255.0 if band.size else 1.0


def _core(run: NDArray[np.float64], top: float, bottom: float) -> float:
    """The strongest ink in the middle fifth of the glyph, both ways (empty inside 'O' and a
    plain '0'; inked in a dotted or slashed zero)."""
    h, w = bottom - top, run.shape[1]
    r0, r1 = math.floor(top + 0.4 * h), math.ceil(top + 0.6 * h)
    c0, c1 = math.floor(0.4 * w), math.ceil(0.6 * w)
    centre = run[max(0, r0) : r1, c0:c1]
    return float(centre.max()) / 255.0 if centre.size else 0.0


def metrics(pairs: list[tuple[str, Glyph, float]]) -> Metrics:
    """Heights above the baseline for capitals, x-height and ascenders, from unambiguous glyphs."""

    def med(values: list[float]) -> float | None:
        return median(values) if values else None

    def heights(chars: frozenset[str]) -> list[float]:
        return [base - g.top for c, g, base in pairs if c in chars]

    cap = med(heights(_UPPER_REF | _DIGIT_REF))
    asc = med(heights(_ASC_REF))
    if asc is None and cap is not None:
        asc = cap * _ASC_OVER_CAP
    return Metrics(
        cap=cap,
        xh=med(heights(_LOWER_X_REF)),
        asc=asc,
        digit_w=med([g.span for c, g, _ in pairs if c in _DIGIT_REF]),
        wide_w=med([g.span for c, g, _ in pairs if c in _WIDE_REF]),
    )


def _pick(
    value: float, a: float | None, b: float | None, ca: str, cb: str, rel: float = 0.0
) -> Choices | None:
    """Between two references, the nearer one with a probability from the margin; None when
    the references are too close to tell apart (0.5 px, or `rel` of the larger)."""
    if a is None or b is None or abs(b - a) < max(0.5, rel * max(a, b)):
        return None
    t = (value - a) / (b - a)  # 0 at a, 1 at b
    p_b = min(0.97, max(0.03, t))
    if p_b >= 0.5:
        return [(cb, p_b), (ca, 1 - p_b)]
    return [(ca, 1 - p_b), (cb, p_b)]


def prior(char: str) -> Choices:
    """What the engine's reading alone is worth, with no geometry."""
    alts = CONFUSIONS.get(char, "")
    if not alts:
        return [(char, 1.0)]
    if char in "Il":
        return [(char, 0.5), (alts[0], 0.42), (alts[1], 0.04), ("/", 0.02), ("J", 0.02)]
    if char in "S5B8LJj":  # rare: the engine tells these apart well
        return [(char, 0.95)] + [(a, 0.05 / len(alts)) for a in alts]
    return [(char, 0.7)] + [(a, 0.3 / len(alts)) for a in alts]


def _monospaced(m: Metrics) -> bool:
    """Digits as wide as the wide capitals: a monospaced face."""
    return m.digit_w is not None and m.wide_w is not None and m.wide_w < 1.08 * m.digit_w


def _zero_or_o(span: float, m: Metrics) -> Choices | None:
    """'0' is as wide as the other digits, 'O' wider (by 15-40 % in the generated faces and the
    usual phone faces); None in a monospaced face, where both are as wide as everything."""
    if m.digit_w is None or _monospaced(m):
        return None
    ratio = span / m.digit_w
    p_o = 1 / (1 + math.exp(-(ratio - _O_OVER_DIGIT) / 0.03))
    p_o = min(0.97, max(0.03, p_o))
    return [("O", p_o), ("0", 1 - p_o)] if p_o >= 0.5 else [("0", 1 - p_o), ("O", p_o)]


def decide(char: str, glyph: Glyph, base: float, m: Metrics) -> Choices | None:
    """The choices for one character read as `char` after measuring its glyph; None when the
    geometry says nothing about it."""
    h = base - glyph.top
    if m.cap is not None and not 0.5 * m.cap < h < 1.3 * m.cap:
        return None  # not this character's glyph: the engine's position was off
    if char in "Il1":
        if m.cap is not None and h < 0.9 * m.cap:
            return None
        # A stem that goes on below the baseline, hooked: the 'J' of faces whose 'J' descends
        # (DejaVu, Noto: 23-30 % of the height below); 'I', 'l' and '1' stand on the line.
        desc = (glyph.bottom - base) / h
        narrow = m.digit_w is None or glyph.span <= 0.8 * m.digit_w
        if desc >= _J_DESCENT and narrow and glyph.gap > _GAP_J:
            return [("J", 0.75), (char, 0.2), ("j", 0.05)]
        # '1' is the stem with a flag out to the left at the top (a monospaced 'l' has one too,
        # and its tail to the right at the bottom); 'I' and 'l' then differ only by height.
        # The glyph measured is all of it, and no more (not merged with a descender).
        whole = abs(glyph.bottom - base) <= 0.1 * h and glyph.bottom - glyph.top >= 0.85 * h
        if whole and glyph.flag <= -_SLANT and glyph.tail <= -_SLANT:  # top right, bottom left
            return [("/", 0.95), (char, 0.05)]
        if whole and glyph.flag >= _FLAG_ONE and glyph.tail < 1.0:
            return [
                ("1", 0.94),
                ("l" if char == "l" else "I", 0.03),
                ("l" if char != "l" else "I", 0.03),
            ]
        if whole and glyph.serifs >= _SERIF:  # serifs both sides at both ends: only 'I'
            return [("I", 0.9), ("l", 0.06), ("1", 0.04)]
        bare = m.digit_w is None or glyph.span <= _STEM_MAX * m.digit_w or _monospaced(m)
        case = _pick(h, m.cap, m.asc, "I", "l") if bare else None
        if case is None:
            return None if char in "Il" else [("l", 0.48), ("I", 0.48), ("1", 0.04)]
        return [(c, 0.96 * p) for c, p in case] + [("1", 0.04)]
    if char in "Oo0":
        if m.digit_w is not None and glyph.span > _MERGED * m.digit_w:
            return None  # wider than any 'O': merged with a neighbour, its ink says nothing
        case = _pick(h, m.xh, m.cap, "o", "O")
        if case is not None and case[0][0] == "o":
            return case
        monospaced = _monospaced(m)
        # Monospaced faces mostly mark their zero (DejaVu Sans Mono, Menlo, SF Mono, Roboto
        # Mono): an empty tall round glyph is more likely 'O' there, even before a marked
        # zero shows in the code.
        if (
            m.dotted_zero or glyph.core >= 0.5 or monospaced
        ):  # a marked zero; in such a face 'O' is empty
            if glyph.core >= 0.5:
                zero = [("0", 0.95), ("O", 0.05)]
            else:
                zero = [("O", 0.9), ("0", 0.1)] if m.dotted_zero else [("O", 0.8), ("0", 0.2)]
            if case is not None:
                return [(c, p * case[0][1]) for c, p in zero] + [("o", case[1][1])]
            return zero
        # In a monospaced face digits are as wide as capitals: width says nothing there.
        width = _zero_or_o(glyph.span, m)
        if width is None:
            return None
        if case is not None:  # tall: 'O' or '0'; a little room stays for 'o'
            return [(c, p * case[0][1]) for c, p in width] + [("o", case[1][1])]
        return width
    if char in "Jj":  # 'j' has a dot apart from its stem; 'J' is one stroke
        if glyph.gap <= _GAP_J:
            return [("j", 0.92), ("J", 0.08)]
        # No gap proves 'J' only on one whole narrow glyph: a run merged with a neighbour, or
        # the dot alone, hides the gap (held-out seeds turned 16 'j' into 'J' without this).
        whole = m.cap is not None and glyph.width <= 0.6 * m.cap and h >= 0.9 * m.cap
        if glyph.gap >= _GAP_CAP and whole and glyph.bottom - glyph.top >= 0.9 * h:
            return [("J", 0.85), ("j", 0.15)]
        return None
    if char == "L":  # in a monospaced face 'l' has a foot too: it shows by its height
        return _pick(h, m.cap, m.asc, "L", "l")
    if char in "kK":  # both reach the top: the case shows where the arm starts
        return _pick(base - glyph.arm_top, m.xh, m.cap, "k", "K")
    if char in _CASE_PAIRS:
        return _pick(h, m.xh, m.cap, char.lower(), char.upper())
    return None


def _combine(ch: ReadChar, glyph: Glyph | None, base: float, m: Metrics) -> Choices:
    """The glyph's geometry where it decides, else the engine's odds plus the known confusions."""
    geo = decide(ch.char, glyph, base, m) if glyph is not None else None
    if ch.char in _ENGINE_SURE and ch.choices[0][1] >= 0.9:
        # Measured right every time it was this sure, where the geometry was not.
        doubt = 0.04 if ch.char in "jJ" else 0.01  # j/J: 4 wrong in 363
        return [(ch.char, 1 - doubt), (CONFUSIONS[ch.char][0], doubt)]
    mix: dict[str, float] = {}
    for c, p in ch.choices:
        mix[c] = mix.get(c, 0.0) + 0.6 * p
    if ("I" in mix and "l" in mix) or ch.char in "Il":
        # Between 'I' and 'l' the engine is little better than a coin (right 55-65 % of the
        # time on the generated faces, and it favours 'I'): only a trace of its lean is kept.
        i, l_ = mix.get("I", 0.0), mix.get("l", 0.0)
        mix["I"] = (i + l_) / 2 + _IL_LEAN * (i - l_) / 2
        mix["l"] = (i + l_) / 2 - _IL_LEAN * (i - l_) / 2
    for c, p in prior(ch.char):
        mix[c] = mix.get(c, 0.0) + 0.4 * p
    if geo is not None:
        # Two witnesses: the product of their odds. Where they disagree the surer one wins;
        # the engine is overconfident (a '0' read at 0.99 was an 'O' one time in eight), so
        # its odds count at a power below one.
        said = dict(geo)
        mix = {
            c: max(said.get(c, 0.0), _FLOOR) * max(mix.get(c, 0.0), _FLOOR) ** ENGINE_WEIGHT
            for c in set(said) | set(mix)
        }
    total = sum(mix.values()) or 1.0
    return sorted(
        ((c, p / total) for c, p in mix.items() if p / total >= 0.01), key=lambda cp: -cp[1]
    )


def settle(img: NDArray[np.uint8], lines: list[tuple[int, int, list[ReadChar]]]) -> list[Choices]:
    """Choices for every character read; `lines` are (top, bottom, characters) in `img`, the
    characters' x centres in `img`'s columns."""
    measured: list[list[tuple[ReadChar, Glyph | None]]] = []
    bases: list[float] = []
    pairs: list[tuple[str, Glyph, float]] = []
    for top, bottom, chars in lines:
        off = max(0, top - 3)
        band = img[off : bottom + 3]
        xs = [c.x for c in chars]
        pitch = (xs[-1] - xs[0]) / (len(xs) - 1) if len(xs) > 1 else float(bottom - top)
        row: list[tuple[ReadChar, Glyph | None]] = []
        for i, ch in enumerate(chars):
            lo = (xs[i - 1] + xs[i]) / 2 if i > 0 else xs[i] - pitch / 2
            hi = (xs[i] + xs[i + 1]) / 2 if i + 1 < len(xs) else xs[i] + pitch / 2
            g = measure(band, lo, hi, ch.x, 0.5 * pitch if ch.char in "Il1" else 0.0)
            if g is not None:
                g = replace(g, top=g.top + off, bottom=g.bottom + off, arm_top=g.arm_top + off)
            row.append((ch, g))
        on_base = [g.bottom for c, g in row if g is not None and c.char in _BASE_REF]
        base = median(on_base) if on_base else float(bottom)
        measured.append(row)
        bases.append(base)
        pairs.extend((c.char, g, base) for c, g in row if g is not None and c.choices[0][1] > 0.8)
    m = metrics(pairs)
    # A dotted or slashed zero: some tall round glyphs have ink in their middle.
    tall = [
        g
        for row, base in zip(measured, bases, strict=True)
        for c, g in row
        if g is not None and c.char in "O0" and (m.cap is None or base - g.top > 0.85 * m.cap)
    ]
    cored = sum(1 for g in tall if g.core >= 0.5)
    m = replace(m, dotted_zero=cored >= 1 and cored >= 0.2 * len(tall))
    return [
        _combine(ch, g, base, m) for row, base in zip(measured, bases, strict=True) for ch, g in row
    ]
