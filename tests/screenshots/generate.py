"""Draws TikTok's "Ad authorization" screen the way creators screenshot it, deterministic per seed.

The variety is what mail from the world carries: light and dark mode, several Debian fonts and
sizes, phone resolutions, the code wrapped over two or three lines in a grey rounded box, a
localized period line, downscaled to 40-100 % (mail apps shrink images) and saved as PNG or as
JPEG at quality 60-92. Fonts come from Debian's fonts-dejavu-core, fonts-noto-core and
fonts-liberation2 (.ci/install-system-deps installs them); a missing font is an error, never a
silent substitute, so the same seed draws the same image on every machine.
"""

from __future__ import annotations

import io
import math
import random
import string
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BASE64 = string.ascii_letters + string.digits + "+/"

_FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/truetype/noto"),
    Path("/usr/share/fonts/truetype/liberation2"),
    Path("/usr/share/fonts/truetype/liberation"),
)
# (regular, bold) per family: proportional sans faces like the app's, one condensed, one mono.
FAMILIES = (
    ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    ("DejaVuSansCondensed.ttf", "DejaVuSansCondensed-Bold.ttf"),
    ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf"),
    ("NotoSansDisplay-Regular.ttf", "NotoSansDisplay-Bold.ttf"),
    ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
    ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
)
PHONE_WIDTHS = (720, 750, 828, 1080, 1125, 1170, 1242, 1284, 1440)
PERIODS = (7, 30, 30, 30, 60, 365)
PERIOD_LINES = (
    "Authorization period: {n} days",
    "Authorization period: {n} days",
    "Authorization period: {n} days",
    "Autorisierungszeitraum: {n} Tage",
    "Período de autorización: {n} días",
    "Période d'autorisation : {n} jours",
    "Período de autorização: {n} dias",
    "Periodo di autorizzazione: {n} giorni",
)


def font_path(name: str) -> Path:
    for folder in _FONT_DIRS:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(
        f"font {name} is missing: run .ci/install-system-deps "
        "(fonts-dejavu-core fonts-noto-core fonts-liberation2)"
    )


def make_code(rng: random.Random) -> str:
    """'#' + 40-120 base64 characters, usually ending in '='."""
    n = rng.randint(40, 120)
    body = "".join(rng.choice(BASE64) for _ in range(n))
    roll = rng.random()
    if roll < 0.75:
        body = body[:-1] + "="
    elif roll < 0.85:
        body = body[:-2] + "=="
    return "#" + body


@dataclass(frozen=True)
class Screenshot:
    seed: int
    code: str
    period_days: int
    dark: bool
    family: str
    lines: int
    width: int
    height: int
    content_type: str
    data: bytes


def _font(name: str, px: float) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(font_path(name)), max(6, round(px)))


