"""The OCR engine: Tesseract (Debian's tesseract-ocr) through pytesseract.

Chosen by measurement on generated screenshots (benchmarks/bench_ocr.py): on the same crops
RapidOCR's ONNX models read a few more characters right but took as long or longer per image and
pull in onnxruntime; their misreads were the same I/l and O/0 confusions that the glyph check
(`glyphs.py`) and the candidates settle anyway. Tesseract's models ship in the Debian package:
nothing is downloaded at run time. The dictionaries are off (a code is no word) and the
characters are limited to a code's.
"""

from __future__ import annotations

import shutil

import pytesseract
from PIL import Image

CODE_CHARS = "#ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_CODE_CONFIG = (
    f"--psm 6 -c tessedit_char_whitelist={CODE_CHARS} "
    "-c load_system_dawg=0 -c load_freq_dawg=0"
)
_TEXT_CONFIG = "--psm 6"
TIMEOUT_S = 20


class EngineMissing(RuntimeError):
    """Tesseract is not installed (the sentence says how to install it)."""


def available() -> bool:
    return shutil.which(pytesseract.pytesseract.tesseract_cmd) is not None


def _run(img: Image.Image, config: str) -> str:
    if not available():
        raise EngineMissing("tesseract is not installed: apt-get install tesseract-ocr")
    try:
        return str(pytesseract.image_to_string(img, lang="eng", config=config, timeout=TIMEOUT_S))
    except RuntimeError:  # pytesseract's timeout
        return ""


def read_code_boxes(img: Image.Image) -> list[tuple[str, int, int, int, int]]:
    """The code box's characters in reading order, each with its box (left, top, right, bottom)
    in the image's coordinates (top-left origin), limited to a code's characters."""
    if not available():
        raise EngineMissing("tesseract is not installed: apt-get install tesseract-ocr")
    try:
        raw = str(pytesseract.image_to_boxes(img, lang="eng", config=_CODE_CONFIG, timeout=TIMEOUT_S))
    except RuntimeError:  # pytesseract's timeout
        return []
    out = []
    for line in raw.splitlines():
        parts = line.split(" ")
        if len(parts) != 6 or len(parts[0]) != 1 or parts[0] not in CODE_CHARS:
            continue
        left, bottom, right, top = (int(v) for v in parts[1:5])
        out.append((parts[0], left, img.height - top, right, img.height - bottom))
    return out


def read_text(img: Image.Image) -> str:
    """Ordinary text (the labels around the box), dictionaries on."""
    return _run(img, _TEXT_CONFIG)
