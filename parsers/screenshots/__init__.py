"""Read a Spark code off a screenshot of TikTok's "Ad authorization" screen.

Pure: image bytes in, a read (or the reason there is none) out; the only thing run is the OCR
engine. The code box is found by colour (`locate`), read by Tesseract (`ocr`), its doubtful
characters settled by their glyphs' geometry (`glyphs`), and what stays doubtful is kept as
ranked candidates (`candidates`) for TikTok to check later. The period is read off the same
screen when it shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from parsers.codes import CODE_MAX, CODE_MIN
from parsers.durations import find_periods
from parsers.screenshots import candidates as _candidates
from parsers.screenshots import glyphs, locate, ocr
from parsers.screenshots.load import NotAnImage, load_gray

__all__ = ["NotAnImage", "ScreenshotRead", "Unreadable", "read_screenshot"]

_SHAPE = re.compile(r"#[A-Za-z0-9+/]{%d,%d}={0,2}" % (CODE_MIN - 2, CODE_MAX))
_NOT_CODE = re.compile(r"[^A-Za-z0-9+/=#]")
_TARGET_LINE_PX = 36


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Why an image gave no code, in one sentence (for the review item's detail)."""

    reason: str


@dataclass(frozen=True)
class ScreenshotRead:
    """The best read of the code box, what it is unsure of, and the period shown."""

    code: str
    unsure: tuple[tuple[int, str], ...]  # (index in `code`, the alternatives for that character)
    period_days: int | None
    positions: tuple[tuple[tuple[str, float], ...], ...] = field(repr=False)

    def candidates(self, limit: int = 32) -> list[str]:
        """Up to `limit` codes this read may be, most likely first (the first is `code`)."""
        out = []
        for text, _p in _candidates.ranked(self.positions, limit * 2):
            if _SHAPE.fullmatch(text) and text not in out:
                out.append(text)
            if len(out) == limit:
                break
        return out

    def describe_unsure(self) -> str:
        """'l@12 (I/1), O@40 (0)': for a person checking the read against the image."""
        return ", ".join(f"{self.code[i]}@{i} ({'/'.join(alts)})" for i, alts in self.unsure)


Char = tuple[str, int, int, int, int]


def _by_line(chars: list[Char], rows: list[tuple[int, int]]) -> list[list[Char]]:
    """The engine's characters grouped by the text line their centre falls in, left to right."""
    if not rows:
        return []
    lines: list[list[Char]] = [[] for _ in rows]
    for ch in chars:
        centre = (ch[2] + ch[4]) / 2
        nearest = min(range(len(rows)), key=lambda i: abs((rows[i][0] + rows[i][1]) / 2 - centre))
        lines[nearest].append(ch)
    return [_merge_overlaps(sorted(line, key=lambda c: c[1])) for line in lines if line]


def _merge_overlaps(line: list[Char]) -> list[Char]:
    """The engine sometimes reads one glyph twice ('yY', '1I'): two boxes mostly on top of each
    other are one position with both readings as its choices."""
    out: list[Char] = []
    for ch in line:
        if out:
            prev = out[-1]
            overlap = min(prev[3], ch[3]) - max(prev[1], ch[1])
            narrower = max(1, min(prev[3] - prev[1], ch[3] - ch[1]))
            if overlap >= 0.85 * narrower:
                chars = prev[0] + "".join(c for c in ch[0] if c not in prev[0])
                out[-1] = (chars, min(prev[1], ch[1]), min(prev[2], ch[2]), max(prev[3], ch[3]), max(prev[4], ch[4]))
                continue
        out.append(ch)
    return out


def _read_period(gray: np.ndarray, box: locate.Box, factor: float) -> int | None:
    """The period line sits a few rows above the box: read that band as plain text."""
    top = max(0, box.top - 4 * max(box.height, 1))
    band = gray[top : box.top, :]
    if band.size == 0:
        return None
    img = Image.fromarray(band)
    if box.level < box.page:  # light mode: dark text already
        pass
    else:
        img = Image.fromarray((255 - band).astype(np.uint8))
    if factor > 1.05:
        img = img.resize((round(img.width * factor), round(img.height * factor)), Image.Resampling.LANCZOS)
    found = find_periods(ocr.read_text(img))
    in_context = [p for p in found if p.in_context]
    chosen = (in_context or found)[-1:] if found else []
    return chosen[0].days if chosen else None


def read_screenshot(data: bytes, *, content_type: str | None = None) -> ScreenshotRead | Unreadable:
    """Read the code shown on a screenshot, or say in one sentence why there is none."""
    del content_type  # Pillow tells the format from the bytes; a wrong header changes nothing
    try:
        gray = load_gray(data)
    except NotAnImage as exc:
        return Unreadable(str(exc))
    boxes = locate.find_boxes(gray)
    if not boxes:
        return Unreadable("no code box found: the image does not look like the TikTok code screen")
    for box in boxes[:2]:
        ink = locate.ink(gray, box)
        rows = locate.text_rows(ink)
        if not 1 <= len(rows) <= 6:
            continue
        line_h = float(np.median([b - a for a, b in rows]))
        factor = min(6.0, max(1.0, _TARGET_LINE_PX / max(1.0, line_h)))
        prepared = locate.prepare(ink, _TARGET_LINE_PX)
        arr = np.asarray(prepared, dtype=np.uint8)
        lines = _by_line(ocr.read_code_boxes(prepared), locate.text_rows(arr))
        if not lines:
            continue
        positions = glyphs.settle(arr, lines)
        if positions and positions[0][0][0] != "#":
            positions.insert(0, [("#", 1.0)])
        # '#' is the first character only; '=' only at the end.
        best = "".join(c[0][0] for c in positions)
        if not _SHAPE.fullmatch(best):
            continue
        unsure = tuple(
            (i, "".join(alt for alt, p in c[1:] if p >= 0.05))
            for i, c in enumerate(positions)
            if len(c) > 1 and c[0][1] < 0.9
        )
        return ScreenshotRead(
            code=best,
            unsure=tuple((i, a) for i, a in unsure if a),
            period_days=_read_period(gray, box, factor),
            positions=tuple(tuple(c) for c in positions),
        )
    return Unreadable("no code could be read in the image's grey boxes")
