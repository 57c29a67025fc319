"""Find the grey code box on a TikTok "Ad authorization" screenshot and make it OCR-ready.

OCR on the whole screen reads the status bar, the title and the button as well, and reads the
code badly: small anti-aliased glyphs on a tinted box. The box is the one large flat area whose
colour is a little off the page's (light grey on white, dark grey on black): found by colour,
not by words, so it works in every app language. Its content is then turned into dark ink on
white, whatever the mode, and scaled so the text is tall enough for the engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from PIL import Image

Gray = NDArray[np.uint8]

# How far the box's grey may be from the page's: light mode ~5-25 levels, dark mode ~15-60.
_BOX_MIN_DIFF = 4
_BOX_MAX_DIFF = 80
_TOL = 3  # JPEG noise on a flat area, in grey levels


@dataclass(frozen=True, slots=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int
    level: int  # the box's grey
    page: int  # the page's grey

    @property
    def height(self) -> int:
        return self.bottom - self.top


def _page_level(gray: Gray) -> int:
    """The page colour: the commonest grey along the left and right edges."""
    edges = np.concatenate([gray[:, :2].ravel(), gray[:, -2:].ravel()])
    return int(np.bincount(edges, minlength=256).argmax())


def _bands(rows: NDArray[np.bool_], min_len: int, max_gap: int) -> list[tuple[int, int]]:
    """Runs of True in `rows`, bridging gaps up to `max_gap`, at least `min_len` long."""
    bands: list[tuple[int, int]] = []
    start = -1
    last = -(10**9)
    for i in np.flatnonzero(rows).tolist():
        if start >= 0 and i - last <= max_gap + 1:
            last = i
            continue
        if start >= 0 and last - start + 1 >= min_len:
            bands.append((start, last + 1))
        start = last = i
    if start >= 0 and last - start + 1 >= min_len:
        bands.append((start, last + 1))
    return bands


def _grow(mask: NDArray[np.bool_], top: int, bottom: int, left: int, right: int) -> tuple[int, int]:
    """Extend a box up and down while its side paddings keep the box's colour: a row of
    dense text (small, JPEG-blurred, in dark mode) can leave too little of the colour across
    the row for the row to count, splitting the box at its first line of text."""
    pad = max(2, (right - left) // 100)
    strips = np.concatenate(
        [mask[:, left + pad : left + 2 * pad], mask[:, right - 2 * pad : right - pad]], axis=1
    )
    inside = strips.mean(axis=1) >= 0.8
    while top > 0 and inside[top - 1]:
        top -= 1
    while bottom < mask.shape[0] and inside[bottom]:
        bottom += 1
    return top, bottom


def find_boxes(gray: Gray) -> list[Box]:
    """Wide flat areas of a grey near the page's, largest first (the code box, maybe a button)."""
    h, w = gray.shape
    page = _page_level(gray)
    diff = np.abs(gray.astype(np.int16) - page)
    near = gray[(diff >= _BOX_MIN_DIFF) & (diff <= _BOX_MAX_DIFF)]
    if near.size < 0.01 * h * w:
        return []
    counts = np.bincount(near, minlength=256)
    boxes: list[Box] = []
    tried: set[int] = set()
    for level in np.argsort(counts)[::-1][:6].tolist():
        if counts[level] < 0.01 * h * w or any(abs(level - t) <= _TOL for t in tried):
            continue
        tried.add(level)
        mask = np.abs(gray.astype(np.int16) - level) <= _TOL
        rows = mask.sum(axis=1) >= 0.25 * w
        for top, bottom in _bands(rows, min_len=max(4, h // 200), max_gap=max(2, h // 60)):
            cols = mask[top:bottom].sum(axis=0) >= 0.25 * (bottom - top)
            xs = np.flatnonzero(cols)
            if xs.size == 0 or xs[-1] - xs[0] < 0.5 * w:
                continue
            left, right = int(xs[0]), int(xs[-1]) + 1
            top, bottom = _grow(mask, top, bottom, left, right)
            box = Box(left, top, right, bottom, level, page)
            if not any(b.top <= box.top < b.bottom or box.top <= b.top < box.bottom for b in boxes):
                boxes.append(box)
    boxes.sort(key=lambda b: -(b.height * (b.right - b.left)))
    return boxes


def ink(gray: Gray, box: Box) -> Gray:
    """The box's content as dark ink on white: how far each pixel is from the box's grey."""
    inset = max(1, box.height // 12)
    crop = gray[box.top + 1 : box.bottom - 1, box.left + inset : box.right - inset]
    dist = np.abs(crop.astype(np.int32) - box.level)
    contrast = max(8, int(np.percentile(dist, 99.5)))
    dist = np.clip((dist - _TOL) * 255 // max(1, contrast - _TOL), 0, 255)
    out: Gray = (255 - dist).astype(np.uint8)
    return out


def text_rows(ink_img: Gray) -> list[tuple[int, int]]:
    """The text lines in an ink crop, top to bottom."""
    rows = (ink_img < 128).sum(axis=1) > 0
    return _bands(rows, min_len=2, max_gap=1)


def upscale(ink_img: Gray, factor: float) -> Gray:
    """Enlarge small text so each glyph has pixels enough to be measured."""
    if factor <= 1.05:
        return ink_img
    img = Image.fromarray(ink_img)
    size = (round(img.width * factor), round(img.height * factor))
    return np.asarray(img.resize(size, Image.Resampling.LANCZOS), dtype=np.uint8)
