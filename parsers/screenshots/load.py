"""Open an image from an email safely: bounded time and memory whatever the bytes claim.

Pillow reads the header first (`Image.open` is lazy), so the size is known before any pixel is
decoded: a decompression bomb is refused there, and a 50-megapixel photo is decoded at a
reduced scale (JPEG's `draft` decodes at 1/2, 1/4 or 1/8 for almost nothing) and shrunk to a
phone screen's size. Animated images give their first frame: a screenshot is one frame.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from numpy.typing import NDArray
from PIL import Image

# Pillow's own limit is ~89 MP with a warning only; no phone screen is anywhere near 40 MP.
MAX_PIXELS = 40_000_000
# A phone screenshot is at most ~1440 x 3200; a longer side is scaled to this before reading.
MAX_SIDE = 3200
MAX_BYTES = 25_000_000
FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF")


class NotAnImage(ValueError):
    """Bytes that are not an image this reader opens (the message says why)."""


def load_gray(data: bytes) -> NDArray[np.uint8]:
    """The image as an 8-bit grey array, at most MAX_SIDE px on its longer side."""
    if len(data) > MAX_BYTES:
        raise NotAnImage(f"image of {len(data)} bytes is over {MAX_BYTES}")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            img = Image.open(io.BytesIO(data), formats=FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            # Pillow's bomb guard: the header claims more pixels than any screen has.
            raise NotAnImage("image too large to be a screenshot (its header claims so)") from exc
        except (OSError, ValueError, SyntaxError, Warning) as exc:
            raise NotAnImage(f"not an image that can be opened ({type(exc).__name__})") from exc
        width, height = img.size
        if width < 32 or height < 32:
            raise NotAnImage(f"image of {width}x{height} px is too small to hold a code")
        if width * height > 4 * MAX_PIXELS:
            raise NotAnImage(f"image of {width}x{height} px is too large to be a screenshot")
        try:
            if img.format == "JPEG" and max(width, height) > MAX_SIDE:
                img.draft(
                    "L",
                    (
                        width * MAX_SIDE // max(width, height),
                        height * MAX_SIDE // max(width, height),
                    ),
                )
            if getattr(img, "n_frames", 1) > 1:
                img.seek(0)
            if img.width * img.height > MAX_PIXELS:
                raise NotAnImage(f"image of {width}x{height} px is too large to be a screenshot")
            img.load()
            if img.mode in ("RGBA", "LA", "PA") or (img.mode == "P" and "transparency" in img.info):
                # Transparent pixels count as white, as a mail client shows them.
                rgba = img.convert("RGBA")
                base = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
                gray = Image.alpha_composite(base, rgba).convert("L")
            else:
                gray = img.convert("L")
        except NotAnImage:
            raise
        except (
            OSError,
            ValueError,
            SyntaxError,
            EOFError,
            Image.DecompressionBombError,
            Warning,
        ) as exc:
            raise NotAnImage(f"image data is damaged ({type(exc).__name__})") from exc
    if max(gray.size) > MAX_SIDE:
        gray.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    return np.asarray(gray, dtype=np.uint8)
