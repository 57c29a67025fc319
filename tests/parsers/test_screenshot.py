"""The screenshot reader: codes read off generated TikTok screens, and every way an image from
an email can fail to be one (each gives a one-sentence reason, never an exception)."""

from __future__ import annotations

import io
import struct
import time
import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw, ImageFont

from parsers.screenshots import ScreenshotRead, Unreadable, ocr, read_screenshot
from parsers.screenshots.candidates import ranked
from parsers.screenshots.glyphs import Glyph, measure, settle
from tests.screenshots.generate import font_path, render

# Seeds the benchmark does not use (it reads 0-99): the accuracy floor here is not tuned on them.
ACCURACY_SEEDS = range(5000, 5020)


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def test_reads_codes_off_generated_screenshots() -> None:
    """Floors just under today's figures on these 20 (14 exact, 19 within the candidates, 20
    periods; the benchmark's held-out 100: about 7 in 10 exact, 9 in 10 within): a reader that
    breaks drops below them."""
    exact = within = period = 0
    for seed in ACCURACY_SEEDS:
        shot = render(seed)
        read = read_screenshot(shot.data, content_type=shot.content_type)
        assert isinstance(read, ScreenshotRead), (seed, read)
        assert read.code.startswith("#")
        exact += read.code == shot.code
        within += shot.code in read.candidates(32)
        period += read.period_days == shot.period_days
    assert exact >= 12
    assert within >= 18
    assert period >= 19


def test_misread_positions_are_always_listed_as_unsure() -> None:
    """A wrong character is never presented as certain: every position where the best read
    differs from the code is in `unsure` (same-length reads; a dropped character shows as a
    different length)."""
    for seed in ACCURACY_SEEDS:
        shot = render(seed)
        read = read_screenshot(shot.data, content_type=shot.content_type)
        assert isinstance(read, ScreenshotRead)
        if len(read.code) != len(shot.code):
            continue
        doubtful = {i for i, _ in read.unsure}
        wrong = {i for i, (a, b) in enumerate(zip(read.code, shot.code, strict=True)) if a != b}
        assert wrong <= doubtful, (seed, sorted(wrong - doubtful))


