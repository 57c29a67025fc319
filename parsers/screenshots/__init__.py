"""Read a Spark code off a screenshot of TikTok's "Ad authorization" screen.

Pure: image bytes in, a read (or the reason there is none) out; the only thing run is the OCR
engine. The image is opened within bounds (`load`), the code box found by colour (`locate`),
each of its lines read by PaddleOCR's PP-OCRv4 recognizer run by onnxruntime (`ocr`), the
engine's known confusions (I/l/1, O/0, letter case, j/J, '/') weighed against the glyphs' own
geometry (`glyphs`), and what stays doubtful is kept as ranked candidates (`candidates`) for
TikTok to check later. The period is read off the same screen when it shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from parsers.codes import CODE_MAX, CODE_MIN
from parsers.durations import find_periods
from parsers.screenshots import candidates as _candidates
from parsers.screenshots import glyphs, locate, ocr
from parsers.screenshots.load import NotAnImage, load_gray

__all__ = ["NotAnImage", "ScreenshotRead", "Unreadable", "read_screenshot"]

_SHAPE = re.compile(rf"#[A-Za-z0-9+/]{{{CODE_MIN - 2},{CODE_MAX}}}={{0,2}}")
_NOT_CODE = re.compile(r"[^A-Za-z0-9+/=#]")
_TARGET_LINE_PX = 36
# Read as these, a character stays doubtful however sure the read: 'I' and 'l' can differ by
# a pixel of height, and a 96 %-sure 'j'/'J' was wrong 4 times in 363.
_HAIRLINE = frozenset("Il1jJ")
_GLUED_NUMBER = re.compile(r"(?<=[:：])(?=\d)|(?<=\d)(?=[^\W\d_])")


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


def _read_period(gray: np.ndarray, box: locate.Box) -> int | None:
    """The period line sits a few text lines above the box: read those lines as plain text."""
    top = max(0, box.top - 4 * max(box.height, 1))
    band = gray[top : box.top, :].astype(np.int32)
    if band.size == 0:
        return None
    dist = np.abs(band - box.page)
    ink = (255 - np.clip(dist * 2, 0, 255)).astype(np.uint8)
    rows = locate.text_rows(ink)[-5:]
    text = []
    for a, b in rows:
        cols = np.flatnonzero((ink[a:b] < 128).any(axis=0))
        if cols.size == 0 or b - a < 4:
            continue
        pad = max(2, (b - a) // 4)
        line = np.full((b - a + 2 * pad, cols[-1] - cols[0] + 1 + 2 * pad), 255, np.uint8)
        line[pad : pad + b - a, pad : pad + cols[-1] - cols[0] + 1] = ink[
            a:b, cols[0] : cols[-1] + 1
        ]
        text.append(ocr.read_text(line))
    # OCR drops the spaces around small gaps ("period:7 days", "30giorni"): put them back.
    joined = _GLUED_NUMBER.sub(" ", "\n".join(text))
    found = find_periods(joined)
    in_context = [p for p in found if p.in_context]
    chosen = in_context or found
    return chosen[-1].days if chosen else None


def _read_band(big: np.ndarray, a: int, b: int) -> list[ocr.ReadChar]:
    """The characters of rows a..b of the code box, positions in `big`'s columns."""
    cols = np.flatnonzero((big[a:b] < 128).any(axis=0))
    if cols.size == 0:
        return []
    # Cropped to the ink: the recognizer reads a short last line badly in a wide image.
    x0, x1 = int(cols[0]), int(cols[-1]) + 1
    pad = max(2, (b - a) // 4)
    line = np.full((b - a + 2 * pad, x1 - x0 + 2 * pad), 255, np.uint8)
    line[pad : pad + b - a, pad : pad + x1 - x0] = big[a:b, x0:x1]
    return [ocr.ReadChar(c.char, c.x - pad + x0, c.choices) for c in ocr.read_line(line)]


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
        big = locate.upscale(ink, factor)
        rows = locate.text_rows(big)
        lines = []
        for a, b in rows:
            if b - a < _TARGET_LINE_PX / 3:
                continue
            chars = _read_band(big, a, b)
            if chars:
                lines.append((a, b, chars))
        # A code whose last line is only its '=' or '==': a band too low to count as a line
        # (maybe split in two by the gap between the bars). Read as a line of its own height.
        below = [(a, b) for a, b in rows if lines and a >= lines[-1][1]]
        if below:
            height = int(np.median([b - a for a, b, _ in lines]))
            mid = (below[0][0] + below[-1][1]) // 2
            a, b = max(0, mid - height // 2), min(big.shape[0], mid + height - height // 2)
            tail = [c for c in _read_band(big, a, b) if c.char == "="]
            if tail:
                lines.append((a, b, tail))
        if not lines:
            continue
        positions = glyphs.settle(big, lines)
        if positions and positions[0][0][0] != "#":
            positions.insert(0, [("#", 1.0)])
        # '#' is the first character only; '=' only at the end.
        best = "".join(c[0][0] for c in positions)
        if not _SHAPE.fullmatch(best):
            continue
        # A hairline read stays doubtful even when the odds lean hard (a held-out 'l' was
        # measured 97 % 'I'): on seeds 100-299, 48 of 49 misread characters are listed.
        unsure = tuple(
            (i, "".join(alt for alt, p in c[1:] if p >= (0.01 if c[0][0] in _HAIRLINE else 0.05)))
            for i, c in enumerate(positions)
            if len(c) > 1 and (c[0][1] < 0.9 or c[0][0] in _HAIRLINE)
        )
        return ScreenshotRead(
            code=best,
            unsure=tuple((i, a) for i, a in unsure if a),
            period_days=_read_period(gray, box),
            positions=tuple(tuple(c) for c in positions),
        )
    return Unreadable("no code could be read in the image's grey boxes")
