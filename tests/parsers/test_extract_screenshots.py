"""Emails whose code is only in a screenshot: a row marked `screenshot` and a review item to
check it, or `code_in_image_attachment` with the reason nothing was read. Real OCR throughout."""

from __future__ import annotations

import io
import struct
import sys
import zlib
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from parsers.extract import extract
from parsers.records import CodeSource, DurationSource, Extraction, Reason
from parsers.screenshots import ScreenshotRead, read_screenshot
from tests.screenshots.emails import forwarded_as_attachment, image_email, screenshot_email
from tests.screenshots.generate import render

# Outside the benchmark's seeds; each is checked to hold its code within the candidates.
SEEDS = (5000, 5001)


def _screenshot_row(result: Extraction, seed: int) -> None:
    shot = render(seed)
    assert len(result.rows) == 1, result
    row = result.rows[0]
    assert row.code_source is CodeSource.SCREENSHOT
    assert row.candidates and row.candidates[0] == row.spark_code
    assert len(row.candidates) <= 32
    assert shot.code in row.candidates
    assert row.duration_days == shot.period_days
    assert row.duration_source is DurationSource.STATED
    assert result.failure is not None
    assert result.failure.reason is Reason.CODE_FROM_SCREENSHOT
    assert result.failure.snippet == row.spark_code
    assert f"read off IMG_{seed:04d}" in result.failure.detail
    assert row.spark_code in result.failure.detail
    read = read_screenshot(shot.data)
    assert isinstance(read, ScreenshotRead)
    if read.unsure:
        assert "unsure: " + read.describe_unsure() in result.failure.detail


@pytest.mark.parametrize("inline", [False, True], ids=["attached", "inline-cid"])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_screenshot_gives_a_row_and_a_review_item(seed: int, inline: bool) -> None:
    raw = screenshot_email(render(seed), inline=inline)
    result = extract(raw, "test")
    _screenshot_row(result, seed)
    row = result.rows[0]
    assert row.identity.creator_email == "mia@creator.example"
    assert row.authorized_at is not None and row.expires_at is not None


def test_the_period_comes_from_the_text_when_the_screen_shows_none() -> None:
    """A crop of the code box alone: the period is the one the creator wrote."""
    shot = render(5000)
    read = read_screenshot(shot.data)
    assert isinstance(read, ScreenshotRead)
    img = Image.open(io.BytesIO(shot.data)).convert("RGB")
    from parsers.screenshots import locate
    from parsers.screenshots.load import load_gray

    box = locate.find_boxes(load_gray(shot.data))[0]
    crop = img.crop((0, box.top - 10, img.width, box.bottom + 10))
    out = io.BytesIO()
    crop.save(out, "PNG")
    msg = image_email(out.getvalue(), "image/png", "crop.png", text="Code below, 45 days please.")
    result = extract(msg.as_bytes(), "test")
    assert len(result.rows) == 1
    assert result.rows[0].duration_days == 45
    assert result.rows[0].code_source is CodeSource.SCREENSHOT


def test_an_email_forwarded_as_attachment_credits_the_creator() -> None:
    shot = render(5001)
    inner = image_email(shot.data, shot.content_type, "IMG_5001.png", tag="inner")
    result = extract(forwarded_as_attachment(inner), "test")
    _screenshot_row(result, 5001)
    assert result.rows[0].identity.creator_email == "mia@creator.example"


def test_an_inline_forward_credits_the_creator() -> None:
    shot = render(5000)
    text = (
        "FYI, see below.\n\n---------- Forwarded message ---------\n"
        "From: Mia Creator <mia@creator.example>\nDate: Thu, 19 Nov 2026 at 10:00\n"
        "Subject: my code\nTo: <sam@brand.example>\n\nHere is my code, screenshot attached!\n"
    )
    msg = image_email(
        shot.data,
        shot.content_type,
        "IMG_5000.png",
        sender="Sam Brand <sam@brand.example>",
        subject="Fwd: my code",
        text=text,
    )
    result = extract(msg.as_bytes(), "test")
    _screenshot_row(result, 5000)
    assert result.rows[0].identity.creator_email == "mia@creator.example"