def _glyph(font: str, char: str, px: int = 36) -> Glyph:
    img = Image.new("L", (3 * px, 2 * px), 255)
    ImageDraw.Draw(img).text(
        (px, px // 4), char, font=ImageFont.truetype(str(font_path(font)), px), fill=0
    )
    arr = np.asarray(img, dtype=np.uint8)
    g = measure(arr, 0, arr.shape[1], 1.3 * px)
    assert g is not None
    return g


@pytest.mark.parametrize(
    "font", ["DejaVuSans.ttf", "LiberationSans-Regular.ttf", "NotoSans-Regular.ttf"]
)
def test_the_dot_of_j_shows_as_a_gap_and_J_has_none(font: str) -> None:
    assert _glyph(font, "j").gap < 0.25 < 0.45 < _glyph(font, "J").gap


PROPORTIONAL = [
    "DejaVuSans.ttf",
    "DejaVuSansCondensed.ttf",
    "NotoSans-Regular.ttf",
    "LiberationSans-Regular.ttf",
]


@pytest.mark.parametrize("font", [*PROPORTIONAL, "DejaVuSansMono.ttf"])
def test_a_one_has_a_flag_and_I_and_l_none(font: str) -> None:
    assert _glyph(font, "1").flag >= 0.6
    assert _glyph(font, "I").flag < 0.6
    assert _glyph(font, "l").flag < 0.6 or _glyph(font, "l").tail >= 1.0  # a mono 'l' curls


@pytest.mark.parametrize("font", PROPORTIONAL)
def test_a_slash_leans_and_a_stem_does_not(font: str) -> None:
    slash = _glyph(font, "/")
    assert slash.flag <= -0.4 and slash.tail <= -0.4
    assert _glyph(font, "l").flag > -0.4 or _glyph(font, "l").tail > -0.4


def _line(text: str, font: str, px: int) -> np.ndarray:
    face = ImageFont.truetype(str(font_path(font)), px)
    img = Image.new("L", (int(face.getlength(text)) + 20, int(px * 1.5)), 255)
    ImageDraw.Draw(img).text((10, int(px * 0.2)), text, font=face, fill=0)
    return np.asarray(img, dtype=np.uint8)


@pytest.mark.parametrize("font", PROPORTIONAL)
@pytest.mark.parametrize("px", [22, 30])
def test_O_and_0_are_told_apart_by_their_width(font: str, px: int) -> None:
    """'O' is wider than the digits, '0' as wide: settled whatever the engine read."""
    text = "#2O4a0bO5c7D0e8G9HN3x0O6"
    img = _line(text, font, px)
    chars = ocr.read_line(img)
    assert len(chars) == len(text)
    best = "".join(c[0][0] for c in settle(img, [(0, img.shape[0], chars)]))
    assert [best[i] for i, c in enumerate(text) if c in "O0"] == [c for c in text if c in "O0"]


@pytest.mark.parametrize(
    ("text", "font", "px"),
    [
        ("#Kvjjai7Qw", "NotoSansDisplay-Regular.ttf", 26),
        ("#Kvjjai7Qw", "LiberationSans-Regular.ttf", 26),
        ("#2oii26wpz", "LiberationSans-Regular.ttf", 20),
    ],
)
def test_doubled_narrow_letters_are_two(text: str, font: str, px: int) -> None:
    """The recognizer's best path gives 'jj' as one run of 'j': it must come out as two."""
    assert "".join(c.char for c in ocr.read_line(_line(text, font, px))) == text


def test_a_last_line_of_only_padding_is_read() -> None:
    """Seed 233 wraps its final '=' onto a line of its own, too low a band to be a line."""
    shot = render(233)
    assert shot.code.endswith("d=")
    read = read_screenshot(shot.data)
    assert isinstance(read, ScreenshotRead)
    assert read.code.endswith("=") and len(read.code) == len(shot.code)


def test_a_dotted_zero_has_ink_in_its_middle_and_O_none() -> None:
    assert _glyph("DejaVuSansMono.ttf", "0").core >= 0.5 > _glyph("DejaVuSansMono.ttf", "O").core
    assert _glyph("DejaVuSans.ttf", "0").core < 0.5


def test_dark_mode_and_light_mode_both_read() -> None:
    shots = [render(s) for s in range(5000, 5040)]
    for dark in (True, False):
        shot = next(s for s in shots if s.dark is dark and s.width > 600)
        read = read_screenshot(shot.data)
        assert isinstance(read, ScreenshotRead)
        # Near enough that the candidates are about this code: same length, few differences.
        assert len(read.code) == len(shot.code)
        assert sum(a != b for a, b in zip(read.code, shot.code, strict=True)) <= 4


def test_candidates_are_bounded_ranked_and_start_with_the_best_read() -> None:
    read = read_screenshot(render(5001).data)
    assert isinstance(read, ScreenshotRead)
    cands = read.candidates(32)
    assert cands[0] == read.code
    assert len(cands) == len(set(cands)) <= 32
    assert len(read.candidates(5)) <= 5
    assert all(len(c) == len(read.code) and c.startswith("#") for c in cands)


def test_ranked_enumerates_most_probable_first() -> None:
    positions = [
        [("#", 1.0)],
        [("l", 0.6), ("I", 0.4)],
        [("A", 1.0)],
        [("O", 0.9), ("0", 0.1)],
        [("c", 0.5), ("C", 0.5)],
    ]
    out = ranked(positions, limit=10)
    assert [s for s, _ in out] == [
        "#lAOc",
        "#lAOC",
        "#IAOc",
        "#IAOC",
        "#lA0c",
        "#lA0C",
        "#IA0c",
        "#IA0C",
    ]
    probs = [p for _, p in out]
    assert probs == sorted(probs, reverse=True)
    assert abs(sum(probs) - 1.0) < 1e-9
    assert ranked(positions, limit=3) == out[:3]


def test_unsure_characters_are_named() -> None:
    read = next(
        r
        for r in (read_screenshot(render(s).data) for s in ACCURACY_SEEDS)
        if isinstance(r, ScreenshotRead) and r.unsure
    )
    for index, alternatives in read.unsure:
        assert 0 <= index < len(read.code)
        assert alternatives and read.code[index] not in alternatives
    assert "@" in read.describe_unsure()


def test_a_selfie_is_not_a_screenshot() -> None:
    img = Image.linear_gradient("L").resize((1080, 1440)).convert("RGB")
    draw = ImageDraw.Draw(img)
    draw.ellipse((300, 300, 780, 900), fill=(224, 172, 140))  # a face
    draw.ellipse((420, 520, 470, 560), fill=(40, 30, 20))
    draw.ellipse((610, 520, 660, 560), fill=(40, 30, 20))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=80)
    result = read_screenshot(out.getvalue(), content_type="image/jpeg")
    assert isinstance(result, Unreadable)
    assert "code box" in result.reason


