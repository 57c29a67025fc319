"""The generator draws what the reader is measured on: it must vary as the world does and stay
the same for a seed."""

from __future__ import annotations

import email
import io
import re
from email import policy

from PIL import Image

from tests.screenshots.emails import screenshot_email
from tests.screenshots.generate import make_code, render, render_many

CODE = re.compile(r"#[A-Za-z0-9+/]{38,120}={0,2}")


def test_same_seed_same_bytes() -> None:
    assert render(7).data == render(7).data
    assert render(7).code != render(8).code


def test_codes_have_the_spark_shape() -> None:
    import random

    rng = random.Random(1)
    codes = [make_code(rng) for _ in range(300)]
    assert all(CODE.fullmatch(c) for c in codes)
    assert sum(c.endswith("=") for c in codes) > 200
    assert {len(c) for c in codes} >= {41, 121}


def test_variety() -> None:
    shots = render_many(40)
    assert {s.dark for s in shots} == {True, False}
    assert {s.content_type for s in shots} == {"image/png", "image/jpeg"}
    assert len({s.family for s in shots}) >= 4
    assert {s.lines for s in shots} >= {2, 3}
    assert {s.period_days for s in shots} >= {7, 30, 60, 365}
    widths = [s.width for s in shots]
    assert min(widths) < 500 < max(widths)
    for s in shots[:5]:
        img = Image.open(io.BytesIO(s.data))
        assert img.size == (s.width, s.height)


def test_emails_carry_the_image_as_attachment_and_inline() -> None:
    shot = render(3)
    for inline in (False, True):
        msg = email.message_from_bytes(screenshot_email(shot, inline=inline), policy=policy.default)
        images = [p for p in msg.walk() if p.get_content_maintype() == "image"]
        assert len(images) == 1
        assert images[0].get_content() == shot.data
        html = msg.get_body(("html",))
        if inline:
            assert (
                html is not None
                and f"cid:{images[0]['Content-ID'].strip()[1:-1]}" in html.get_content()
            )
            assert images[0].get_content_disposition() in (None, "inline")
        else:
            assert html is None and images[0].get_content_disposition() == "attachment"