def test_text_codes_never_run_the_reader() -> None:
    """An email with a code in its text and a screenshot: the text wins, no OCR."""
    code = render(5000).code
    msg = image_email(render(5001).data, "image/png", "IMG.png", text=f"My code: {code}")
    result = extract(msg.as_bytes(), "test")
    assert [r.spark_code for r in result.rows] == [code]
    assert result.rows[0].code_source is CodeSource.TEXT


def test_ordinary_mail_does_not_load_the_reader() -> None:
    import subprocess

    script = (
        "import sys\nfrom parsers.extract import extract\n"
        "extract(b'From: a@b.example\\nSubject: hi\\n\\nno code here, thanks', 't')\n"
        "print(sorted(m for m in ('numpy', 'onnxruntime', 'PIL') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _jpeg(img: Image.Image, quality: int = 85) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def _selfie() -> bytes:
    img = Image.linear_gradient("L").resize((1080, 1440)).convert("RGB")
    draw = ImageDraw.Draw(img)
    draw.ellipse((300, 300, 780, 900), fill=(224, 172, 140))
    draw.ellipse((420, 520, 470, 560), fill=(40, 30, 20))
    return _jpeg(img)


def _logo() -> bytes:
    img = Image.new("RGB", (400, 400), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    draw.ellipse((50, 50, 350, 350), fill=(254, 44, 85))
    draw.text((150, 180), "BRAND", fill=(255, 255, 255))
    return _png(img)


def _corrupt() -> bytes:
    data = render(5002).data
    return data[: len(data) // 3]


def _photo_50mp() -> bytes:
    return _jpeg(Image.linear_gradient("L").resize((8660, 5773)))


def _bomb() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 100_000, 100_000, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * 4000, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def _animated() -> bytes:
    frames = [Image.new("RGB", (300, 300), c) for c in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    for i, f in enumerate(frames):
        ImageDraw.Draw(f).text((20 + i, 20), f"frame {i} " * 5, fill=(255, 255, 255))
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "ctype", "why"),
    [
        (_selfie, "image/jpeg", "code box"),
        (_logo, "image/png", "code box"),
        (_corrupt, "image/png", "damaged"),
        (_photo_50mp, "image/jpeg", "code box"),
        (_bomb, "image/png", "too large"),
        (_animated, "image/gif", "code box"),
        (lambda: b"", "image/png", "too small"),
        (lambda: b"\x89PNG tiny", "image/png", "too small"),
    ],
    ids=["selfie", "logo", "corrupt", "photo-50mp", "bomb", "animated-gif", "empty", "pixel"],
)
def test_images_without_a_readable_code_stay_for_review(
    make: Callable[[], bytes], ctype: str, why: str
) -> None:
    data = make()
    msg = image_email(data, ctype, "picture." + ctype.split("/")[1])
    result = extract(msg.as_bytes(), "test")
    assert result.rows == ()
    assert result.failure is not None
    assert result.failure.reason is Reason.CODE_IN_IMAGE_ATTACHMENT, result.failure.detail
    assert "picture." in result.failure.detail
    assert why in result.failure.detail


def test_at_most_four_images_are_read() -> None:
    msg = image_email(_logo(), "image/png", "a.png")
    for i in range(6):
        msg.add_attachment(_logo(), maintype="image", subtype="png", filename=f"logo{i}.png")
    result = extract(msg.as_bytes(), "test")
    assert result.failure is not None
    assert result.failure.reason is Reason.CODE_IN_IMAGE_ATTACHMENT
    assert result.failure.detail.count("code box") == 3  # the detail names the first three


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=0, max_size=6000), st.sampled_from(["image/png", "image/jpeg"]))
def test_garbage_image_bytes_give_a_row_or_a_failure(data: bytes, ctype: str) -> None:
    msg = image_email(data, ctype, "x." + ctype.split("/")[1])
    result = extract(msg.as_bytes(), "test")
    assert result.rows or result.failure is not None
    if result.failure is not None and not result.rows:
        assert result.failure.reason is Reason.CODE_IN_IMAGE_ATTACHMENT