def _wrap(code: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for ch in code:
        if line and font.getlength(line + ch) > width:
            lines.append(line)
            line = ch
        else:
            line += ch
    lines.append(line)
    return lines


def render(seed: int) -> Screenshot:
    """One screenshot; the same seed always gives the same bytes."""
    rng = random.Random(seed)
    code = make_code(rng)
    period = rng.choice(PERIODS)
    dark = rng.random() < 0.4
    regular, bold = rng.choice(FAMILIES)
    width = rng.choice(PHONE_WIDTHS)
    height = int(width * rng.choice((2.16, 2.17, 1.78, 2.22)))
    s = width / 390  # points to pixels
    bg = (0, 0, 0) if dark else (255, 255, 255)
    if dark and rng.random() < 0.5:
        bg = (18, 18, 18)
    fg = (255, 255, 255) if dark else (22, 24, 35)
    muted = (150, 150, 156) if dark else (117, 117, 123)
    box = (
        rng.choice(((44, 44, 48), (37, 37, 41), (55, 55, 60)))
        if dark
        else rng.choice(((241, 241, 242), (235, 235, 237), (246, 246, 247)))
    )
    img = Image.new("RGB", (width, height), bg)
    d = ImageDraw.Draw(img)
    margin = 16 * s

    # Status bar: time, signal, battery.
    sb = _font(bold, 15 * s)
    d.text((28 * s, 14 * s), f"{rng.randint(1, 12)}:{rng.randint(0, 59):02d}", font=sb, fill=fg)
    bx = width - 44 * s
    d.rounded_rectangle(
        (bx, 17 * s, bx + 25 * s, 29 * s), radius=3 * s, outline=fg, width=max(1, round(s))
    )
    level = rng.randint(10, 100)
    d.rectangle((bx + 2 * s, 19 * s, bx + 2 * s + 21 * s * level / 100, 27 * s), fill=fg)
    if rng.random() < 0.5:
        d.text((bx - 40 * s, 15 * s), f"{level}%", font=_font(regular, 12 * s), fill=fg)
    for i in range(4):
        x = bx - 70 * s + i * 5 * s
        d.rectangle((x, 28 * s - (i + 1) * 3 * s, x + 3 * s, 28 * s), fill=fg)

    # Navigation bar: back chevron and title.
    y = 56 * s
    d.line(
        (margin + 8 * s, y + 2 * s, margin, y + 10 * s, margin + 8 * s, y + 18 * s),
        fill=fg,
        width=max(1, round(2 * s)),
    )
    title = _font(bold, 17 * s)
    t = rng.choice(("Ad authorization", "Ad settings", "Ad authorization"))
    d.text(((width - title.getlength(t)) / 2, y), t, font=title, fill=fg)
    y += 50 * s

    body = _font(regular, rng.uniform(14, 16) * s)
    # A row with the switch, sometimes a video thumbnail first.
    if rng.random() < 0.5:
        thumb = tuple(rng.randint(40, 220) for _ in range(3))
        d.rounded_rectangle((margin, y, margin + 60 * s, y + 80 * s), radius=4 * s, fill=thumb)
        d.text(
            (margin + 72 * s, y + 8 * s),
            rng.choice(("My video", "GRWM for summer ☀", "day 3 of the challenge")),
            font=body,
            fill=fg,
        )
        y += 100 * s
    d.text((margin, y), "Ad authorization", font=body, fill=fg)
    sw = width - margin - 50 * s
    d.rounded_rectangle(
        (sw, y - 2 * s, sw + 50 * s, y + 28 * s),
        radius=15 * s,
        fill=(37, 244, 238) if rng.random() < 0.3 else (254, 44, 85),
    )
    d.ellipse((sw + 22 * s, y + 1 * s, sw + 47 * s, y + 26 * s), fill=(255, 255, 255))
    y += 48 * s

    period_line = rng.choice(PERIOD_LINES).format(n=period)
    d.text((margin, y), period_line, font=body, fill=fg)
    y += 34 * s
    small = _font(regular, 13 * s)
    d.text((margin, y), "Share the code with the advertiser.", font=small, fill=muted)
    y += 36 * s
    d.text(
        (margin, y),
        rng.choice(("Video code", "Video code", "Code")),
        font=_font(bold, 15 * s),
        fill=fg,
    )
    y += 30 * s

    # The code box: the font size makes the code wrap over the chosen 2 or 3 lines.
    lines_wanted = rng.choice((2, 2, 3)) if len(code) > 60 else 2
    pad = rng.uniform(10, 16) * s
    inner = width - 2 * margin - 2 * pad
    unit = _font(bold if rng.random() < 0.3 else regular, 100)
    px = 100 * inner * (lines_wanted - 0.4) / unit.getlength(code)
    px = min(max(px, 13 * s), 20 * s)
    code_font = _font(unit.path if isinstance(unit.path, str) else regular, px)
    lines = _wrap(code, code_font, inner)
    step = px * rng.uniform(1.3, 1.5)
    box_h = 2 * pad + step * len(lines)
    d.rounded_rectangle(
        (margin, y, width - margin, y + box_h), radius=rng.uniform(4, 10) * s, fill=box
    )
    for i, line in enumerate(lines):
        d.text((margin + pad, y + pad + i * step + (step - px) / 2), line, font=code_font, fill=fg)
    y += box_h + 20 * s

    # "Copy code": a red filled button, or a grey one.
    btn_h = 44 * s
    red = rng.random() < 0.6
    btn_fill = (254, 44, 85) if red else box
    d.rounded_rectangle((margin, y, width - margin, y + btn_h), radius=4 * s, fill=btn_fill)
    label = rng.choice(("Copy code", "Copy code", "Copy"))
    bf = _font(bold, 16 * s)
    d.text(
        ((width - bf.getlength(label)) / 2, y + (btn_h - 16 * s) / 2 - 2 * s),
        label,
        font=bf,
        fill=(255, 255, 255) if red else fg,
    )
    y += btn_h + 24 * s
    d.text(
        (margin, y),
        f"Expires in {period} days. You can cancel the authorization at any time.",
        font=small,
        fill=muted,
    )

    scale = rng.uniform(0.4, 1.0)
    if scale < 0.999:
        img = img.resize(
            (max(1, round(width * scale)), max(1, round(height * scale))), Image.Resampling.LANCZOS
        )
    out = io.BytesIO()
    if rng.random() < 0.5:
        img.save(out, "PNG")
        ctype = "image/png"
    else:
        img.save(out, "JPEG", quality=rng.randint(60, 92))
        ctype = "image/jpeg"
    return Screenshot(
        seed=seed,
        code=code,
        period_days=period,
        dark=dark,
        family=regular,
        lines=len(lines),
        width=img.width,
        height=img.height,
        content_type=ctype,
        data=out.getvalue(),
    )


def render_many(count: int, start: int = 0) -> list[Screenshot]:
    return [render(seed) for seed in range(start, start + count)]


def _main() -> None:  # pragma: no cover - a look at the images by hand
    import sys

    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "out/screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    for shot in render_many(int(sys.argv[2]) if len(sys.argv) > 2 else 10):
        ext = "png" if shot.content_type == "image/png" else "jpg"
        (folder / f"{shot.seed:04d}.{ext}").write_bytes(shot.data)
        print(
            shot.seed, shot.code, shot.period_days, shot.width, shot.height, math.floor(shot.lines)
        )


if __name__ == "__main__":  # pragma: no cover
    _main()
