"""The OCR engine: PaddleOCR's PP-OCRv4 text recognizer, the ONNX model that ships inside the
`rapidocr-onnxruntime` wheel, run by onnxruntime. Nothing is downloaded at run time.

Chosen by measurement (benchmarks/bench_ocr.py) over Tesseract (Debian's tesseract-ocr): on the
same code-box crops Tesseract's LSTM inserted and dropped characters (3 exact in 30 even after
the glyph check), while this recognizer's misreads were nearly all I/l, O/0 and letter case,
which the glyph check settles. It is called directly, not through RapidOCR's pipeline: the box
is already found, so detection is not needed, and the raw CTC scores give what the pipeline
hides: only a code's characters are allowed (a whitelist), each read character's position in
the line (for the glyph check) and its runner-up characters with their probabilities.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from numpy.typing import NDArray
from PIL import Image

CODE_CHARS = "#ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="
_MODEL = "ch_PP-OCRv4_rec_infer.onnx"
_HEIGHT = 48  # the recognizer's input height
_MIN_WIDTH = 320
_MAX_WIDTH = 4096
_lock = threading.Lock()
_SPLIT_BLANK = 0.1  # blank probability inside a run of one label that splits it in two
_NARROW = frozenset("ijlI1")


class EngineMissing(RuntimeError):
    """The OCR model or runtime is not installed (the sentence says what to install)."""


@dataclass(frozen=True, slots=True)
class ReadChar:
    char: str
    x: float  # centre, in the line image's pixels
    choices: tuple[tuple[str, float], ...]  # the engine's probabilities, best first


class _Recognizer:
    def __init__(self) -> None:
        try:
            import onnxruntime as ort
        except ImportError as exc:  # pragma: no cover - a broken install
            raise EngineMissing("onnxruntime is not installed: pip install onnxruntime") from exc
        try:
            model = resources.files("rapidocr_onnxruntime") / "models" / _MODEL
            data = model.read_bytes()
        except (ModuleNotFoundError, FileNotFoundError, OSError) as exc:
            raise EngineMissing(
                "the OCR model is missing: pip install rapidocr-onnxruntime"
            ) from exc
        opts = ort.SessionOptions()
        opts.log_severity_level = 4
        opts.intra_op_num_threads = 1  # one screenshot at a time; leave the cores to the rest
        self.session = ort.InferenceSession(data, opts, providers=["CPUExecutionProvider"])
        meta = self.session.get_modelmeta().custom_metadata_map
        self.labels = ["<blank>", *meta["character"].splitlines(), " "]
        index = {c: i for i, c in enumerate(self.labels)}
        self.code_index = np.array([index[c] for c in CODE_CHARS])
        self.input = self.session.get_inputs()[0].name

    def scores(self, line: NDArray[np.uint8]) -> tuple[NDArray[np.float32], float]:
        """Per time step probabilities, and how many line pixels one time step spans."""
        h, w = line.shape
        width = min(_MAX_WIDTH, max(1, math.ceil(_HEIGHT * w / max(1, h))))
        img = (
            Image.fromarray(line).convert("RGB").resize((width, _HEIGHT), Image.Resampling.BILINEAR)
        )
        arr = (np.asarray(img, dtype=np.float32).transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
        batch = np.zeros((1, 3, _HEIGHT, max(_MIN_WIDTH, width)), dtype=np.float32)
        batch[0, :, :, :width] = arr
        with _lock:
            out = self.session.run(None, {self.input: batch})[0][0]
        step = batch.shape[3] / out.shape[0] * (w / width)
        return out, step


@cache
def _recognizer() -> _Recognizer:
    return _Recognizer()


def available() -> bool:
    try:
        _recognizer()
    except EngineMissing:
        return False
    return True


def read_line(line: NDArray[np.uint8], *, code_only: bool = True) -> list[ReadChar]:
    """One text line (dark ink on white) as characters with positions and alternatives.

    With `code_only`, characters outside '#' + base64 + '=' are not allowed: the model's
    probability of each code character is kept (and the blank) and the best is taken.
    """
    rec = _recognizer()
    probs, step = rec.scores(line)
    if code_only:
        probs = np.concatenate([probs[:, :1], probs[:, rec.code_index]], axis=1)
        labels = ["<blank>", *CODE_CHARS]
    else:
        labels = rec.labels
    best = probs.argmax(axis=1)
    out: list[ReadChar] = []
    t = 0
    n = best.size
    while t < n:
        label = int(best[t])
        if label == 0:
            t += 1
            continue
        start = t
        while t < n and best[t] == label:
            t += 1
        # A doubled character ('jj', 'll') can come out as one run of its label with only a
        # dip towards blank between the two: best-path decoding would merge them into one.
        # A narrow glyph spans one or two time steps: three or more of 'i', 'j', 'l' are two.
        if t - start >= 3:
            k = start + 1 + int(np.argmax(probs[start + 1 : t - 1, 0]))
            if probs[k, 0] >= _SPLIT_BLANK or labels[label] in _NARROW:
                out.append(_char(probs, labels, label, start, k, step))
                out.append(_char(probs, labels, label, k + (probs[k, 0] >= 0.5), t, step))
                continue
        out.append(_char(probs, labels, label, start, t, step))
    return out


def _char(
    probs: NDArray[np.float32], labels: list[str], label: int, start: int, end: int, step: float
) -> ReadChar:
    span = probs[start:end].max(axis=0)
    span[0] = 0.0
    order = np.argsort(span)[::-1][:3]
    total = float(span[order].sum()) or 1.0
    choices = tuple(
        (labels[int(i)], float(span[int(i)]) / total) for i in order if span[int(i)] > 0.01 * total
    )
    return ReadChar(labels[label], (start + end) / 2 * step, choices or ((labels[label], 1.0),))


def read_text(line: NDArray[np.uint8]) -> str:
    """Ordinary text (a label near the box), any character the model knows."""
    return "".join(c.char for c in read_line(line, code_only=False))