def test_a_logo_is_not_a_screenshot() -> None:
    img = Image.new("RGB", (400, 400), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.ellipse((50, 50, 350, 350), fill=(254, 44, 85))
    draw.text((150, 180), "BRAND", fill=(255, 255, 255))
    assert isinstance(read_screenshot(_png(img)), Unreadable)


def test_a_tiny_image_is_refused() -> None:
    result = read_screenshot(_png(Image.new("RGB", (16, 16), (240, 240, 240))))
    assert isinstance(result, Unreadable) and "too small" in result.reason


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b"\xff\xd8\xff\xe0garbage"],
)
def test_corrupt_bytes(data: bytes) -> None:
    result = read_screenshot(data)
    assert isinstance(result, Unreadable) and result.reason


def test_a_truncated_screenshot() -> None:
    data = render(5002).data
    result = read_screenshot(data[: len(data) // 3])
    assert isinstance(result, Unreadable)
    assert "damaged" in result.reason or "not an image" in result.reason


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    """A PNG header that claims 100,000 x 100,000 pixels in a few bytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1000))
        + chunk(b"IEND", b"")
    )
    started = time.perf_counter()
    result = read_screenshot(data)
    assert isinstance(result, Unreadable)
    assert time.perf_counter() - started < 1.0


def test_a_50_megapixel_photo_is_downscaled_first() -> None:
    img = Image.linear_gradient("L").resize((8660, 5773))
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85)
    del img
    started = time.perf_counter()
    result = read_screenshot(out.getvalue(), content_type="image/jpeg")
    assert isinstance(result, Unreadable)
    assert time.perf_counter() - started < 10.0


def test_a_50_megapixel_png_is_refused_without_decoding() -> None:
    img = Image.new("L", (8660, 5773), 255)
    data = _png(img)
    del img
    started = time.perf_counter()
    result = read_screenshot(data)
    assert isinstance(result, Unreadable) and "too large" in result.reason
    assert time.perf_counter() - started < 2.0


def test_an_animated_gif_gives_its_first_frame() -> None:
    shot = render(5003)
    first = Image.open(io.BytesIO(shot.data)).convert("RGB")
    frames = [first, Image.new("RGB", first.size, (200, 30, 30))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    result = read_screenshot(out.getvalue(), content_type="image/gif")
    assert isinstance(result, ScreenshotRead)
    assert len(result.code) == len(shot.code)


def test_an_animated_gif_that_is_no_screenshot() -> None:
    frames = [Image.new("RGB", (200, 200), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert isinstance(read_screenshot(out.getvalue()), Unreadable)


def test_a_transparent_png_reads_as_on_white() -> None:
    shot = render(5004)
    img = Image.open(io.BytesIO(shot.data)).convert("RGBA")
    result = read_screenshot(_png(img))
    assert isinstance(result, ScreenshotRead)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_garbage_never_raises(data: bytes) -> None:
    result = read_screenshot(data)
    assert isinstance(result, (ScreenshotRead, Unreadable))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), st.integers(1, 2000))
def test_damaged_screenshots_never_raise(seed: int, cut: int) -> None:
    data = bytearray(render(seed % 50).data)
    data[cut % len(data)] ^= 0xFF
    del data[-cut:]
    result = read_screenshot(bytes(data))
    assert isinstance(result, (ScreenshotRead, Unreadable))


def test_a_box_is_not_split_at_its_first_line_of_dense_text() -> None:
    """Seed 206: a small dark JPEG whose first code line left too little of the box's grey
    across its rows; the box was found as two, and the first line lost."""
    shot = render(206)
    assert shot.dark and shot.width < 600
    read = read_screenshot(shot.data)
    assert isinstance(read, ScreenshotRead)
    assert len(read.code) == len(shot.code)
