"""A deterministic corpus of realistic creator emails for the parse benchmark.

Every message is built with the stdlib `email` package from a seed, so `generate(n, seed)` returns
the same bytes on every machine and every run. The mix imitates a brand's shared partnerships
inbox: creators answering a campaign brief from Gmail, Outlook, Apple Mail or Yahoo (the brief's
newsletter-style HTML quoted below their answer), fresh messages with a screenshot, brand replies
quoting the creator, inline forwards (Gmail, Outlook, Apple), forwards as message/rfc822
attachments, and newsletters with no code at all. Bodies are quoted-printable, base64 or 8bit;
some messages carry a PNG screenshot or a PDF media kit. Sizes are drawn log-uniformly between
5 and 100 KB and reached by growing the quoted brief (its product rows), like real threads.

All people, brands, addresses, codes and video ids are made up.
"""

from __future__ import annotations

import base64
import email
import email.policy
import email.utils
import math
import random
import struct
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.headerregistry import Address
from email.message import EmailMessage, Message
from html import escape
from typing import Any

# IMAP hands messages over with CRLF line ends; so do mail stores.
POLICY = email.policy.SMTP
MIN_BYTES = 5 * 1024
MAX_BYTES = 100 * 1024

# --------------------------------------------------------------------------- what was planted


@dataclass(frozen=True, slots=True)
class Planted:
    """One code the generator put into a message, with the period and video stated beside it."""

    code: str
    days: int | None
    video: str | None


@dataclass(frozen=True, slots=True)
class Sample:
    raw: bytes
    kind: str
    planted: tuple[Planted, ...]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(p.code for p in self.planted)


def generate(n: int, seed: int = 7) -> list[bytes]:
    """`n` raw RFC 5322 messages, the same bytes for the same `n` and `seed`."""
    return [s.raw for s in generate_detailed(n, seed)]


def generate_labelled(n: int, seed: int = 7) -> list[tuple[bytes, tuple[str, ...]]]:
    """(raw message, the Spark codes planted in it) pairs."""
    return [(s.raw, s.codes) for s in generate_detailed(n, seed)]


def generate_detailed(n: int, seed: int = 7) -> list[Sample]:
    """Messages with their kind and every planted code's period and video."""
    return [_calibrated(seed, i) for i in range(n)]


# --------------------------------------------------------------------------- pools

_CREATORS = [
    ("Mia", "Tran"),
    ("Zoë", "Müller"),
    ("José", "Álvarez"),
    ("Priya", "Natarajan"),
    ("Liam", "O'Connor"),
    ("Chloé", "Dubois"),
    ("Aaliyah", "Brooks"),
    ("Kenji", "Watanabe"),
    ("Sofia", "Rossi"),
    ("Noah", "Fischer"),
    ("Amara", "Okafor"),
    ("Lucas", "Martins"),
    ("Hannah", "Schmidt"),
    ("Camila", "Reyes"),
    ("Ethan", "Nguyen"),
    ("Isabella", "García"),
    ("Oliver", "Jensen"),
    ("Maya", "Cohen"),
    ("Léa", "Martin"),
    ("Diego", "Fernández"),
    ("Emma", "de Vries"),
    ("Jade", "Williams"),
    ("Ava", "Kowalski"),
    ("Yuna", "Park"),
]
_CONTACTS = [
    ("Jo", "Park"),
    ("Sam", "Rivera"),
    ("Alex", "Kim"),
    ("Taylor", "Brooks"),
    ("Morgan", "Lee"),
    ("Riley", "Chen"),
    ("Jordan", "Patel"),
    ("Casey", "Moreau"),
]


@dataclass(frozen=True, slots=True)
class _Brand:
    name: str
    domain: str
    color: str
    products: tuple[str, ...]
    tag: str


_BRANDS = [
    _Brand(
        "Lumen Skin",
        "lumenskin.example",
        "#d9776b",
        ("Glow Serum", "Barrier Cream", "SPF 50 Fluid", "Night Repair Mask", "Lip Oil"),
        "LumenGlow",
    ),
    _Brand(
        "Northpeak Outdoors",
        "northpeak.example",
        "#2f5d50",
        ("Trail Runner 3", "Ultralight Shell", "Summit Pack 28L", "Merino Base Layer"),
        "NorthpeakMoves",
    ),
    _Brand(
        "Fizzwell",
        "fizzwell.example",
        "#f2a900",
        ("Yuzu Sparkling Tonic", "Ginger Lift", "Berry Calm", "Variety 12-pack"),
        "FizzwellFriday",
    ),
    _Brand(
        "Kindred Coffee",
        "kindredcoffee.example",
        "#6b4226",
        ("House Blend", "Cold Brew Kit", "Oat Latte Cans", "Decaf Swiss Water"),
        "KindredMornings",
    ),
    _Brand(
        "Pawsome Pets",
        "pawsomepets.example",
        "#3a7bd5",
        ("Crunchy Dental Chews", "Calm Blanket", "Salmon Bites", "Rope Tug Toy"),
        "PawsomeSquad",
    ),
    _Brand(
        "Velo Athletics",
        "veloathletics.example",
        "#111111",
        ("Seamless Leggings", "Aero Sports Bra", "Cloud Tee", "Studio Hoodie"),
        "VeloStrong",
    ),
]
_AGENCIES = [("Bright Loop Agency", "brightloop.example"), ("Creator Collective", "collab.example")]

_ADJECTIVES = [
    "lightweight",
    "award-winning",
    "bestselling",
    "limited-edition",
    "fan-favourite",
    "new",
    "refillable",
    "plant-based",
    "everyday",
    "travel-size",
]
_BENEFITS = [
    "keeps up with your busiest days",
    "was designed with our community of creators",
    "is back in stock for a limited time",
    "ships free on orders over $40",
    "comes in three new colourways this season",
    "earned over 2,000 five-star reviews",
    "is made with 100% recycled packaging",
    "is our most requested restock of the year",
]
_CLOSERS = [
    "Tap below to see the full collection.",
    "Stock is limited, so don't wait too long.",
    "Members get early access and free returns.",
    "Use it every day and tell us what you think.",
]
_FILLER = [
    "We loved your last few videos and think your audience would too.",
    "The shoot can be anywhere that feels natural for your channel.",
    "Feel free to keep it casual: no script, just your honest take.",
    "Our team will review drafts within two business days.",
    "If you have any questions about the brief, just reply to this email.",
    "Payment is processed within 30 days of the invoice date.",
    "Please tag our account and keep the product visible in the first three seconds.",
]

_TZ = {
    -8: "PST",
    -7: "MST",
    -5: "EST",
    -4: "EDT",
    -3: "BRT",
    0: "GMT",
    1: "CET",
    2: "CEST",
    5.5: "IST",
    9: "JST",
    10: "AEST",
}

# --------------------------------------------------------------------------- text tokens


@dataclass(frozen=True, slots=True)
class _Code:
    code: str
    style: str  # how HTML shows it: plain, bold, mono, split, wbr


@dataclass(frozen=True, slots=True)
class _Link:
    url: str
    anchor: str | None


_Token = str | _Code | _Link
_Line = list[_Token]
_Text = list[list[_Line]]  # paragraphs of lines of tokens


def _lines(*rows: str | _Line) -> list[_Line]:
    return [[r] if isinstance(r, str) else r for r in rows]


def _plain_token(tok: _Token, client: str) -> str:
    if isinstance(tok, str):
        return tok
    if isinstance(tok, _Code):
        return tok.code
    if tok.anchor is None:
        return tok.url
    return f"{tok.anchor}<{tok.url}>" if client == "outlook" else f"{tok.anchor} <{tok.url}>"


def _html_token(tok: _Token, rng: random.Random) -> str:
    if isinstance(tok, str):
        return escape(tok, quote=False)
    if isinstance(tok, _Link):
        anchor = tok.anchor if tok.anchor is not None else tok.url
        return f'<a href="{escape(tok.url)}" target="_blank">{escape(anchor, quote=False)}</a>'
    code = tok.code
    if tok.style == "bold":
        return f"<b>{code}</b>"
    if tok.style == "mono":
        return f'<span style="font-family:monospace,monospace;font-size:13px">{code}</span>'
    if tok.style == "split":
        cut = rng.randrange(8, len(code) - 8)
        return f'<span>{code[:cut]}</span><span style="color:rgb(34,34,34)">{code[cut:]}</span>'
    if tok.style == "wbr":
        return "<wbr>".join(code[i : i + 24] for i in range(0, len(code), 24))
    return code


def _plain(text: _Text, client: str) -> str:
    return "\n\n".join(
        "\n".join("".join(_plain_token(t, client) for t in line) for line in para) for para in text
    )


def _html(text: _Text, client: str, rng: random.Random) -> str:
    """The creator's words the way each client writes them in its text/html part."""
    out: list[str] = []
    for k, para in enumerate(text):
        rows = ["".join(_html_token(t, rng) for t in line) for line in para]
        if client == "gmail":
            if k:
                out.append("<div><br></div>")
            out.extend(f"<div>{r}</div>" for r in rows)
        elif client == "outlook":
            if k:
                out.append('<p class="MsoNormal"><o:p>&nbsp;</o:p></p>')
            out.extend(f'<p class="MsoNormal"><span lang="EN-US">{r}</span></p>' for r in rows)
        elif client == "apple":
            if k:
                out.append("<div><br></div>")
            out.extend(f"<div>{r}</div>" if k or j else r for j, r in enumerate(rows))
        else:  # yahoo and webmail in general
            out.append("<p>" + "<br>".join(rows) + "</p>")
    return "".join(out)


def _quote(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.split("\n"))


# --------------------------------------------------------------------------- people and dates


@dataclass(slots=True)
class _Person:
    first: str
    last: str
    addr: str
    handle: str = ""

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"

    @property
    def address(self) -> Address:
        user, domain = self.addr.split("@")
        return Address(display_name=self.name, username=user, domain=domain)

    @property
    def angle(self) -> str:
        return f"{self.name} <{self.addr}>"


def _ascii(s: str) -> str:
    folded = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum())


def _creator(rng: random.Random, client: str) -> _Person:
    first, last = rng.choice(_CREATORS)
    a, b = _ascii(first), _ascii(last)
    handle = rng.choice([f"{a}.{b}", f"{a}{b}creates", f"its{a}_{b[:1]}", f"{a}.makes.stuff"])
    domain = {
        "gmail": "gmail.com",
        "outlook": rng.choice(["outlook.com", "hotmail.com"]),
        "apple": rng.choice(["icloud.com", "me.com", "gmail.com"]),
        "yahoo": "yahoo.com",
    }[client]
    user = rng.choice([f"{a}.{b}", f"{a}{b}{rng.randrange(10, 99)}", handle.replace("_", ".")])
    return _Person(first, last, f"{user}@{domain}", handle)


def _contact(rng: random.Random, brand: _Brand) -> _Person:
    first, last = rng.choice(_CONTACTS)
    return _Person(first, last, f"{first.lower()}@{brand.domain}")


def _tz(rng: random.Random) -> timezone:
    hours = rng.choice(list(_TZ))
    return timezone(timedelta(hours=hours))


def _abbr(dt: datetime) -> str:
    off = dt.utcoffset()
    hours = off.total_seconds() / 3600 if off is not None else 0
    return _TZ.get(hours, "UTC")


def _clock(dt: datetime, seconds: bool = False) -> str:
    h = dt.hour % 12 or 12
    sec = f":{dt:%S}" if seconds else ""
    return f"{h}:{dt:%M}{sec} {'AM' if dt.hour < 12 else 'PM'}"


def _when(dt: datetime, style: str) -> str:
    """A date the way a client writes it in an attribution or a forward header."""
    if style == "gmail":
        return f"{dt:%a}, {dt:%b} {dt.day}, {dt.year} at {_clock(dt)}"
    if style == "outlook":
        return f"{dt:%A}, {dt:%B} {dt.day}, {dt.year} {_clock(dt)}"
    if style == "apple":
        return f"{dt:%B} {dt.day}, {dt.year} at {_clock(dt, True)} {_abbr(dt)}"
    if style == "apple_reply":
        return f"{dt:%b} {dt.day}, {dt.year}, at {_clock(dt)}"
    return f"{dt:%A}, {dt:%B} {dt.day}, {dt.year}, {dt:%I:%M:%S} {dt:%p} {_abbr(dt)}"


# --------------------------------------------------------------------------- codes, links, files


def _spark_code(rng: random.Random) -> str:
    """'#' + standard base64 of 30-74 random bytes: 40-100 characters, usually ending in '='."""
    r = rng.random()
    pad = 2 if r < 0.7 else 1 if r < 0.85 else 0  # n % 3: 2 -> '=', 1 -> '==', 0 -> none
    n = rng.choice([k for k in range(30, 75) if k % 3 == pad])
    return "#" + base64.b64encode(rng.randbytes(n)).decode()


def _video(rng: random.Random, handle: str) -> str:
    vid = 7_200_000_000_000_000_000 + rng.randrange(260_000_000_000_000_000)
    tail = rng.choice(["", "", "", "?is_from_webapp=1&sender_device=pc", "?_r=1&_t=8iXnB2kQz4r"])
    return f"https://www.tiktok.com/@{handle}/video/{vid}{tail}"


def _tracking(rng: random.Random, domain: str) -> str:
    if rng.random() < 0.5:
        return f"https://click.e.{domain}/?qs={rng.randbytes(48).hex()}"
    slug = rng.choice(["glow", "new-in", "bestsellers", "collab", "spring", "bundle"])
    return (
        f"https://{domain}/collections/{slug}?utm_source=email&utm_medium=creator"
        f"&utm_campaign=spark_{rng.randrange(1000, 9999)}&mc_eid={rng.randbytes(5).hex()}"
    )


def _png(rng: random.Random, size: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", 1170, 2532, 8, 6, 0, 0, 0)
    idat = zlib.compress(rng.randbytes(size), 1)  # screenshots are already compressed data
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _pdf(rng: random.Random, size: int, title: str) -> bytes:
    stream = rng.randbytes(size)
    return (
        b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n"
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>\n"
        b"endobj\n4 0 obj\n<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\n"
        b"stream\n" + stream + b"\nendstream\nendobj\n"
        b"5 0 obj\n<< /Title (" + title.encode("ascii", "ignore") + b") >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R /Info 5 0 R >>\n%%EOF\n"
    )


# --------------------------------------------------------------------------- the brand's brief


@dataclass(slots=True)
class _Brief:
    """A brand's newsletter-style email: full HTML document, its body, and a plain rendering."""

    subject: str
    html_doc: str
    html_body: str
    plain: str


_FONT = "font-family:'Helvetica Neue',Helvetica,Arial,sans-serif"
_CSS = """
  body{margin:0!important;padding:0!important;width:100%!important;background:#f4f4f4}
  table,td{mso-table-lspace:0pt;mso-table-rspace:0pt;border-collapse:collapse}
  img{-ms-interpolation-mode:bicubic;border:0;outline:none;text-decoration:none}
  a[x-apple-data-detectors]{color:inherit!important;text-decoration:none!important}
  .preheader{display:none!important;visibility:hidden;opacity:0;color:transparent;height:0}
  @media only screen and (max-width:620px){
    .container{width:100%!important}
    .col{display:block!important;width:100%!important;padding:8px 16px!important}
    .hero-title{font-size:26px!important;line-height:32px!important}
    .mobile-hide{display:none!important}
  }
  @media (prefers-color-scheme:dark){
    .dark-bg{background:#1c1c1e!important}
    .dark-text{color:#f2f2f7!important}
  }
"""


def _card(rng: random.Random, brand: _Brand, product: str) -> tuple[str, str]:
    track = _tracking(rng, brand.domain)
    slug = _ascii(product)
    desc = (
        f"Our {rng.choice(_ADJECTIVES)} {product} {rng.choice(_BENEFITS)}. "
        f"{rng.choice(_BENEFITS).capitalize()}. {rng.choice(_CLOSERS)}"
    )
    price = f"${rng.randrange(12, 140)}.{rng.choice(['00', '50', '95', '99'])}"
    html = (
        '<td class="col" width="50%" valign="top" style="padding:12px 8px 12px 16px;">'
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'style="border-collapse:collapse;background-color:#ffffff;border-radius:8px;">'
        f'<tr><td style="padding:0;"><a href="{escape(track)}" target="_blank" '
        'style="text-decoration:none;">'
        f'<img src="https://cdn.{brand.domain}/img/products/{slug}-{rng.randrange(100, 999)}.jpg" '
        f'width="268" alt="{escape(product)}" style="display:block;width:100%;max-width:268px;'
        'height:auto;border:0;border-radius:8px 8px 0 0;"></a></td></tr>'
        f'<tr><td class="dark-text" style="padding:16px 16px 4px 16px;{_FONT};font-size:17px;'
        f'line-height:22px;font-weight:700;color:#1a1a1a;">{escape(product)}</td></tr>'
        f'<tr><td style="padding:0 16px 4px 16px;{_FONT};font-size:15px;line-height:20px;'
        f'color:{brand.color};font-weight:700;">{price}</td></tr>'
        f'<tr><td style="padding:0 16px 12px 16px;{_FONT};font-size:14px;line-height:21px;'
        f'color:#555555;">{escape(desc)}</td></tr>'
        '<tr><td style="padding:0 16px 20px 16px;"><table role="presentation" cellpadding="0" '
        f'cellspacing="0" border="0"><tr><td bgcolor="{brand.color}" style="border-radius:4px;">'
        f'<a href="{escape(track)}" target="_blank" style="display:inline-block;padding:10px 18px;'
        f'{_FONT};font-size:14px;font-weight:700;color:#ffffff;text-decoration:none;">'
        "Shop now &rarr;</a></td></tr></table></td></tr></table></td>"
    )
    plain = f"{product}\n{price}\n{desc}\nShop now → <{track}>"
    return html, plain


def _brief(
    seed: str, brand: _Brand, contact: _Person, creator: _Person | None, rows: int, newsletter: bool
) -> _Brief:
    """The brand's email; its size grows with `rows` and nothing else, whatever `rows` is."""
    rng = random.Random(seed)
    campaign = rng.choice(["Spring Reset", "Summer Drop", "Back to Routine", "Holiday Edit"])
    greet = f"Hi {creator.first}," if creator else "Hi there,"
    if newsletter:
        subject = f"{rng.choice(['New in', 'Last chance', 'Just dropped', 'Members only'])}: "
        subject += f"the {brand.name} {campaign} ✨"
        paras = [
            greet,
            f"The {campaign} collection is here. {rng.choice(_BENEFITS).capitalize()}.",
            rng.choice(_CLOSERS),
        ]
        asks: list[str] = []
    else:
        subject = f"{brand.name} x {creator.first if creator else 'you'}: {campaign} brief"
        due = rng.choice(["January 20", "Feb 3", "March 14", "the 28th"])
        paras = [
            greet,
            f"Thank you for joining the {brand.name} {campaign} campaign! Here is everything "
            "you need for your video.",
            rng.choice(_FILLER) + " " + rng.choice(_FILLER),
        ]
        asks = [
            f"Post your video by {due} and tag @{_ascii(brand.name)} in the caption.",
            f"Use #ad and #{brand.tag} in the caption.",
            "Once it's live, generate a Spark Ads code in the TikTok app (Settings → Creator "
            "tools → Ad settings) with a 60-day authorization and reply with it plus the video "
            "link.",
            "Please keep the video up for at least 3 months.",
        ]
    cards: list[tuple[str, str]] = []
    for i in range(rows):
        row_rng = random.Random(f"{seed}/row{i}")
        cards.extend(_card(row_rng, brand, p) for p in row_rng.sample(list(brand.products), 2))

    text_style = f"{_FONT};font-size:16px;line-height:24px;color:#333333;"
    logo = f"https://cdn.{brand.domain}/email/logo@2x.png"
    parts = [
        f'<div class="preheader" style="display:none;max-height:0;overflow:hidden;">'
        f"{escape(paras[1])}</div>",
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" '
        'class="dark-bg" style="background-color:#f4f4f4;"><tr><td align="center" '
        'style="padding:24px 0;">',
        '<table role="presentation" class="container" width="600" cellpadding="0" '
        'cellspacing="0" border="0" style="width:600px;max-width:600px;background:#ffffff;">',
        f'<tr><td align="center" style="padding:28px 24px;border-bottom:3px solid {brand.color};">'
        f'<a href="https://{brand.domain}/" target="_blank"><img src="{logo}" width="160" '
        f'alt="{escape(brand.name)}" style="display:block;width:160px;height:auto;"></a></td></tr>',
        f'<tr><td class="hero-title dark-text" style="padding:32px 32px 8px 32px;{_FONT};'
        f'font-size:32px;line-height:38px;font-weight:800;color:#111111;">'
        f"{escape(campaign)}</td></tr>",
    ]
    parts += [f'<tr><td style="padding:8px 32px;{text_style}">{escape(p)}</td></tr>' for p in paras]
    if asks:
        items = "".join(f'<li style="margin:0 0 8px 0;">{escape(a)}</li>' for a in asks)
        parts.append(
            f'<tr><td style="padding:8px 32px;{text_style}"><strong>What we need:</strong>'
            f'<ul style="margin:8px 0 0 0;padding-left:20px;">{items}</ul></td></tr>'
        )
    if cards:
        parts.append(
            '<tr><td style="padding:16px 0 0 0;"><table role="presentation" width="100%" '
            'cellpadding="0" cellspacing="0" border="0" style="background-color:#faf7f5;">'
        )
        for j in range(0, len(cards), 2):
            parts.append("<tr>" + cards[j][0] + cards[j + 1][0] + "</tr>")
        parts.append("</table></td></tr>")
    sign = f"{contact.name}<br>Partnerships, {escape(brand.name)}" if not newsletter else ""
    parts.append(f'<tr><td style="padding:24px 32px;{text_style}">{sign}</td></tr>')
    footer_links = " &nbsp;|&nbsp; ".join(
        f'<a href="{escape(_tracking(rng, brand.domain))}" style="color:#888888;">{x}</a>'
        for x in ("Instagram", "TikTok", "Unsubscribe", "Privacy")
    )
    parts.append(
        f'<tr><td align="center" style="padding:24px 32px 32px 32px;background:#f0f0f0;{_FONT};'
        f'font-size:12px;line-height:18px;color:#888888;">{footer_links}<br><br>'
        f"{escape(brand.name)}, 1200 Market Street, Suite {rng.randrange(100, 900)}, "
        "San Francisco, CA 94102<br>You are receiving this email because you partnered with us."
        "</td></tr></table></td></tr></table>"
    )
    body = "".join(parts)
    doc = (
        '<!DOCTYPE html><html lang="en" xmlns:v="urn:schemas-microsoft-com:vml"><head>'
        '<meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">'
        '<meta name="x-apple-disable-message-reformatting">'
        f"<title>{escape(subject)}</title><style>{_CSS}</style></head>"
        f'<body style="margin:0;padding:0;background-color:#f4f4f4;">{body}</body></html>'
    )
    plain_parts = [f"[image: {brand.name}]", campaign, *paras]
    if asks:
        plain_parts.append("What we need:\n" + "\n".join(f"   - {a}" for a in asks))
    plain_parts += [c[1] for c in cards]
    if not newsletter:
        plain_parts.append(f"{contact.name}\nPartnerships, {brand.name}")
    plain_parts.append(f"{brand.name}, 1200 Market Street, San Francisco, CA 94102")
    return _Brief(subject, doc, body, "\n\n".join(plain_parts))


# --------------------------------------------------------------------------- the creator's words


def _period_phrase(rng: random.Random, days: int, lang: str) -> str:
    if lang == "es":
        return f"válido por {days} días"
    if lang == "de":
        return f"gültig für {days} Tage"
    if lang == "fr":
        return f"valable {days} jours"
    if days == 365:
        return rng.choice(["valid for 1 year", "authorized for a full year", "365 days"])
    return rng.choice(
        [f"valid for {days} days", f"a {days}-day authorization", f"authorized for {days} days"]
    )


def _code_style(rng: random.Random) -> str:
    return rng.choices(["plain", "bold", "mono", "split", "wbr"], [60, 20, 8, 8, 4])[0]


def _creator_text(
    rng: random.Random, creator: _Person, contact: _Person, brand: _Brand, n_codes: int
) -> tuple[_Text, list[Planted]]:
    """What a creator writes back: 0-3 codes, each with its video, and the period granted."""
    lang = rng.choices(["en", "es", "de", "fr"], [82, 6, 6, 6])[0]
    days = rng.choice([7, 30, 30, 30, 60, 60, 60, 90, 365])
    stated = rng.random() < 0.9
    period = _period_phrase(rng, days, lang)
    codes = [_spark_code(rng) for _ in range(n_codes)]
    videos = [_video(rng, creator.handle) for _ in range(n_codes)]
    planted = [Planted(c, days if stated else None, v) for c, v in zip(codes, videos, strict=True)]

    def code(i: int) -> _Code:
        return _Code(codes[i], _code_style(rng))

    def link(i: int) -> _Link:
        anchor = None if rng.random() < 0.7 else rng.choice(["here", "my video", "the video"])
        return _Link(videos[i], anchor)

    sign = [
        _lines("Best,", creator.first),
        _lines("xx", creator.first, f"@{creator.handle}"),
        _lines("Thank you!", creator.name, f"TikTok / IG: @{creator.handle}"),
        _lines("Cheers,", creator.first, "Sent from my iPhone"),
    ][rng.randrange(4)]
    tags = f"Caption used: {rng.choice(['Obsessed', 'Day 14 update', 'Honest review'])} #ad "
    tags += f"#{brand.tag} #fyp"

    if n_codes == 0:
        text: _Text = [
            _lines(f"Hi {contact.first},"),
            _lines(
                rng.choice(
                    [
                        "The video goes live on Friday, I'll send the Spark code right after!",
                        "Quick question before I post: can I use a trending sound?",
                        "The code is in the screenshot attached, let me know if it works.",
                        "Thanks for the package, it arrived today 🙏",
                    ]
                )
            ),
            sign,
        ]
        return text, []

    if lang != "en":
        label, video_word, hello = {
            "es": ("Aquí está mi código Spark: ", "El video: ", "¡Hola"),
            "de": ("Hier ist mein Spark-Ads-Code: ", "Video: ", "Hallo"),
            "fr": ("Voici mon code d'autorisation : ", "La vidéo : ", "Bonjour"),
        }[lang]
        body: list[list[_Line]] = []
        for i in range(n_codes):
            body.append([[video_word, link(i)], [label, code(i)]])
        if stated:
            body.append(_lines(period.capitalize() + "."))
        return [_lines(f"{hello} {contact.first},"), *body, sign], planted

    if n_codes == 1:
        variant = rng.randrange(5)
        said = (period[0].upper() + period[1:] + ".") if stated else "Let me know what you need!"
        if variant == 0:
            text = [
                _lines(f"Hi {contact.first},"),
                _lines(
                    [
                        "Thanks so much for having me on this campaign! The video is live: ",
                        link(0),
                    ]
                ),
                _lines(["Here's my Spark Ads code: ", code(0)]),
                _lines(said + " Let me know if you need anything else!"),
                sign,
            ]
        elif variant == 1:
            head = f"Spark code ({period}):" if stated else "Spark code:"
            text = [
                _lines(f"Hey {contact.first}!"),
                _lines(["Just posted 🎉 ", link(0)], head, [code(0)]),
                _lines(tags),
                sign,
            ]
        elif variant == 2:
            text = [
                _lines("Hello,"),
                _lines(f"Please find my authorization code below for the {brand.name} video."),
                _lines([code(0)]),
                _lines(["Video link: ", link(0)], said),
                sign,
            ]
        elif variant == 3:
            ends = rng.choice([", ", ". ", " (", " - "])
            after = {", ": "and ", ". ": "It's ", " (": "", " - ": ""}[ends]
            tail = f"{after}{period}" if stated else f"{after}thanks again"
            close = ")" if ends == " (" else "."
            text = [
                _lines(f"Hi {contact.first}, hope you're well!"),
                _lines(["My ad code is ", code(0), f"{ends}{tail}{close}"]),
                _lines(["Here's the post: ", link(0)]),
                sign,
            ]
        else:
            text = [
                _lines(f"Hi {brand.name} team,"),
                _lines(
                    "The video is up and the ad authorization is on. Details:",
                    ["• Video: ", link(0)],
                    ["• Spark Ads code: ", code(0)],
                    f"• Duration: {period}" if stated else "• Duration: as discussed",
                ),
                _lines(tags),
                sign,
            ]
        return text, planted

    items: list[list[_Line]] = []
    for i in range(n_codes):
        items.append([[f"Video {i + 1}: ", link(i)], ["Code: ", code(i)]])
    intro = f"All {n_codes} videos are up! Codes below"
    intro += f", each {period}:" if stated else ":"
    text = [
        _lines(f"Hi {contact.first},"),
        _lines(intro),
        *items,
        _lines("Let me know if any of them don't work."),
        sign,
    ]
    return text, planted


# --------------------------------------------------------------------------- client renderings


@dataclass(slots=True)
class _Body:
    """One author's message body as its client writes both parts (the HTML without a wrapper)."""

    plain: str
    html: str


def _attribution(client: str, who: _Person, dt: datetime) -> str:
    if client == "gmail":
        return f"On {_when(dt, 'gmail')} {who.angle} wrote:"
    if client == "apple":
        return f"On {_when(dt, 'apple_reply')}, {who.angle} wrote:"
    return f"On {_when(dt, 'yahoo')}, {who.angle} wrote:"


def _header_block(client: str, who: _Person, to: _Person, dt: datetime, subject: str) -> list[str]:
    if client == "outlook":
        return [
            f"From: {who.angle}",
            f"Sent: {_when(dt, 'outlook')}",
            f"To: {to.angle}",
            f"Subject: {subject}",
        ]
    if client == "apple":
        return [
            f"From: {who.angle}",
            f"Subject: {subject}",
            f"Date: {_when(dt, 'apple')}",
            f"To: {to.angle}",
        ]
    return [
        f"From: {who.angle}",
        f"Date: {_when(dt, 'gmail')}",
        f"Subject: {subject}",
        f"To: {to.angle}",
    ]


def _html_mail(who: _Person) -> str:
    return f'{escape(who.name)} &lt;<a href="mailto:{who.addr}">{who.addr}</a>&gt;'


def _reply(
    client: str,
    rng: random.Random,
    words: _Text,
    quoted: _Body,
    quoted_from: _Person,
    quoted_to: _Person,
    quoted_at: datetime,
    quoted_subject: str,
) -> _Body:
    """`words` on top of the earlier message, quoted the way `client` quotes."""
    plain = _plain(words, client)
    html = _html(words, client, rng)
    if client == "outlook":
        block = _header_block("outlook", quoted_from, quoted_to, quoted_at, quoted_subject)
        plain += "\n\n________________________________\n" + "\n".join(block) + "\n\n"
        plain += quoted.plain
        labels = "".join(
            f"<b>{line.split(':', 1)[0]}:</b>{escape(line.split(':', 1)[1])}<br>" for line in block
        )
        html += (
            '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in">'
            f'<p class="MsoNormal">{labels}</p></div>{quoted.html}'
        )
        return _Body(plain, html)
    attribution = _attribution(client, quoted_from, quoted_at)
    if client == "gmail":
        wrapped = attribution
        if len(attribution) > 76 and rng.random() < 0.5:  # Gmail wraps a long attribution line
            wrapped = attribution[: -len(" wrote:")] + "\nwrote:"
        plain += f"\n\n{wrapped}\n\n" + _quote(quoted.plain)
        html = (
            f'<div dir="ltr">{html}</div><br><div class="gmail_quote"><div dir="ltr" '
            f'class="gmail_attr">{escape(attribution[: -len(" wrote:")])} wrote:<br></div>'
            '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px '
            f'solid rgb(204,204,204);padding-left:1ex">{quoted.html}</blockquote></div>'
        )
        return _Body(plain, html)
    if client == "apple":
        plain += "\n\n" + _quote(attribution + "\n\n" + quoted.plain)
        html = (
            f'<div dir="ltr">{html}</div><div dir="ltr"><br><blockquote type="cite">'
            f"{escape(attribution)}<br><br></blockquote></div>"
            f'<blockquote type="cite"><div dir="ltr">{quoted.html}</div></blockquote>'
        )
        return _Body(plain, html)
    plain += f"\n\n{attribution}\n\n" + _quote(quoted.plain)
    html = (
        '<div style="font-family:Helvetica Neue, Helvetica, Arial, sans-serif;font-size:13px;">'
        f'{html}</div><div class="yahoo_quoted"><div style="font-family:\'Helvetica Neue\', '
        'Helvetica, Arial, sans-serif;font-size:13px;color:#26282a;">'
        f"<div>{escape(attribution)}</div><div><br></div><div><br></div>{quoted.html}</div></div>"
    )
    return _Body(plain, html)


def _forward(
    client: str,
    rng: random.Random,
    note: _Text,
    inner: _Body,
    inner_from: _Person,
    inner_to: _Person,
    inner_at: datetime,
    inner_subject: str,
) -> _Body:
    """`note` above an inline forward of an earlier message, as `client` forwards."""
    plain = _plain(note, client)
    html = _html(note, client, rng)
    block = _header_block(client, inner_from, inner_to, inner_at, inner_subject)
    if client == "outlook":
        plain += "\n\n________________________________\n" + "\n".join(block) + "\n\n" + inner.plain
        labels = "".join(
            f"<b>{line.split(':', 1)[0]}:</b>{escape(line.split(':', 1)[1])}<br>" for line in block
        )
        html += (
            '<hr style="display:inline-block;width:98%" tabindex="-1"><div id="divRplyFwdMsg" '
            'dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">'
            f'{labels}</font><div>&nbsp;</div></div><div class="WordSection1">{inner.html}</div>'
        )
        return _Body(plain, html)
    if client == "apple":
        plain += "\n\nBegin forwarded message:\n\n" + "\n".join(block) + "\n\n" + inner.plain
        rows = "".join(
            '<div style="margin:0px;"><span style="font-family:-webkit-system-font, Helvetica Neue,'
            f' Helvetica, sans-serif;"><b>{line.split(":", 1)[0]}: </b></span><span '
            'style="font-family:-webkit-system-font, Helvetica Neue, Helvetica, sans-serif;">'
            f"{escape(line.split(':', 1)[1].strip())}<br></span></div>"
            for line in block
        )
        html += (
            '<div dir="ltr"><br><blockquote type="cite"><div>Begin forwarded message:</div>'
            f'<br class="Apple-interchange-newline">{rows}<br>{inner.html}</blockquote></div>'
        )
        return _Body(plain, html)
    marker = "---------- Forwarded message ---------"
    plain += f"\n\n{marker}\n" + "\n".join(block) + "\n\n\n" + inner.plain
    html = (
        f'<div dir="ltr">{html}<br><br><div class="gmail_quote"><div dir="ltr" '
        f'class="gmail_attr">{marker}<br>From: <strong class="gmail_sendername" dir="auto">'
        f'{escape(inner_from.name)}</strong> <span dir="auto">&lt;<a href="mailto:'
        f'{inner_from.addr}">{inner_from.addr}</a>&gt;</span><br>Date: '
        f"{_when(inner_at, 'gmail')}<br>Subject: {escape(inner_subject)}<br>To: "
        f"{_html_mail(inner_to)}<br></div><br><br>{inner.html}</div></div>"
    )
    return _Body(plain, html)


_WORD_CSS = """
<!--
/* Font Definitions */
@font-face {font-family:"Cambria Math"; panose-1:2 4 5 3 5 4 6 3 2 4;}
@font-face {font-family:Calibri; panose-1:2 15 5 2 2 2 4 3 2 4;}
@font-face {font-family:Aptos; panose-1:2 11 0 4 2 2 2 2 2 4;}
/* Style Definitions */
p.MsoNormal, li.MsoNormal, div.MsoNormal
  {margin:0in; font-size:11.0pt; font-family:"Aptos",sans-serif; mso-ligatures:standardcontextual;}
a:link, span.MsoHyperlink {mso-style-priority:99; color:#467886; text-decoration:underline;}
a:visited, span.MsoHyperlinkFollowed {mso-style-priority:99; color:#96607D; text-decoration:underline;}
span.EmailStyle17 {mso-style-type:personal-compose; font-family:"Aptos",sans-serif; color:windowtext;}
span.EmailStyle20 {mso-style-type:personal-reply; font-family:"Aptos",sans-serif; color:windowtext;}
.MsoChpDefault {mso-style-type:export-only; font-size:10.0pt; mso-ligatures:none;}
@page WordSection1 {size:8.5in 11.0in; margin:1.0in 1.0in 1.0in 1.0in;}
div.WordSection1 {page:WordSection1;}
/* List Definitions */
@list l0 {mso-list-id:1185366318; mso-list-type:hybrid; mso-list-template-ids:-1 67698689 67698691;}
@list l0:level1 {mso-level-number-format:bullet; mso-level-text:\\F0B7; mso-level-tab-stop:none;
  mso-level-number-position:left; text-indent:-.25in; font-family:Symbol;}
ol {margin-bottom:0in;}
ul {margin-bottom:0in;}
-->
"""


def _document(client: str, html: str) -> str:
    """The text/html part as each client sends it around the body it wrote."""
    if client == "gmail":
        return html
    if client == "outlook":
        return (
            '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:'
            'office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://'
            'schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">'
            '<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
            '<meta name="Generator" content="Microsoft Word 15 (filtered medium)">'
            f"<style>{_WORD_CSS}</style></head>"
            '<body lang="EN-US" link="#467886" vlink="#96607D" style="word-wrap:break-word">'
            f'<div class="WordSection1">{html}</div></body></html>'
        )
    if client == "apple":
        return (
            '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8">'
            '</head><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; '
            f'line-break: after-white-space;">{html}</body></html>'
        )
    return f'<html><head></head><body><div class="ydp6a2c5e1fyahoo-style-wrap">{html}</div></body></html>'


# --------------------------------------------------------------------------- MIME assembly


def _transport(
    rng: random.Random, client: str, sender: _Person, rcpt: str, dt: datetime
) -> list[tuple[str, str]]:
    """Received, authentication and client headers, as a receiving server would have stored."""
    domain = sender.addr.split("@")[1]
    rcpt_domain = rcpt.split("@")[1]
    got = dt + timedelta(seconds=rng.randrange(1, 40))
    ip = f"209.85.{rng.randrange(128, 255)}.{rng.randrange(1, 254)}"
    token = base64.b64encode(rng.randbytes(128)).decode()
    sig = " ".join(token[i : i + 64] for i in range(0, len(token), 64))
    bh = base64.b64encode(rng.randbytes(32)).decode()
    headers = [
        (
            "Received",
            f"from mx.{rcpt_domain} (mx.{rcpt_domain} [10.{rng.randrange(255)}.0.7]) by "
            f"imap.{rcpt_domain} with LMTP id {rng.randbytes(8).hex()} for <{rcpt}>; "
            f"{email.utils.format_datetime(got)}",
        ),
        (
            "Received",
            f"from mail-{rng.choice(['sor', 'wr1', 'pj1'])}-f{rng.randrange(10, 99)}.{domain} "
            f"([{ip}]) by mx.{rcpt_domain} with ESMTPS id {rng.randbytes(6).hex()} for <{rcpt}> "
            f"(version=TLS1_3 cipher=TLS_AES_256_GCM_SHA384); {email.utils.format_datetime(dt)}",
        ),
        (
            "Authentication-Results",
            f"mx.{rcpt_domain}; dkim=pass header.i=@{domain} header.s=s{rng.randrange(1, 9)} "
            f"header.b={token[:8]}; spf=pass (domain of {sender.addr} designates {ip} as "
            f"permitted sender) smtp.mailfrom={sender.addr}; dmarc=pass (p=NONE) header.from={domain}",
        ),
        (
            "DKIM-Signature",
            f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={domain}; s=20230601; t={int(dt.timestamp())};"
            " h=to:subject:message-id:date:from:in-reply-to:references:mime-version:"
            f" from:to:cc:subject:date:message-id:reply-to; bh={bh}; b={sig}",
        ),
    ]
    if client == "gmail":
        state = base64.b64encode(rng.randbytes(90)).decode()
        headers.append(("X-Gm-Message-State", " ".join(state[k : k + 60] for k in (0, 60))))
        headers.append(
            ("X-Google-Smtp-Source", base64.b64encode(rng.randbytes(45)).decode().rstrip("="))
        )
    elif client == "outlook":
        headers += [
            ("Thread-Topic", "Spark code"),
            ("Thread-Index", base64.b64encode(rng.randbytes(22)).decode()),
            ("X-MS-Has-Attach", ""),
            ("X-MS-TNEF-Correlator", ""),
            ("x-ms-exchange-organization-scl", "1"),
            ("X-MS-Exchange-CrossTenant-id", str(_uuid(rng))),
            ("Content-Language", "en-US"),
        ]
    elif client == "apple":
        headers.append(("X-Mailer", "iPhone Mail (22B91)"))
    elif client == "yahoo":
        headers.append(("X-Mailer", "WebService/1.1.23040 YMailNorrin"))
    else:  # a bulk sender
        headers += [
            ("List-Unsubscribe", f"<https://{domain}/u?id={rng.randbytes(6).hex()}>"),
            ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            ("Feedback-ID", f"{rng.randrange(10**6)}:{rng.randrange(10**4)}:esp"),
            ("X-SES-Outgoing", f"{dt:%Y.%m.%d}-54.240.{rng.randrange(255)}.{rng.randrange(255)}"),
        ]
    return headers


def _uuid(rng: random.Random) -> str:
    h = rng.randbytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _message_id(rng: random.Random, client: str) -> str:
    if client == "gmail":
        token = base64.urlsafe_b64encode(rng.randbytes(27)).decode()
        return f"<CA+{token}@mail.gmail.com>"
    if client == "outlook":
        return (
            f"<SN6PR04MB{rng.randrange(1000, 9999)}{rng.randbytes(10).hex().upper()}@"
            "SN6PR04MB4527.namprd04.prod.outlook.com>"
        )
    if client == "apple":
        return f"<{_uuid(rng).upper()}@icloud.com>"
    return f"<{rng.randbytes(12).hex()}.{rng.randrange(10**6)}@mail.example>"


def _text_cte(rng: random.Random, text: str) -> str:
    r = rng.random()
    if r < 0.2:
        return "base64"
    if r < 0.35 and max(map(len, text.split("\n")), default=0) < 900:
        return "8bit" if not text.isascii() else "7bit"
    return "quoted-printable"


def _headers(
    msg: EmailMessage,
    rng: random.Random,
    client: str,
    sender: _Person,
    to: Sequence[_Person],
    cc: Sequence[_Person],
    subject: str,
    dt: datetime,
    transport: bool,
) -> None:
    rcpt = to[0].addr
    if transport:
        for name, value in _transport(rng, client, sender, rcpt, dt):
            msg[name] = value
    msg["From"] = sender.address
    msg["To"] = [p.address for p in to]
    if cc:
        msg["Cc"] = [p.address for p in cc]
    msg["Subject"] = subject
    msg["Date"] = email.utils.format_datetime(dt)
    msg["Message-ID"] = _message_id(rng, client)
    msg["MIME-Version"] = "1.0"


def _body_parts(
    msg: EmailMessage, rng: random.Random, client: str, body: _Body, html_only: bool
) -> None:
    doc = _document(client, body.html)
    if html_only:
        msg.set_content(doc, subtype="html", charset="utf-8", cte=_text_cte(rng, doc))
        return
    msg.set_content(body.plain, charset="utf-8", cte=_text_cte(rng, body.plain))
    msg.add_alternative(doc, subtype="html", charset="utf-8", cte=_text_cte(rng, doc))


def _attach(msg: EmailMessage, rng: random.Random, what: str, creator: _Person) -> None:
    if what == "png":
        size = rng.randrange(10 * 1024, 60 * 1024)
        name = rng.choice([f"IMG_{rng.randrange(1000, 9999)}.PNG", "Screenshot 2026-01-09.png"])
        msg.add_attachment(_png(rng, size), maintype="image", subtype="png", filename=name)
    elif what == "pdf":
        size = rng.randrange(10 * 1024, 60 * 1024)
        title = f"{creator.name} Media Kit 2026"
        msg.add_attachment(
            _pdf(rng, size, title),
            maintype="application",
            subtype="pdf",
            filename=f"{_ascii(creator.first)}_{_ascii(creator.last)}_media_kit.pdf",
        )


def _boundaries(msg: Message, rng: random.Random, client: str) -> None:
    """Fixed boundaries, in each client's style (the stdlib would draw random ones)."""
    for part in msg.walk():
        if part is not msg and "From" not in part:
            del part["MIME-Version"]  # the stdlib writes one into every part it builds
        if not part.is_multipart() or part.get_content_maintype() != "multipart":
            continue
        if client == "gmail":
            b = "000000000000" + rng.randbytes(8).hex()
        elif client == "outlook":
            b = f"_000_SN6PR04MB4527{rng.randbytes(8).hex().upper()}namp_"
        elif client == "apple":
            b = "Apple-Mail=_" + _uuid(rng).upper()
        else:
            b = "----=_Part_" + str(rng.randrange(10**6)) + "_" + str(rng.randrange(10**9))
        part.set_boundary(b)


# --------------------------------------------------------------------------- one message

_KINDS = {
    "reply_gmail": 20,
    "reply_outlook": 10,
    "reply_apple": 7,
    "fresh": 8,
    "reply_yahoo_html": 3,
    "brand_reply": 7,
    "forward_gmail": 12,
    "forward_outlook": 8,
    "forward_apple": 5,
    "forward_rfc822": 5,
    "newsletter": 15,
}


def _n_codes(rng: random.Random) -> int:
    return rng.choices([0, 1, 2, 3], [10, 70, 13, 7])[0]


def _build(seed: int, i: int, rows: int) -> tuple[Sample, int]:
    """Message `i` with `rows` product rows in the quoted brief; also its target size.

    Every random choice comes from generators seeded by (seed, i), drawn in the same order
    whatever `rows` is, so changing `rows` changes the size and nothing else.
    """
    rng = random.Random(f"sparkcodes-bench/{seed}/{i}")
    target = int(math.exp(rng.uniform(math.log(MIN_BYTES), math.log(MAX_BYTES))))
    kind = rng.choices(list(_KINDS), list(_KINDS.values()))[0]
    brand = rng.choice(_BRANDS)
    contact = _contact(rng, brand)
    inbox = _Person("Partnerships", brand.name, f"partners@{brand.domain}")
    brief_seed = f"{seed}/{i}/brief"
    sent = datetime(2026, 1, 5, 8, 0, tzinfo=timezone(timedelta(hours=-8)))
    sent += timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
    client = {
        "reply_gmail": "gmail",
        "reply_outlook": "outlook",
        "reply_apple": "apple",
        "reply_yahoo_html": "yahoo",
        "fresh": rng.choice(["gmail", "apple"]),
    }.get(kind, rng.choice(["gmail", "gmail", "outlook", "apple"]))
    creator = _creator(rng, client)
    replied = (sent + timedelta(hours=rng.randrange(2, 240))).astimezone(_tz(rng))
    html_only = rng.random() < (0.7 if kind == "newsletter" else 1.0 if "html" in kind else 0.02)
    attachment = rng.choices(["", "png", "pdf"], [80, 12, 8])[0]
    if kind == "fresh":
        attachment = "png"

    if kind == "newsletter":
        brief = _brief(brief_seed, brand, contact, creator, rows, newsletter=True)
        msg = EmailMessage(policy=POLICY)
        _headers(msg, rng, "bulk", inbox, [creator], [], brief.subject, sent, True)
        if html_only:
            msg.set_content(brief.html_doc, subtype="html", charset="utf-8", cte="quoted-printable")
        else:
            msg.set_content(brief.plain, charset="utf-8", cte="quoted-printable")
            msg.add_alternative(
                brief.html_doc,
                subtype="html",
                charset="utf-8",
                cte=_text_cte(rng, brief.html_doc),
            )
        _boundaries(msg, rng, "bulk")
        return Sample(msg.as_bytes(policy=POLICY), kind, ()), target

    brief = _brief(brief_seed, brand, contact, creator, rows, newsletter=False)
    n = _n_codes(rng)
    words, planted = _creator_text(rng, creator, contact, brand, n)
    brief_body = _Body(brief.plain, brief.html_body)
    re_subject = "Re: " + brief.subject

    def creator_reply(c: str) -> _Body:
        return _reply(c, rng, words, brief_body, contact, creator, sent, brief.subject)

    if kind == "fresh":
        subject = rng.choice(["Spark code 🎬", f"{brand.name} video + code", "Ad code"])
        body = _Body(_plain(words, client), _html(words, client, rng))
        msg = _mail(rng, client, creator, [contact], [inbox], subject, replied, body, html_only)
    elif kind.startswith("reply_"):
        body = creator_reply(client)
        msg = _mail(rng, client, creator, [contact], [inbox], re_subject, replied, body, html_only)
    elif kind == "brand_reply":
        inner = creator_reply(rng.choice(["gmail", "apple", "yahoo"]))
        note = [_lines(f"Hi {creator.first},"), _lines(_brand_note(rng)), _lines(contact.first)]
        brand_client = rng.choice(["gmail", "outlook"])
        at = replied + timedelta(hours=rng.randrange(1, 30))
        body = _reply(brand_client, rng, note, inner, creator, contact, replied, re_subject)
        msg = _mail(
            rng, brand_client, contact, [creator], [inbox], "Re: " + re_subject, at, body, html_only
        )
    else:  # a forward, inline or as an attachment, by the brand or its agency
        agency = rng.random() < 0.4
        if agency:
            _agency_name, adomain = rng.choice(_AGENCIES)
            first, last = rng.choice(_CONTACTS)
            forwarder = _Person(first, last, f"{first.lower()}.{last.lower()}@{adomain}")
        else:
            forwarder = contact
        inner_client = rng.choice(["gmail", "outlook", "apple"])
        inner = creator_reply(inner_client)
        note = [_lines(_forward_note(rng, creator)), _lines(forwarder.first)]
        at = replied + timedelta(hours=rng.randrange(1, 48))
        fclient = {"forward_gmail": "gmail", "forward_outlook": "outlook"}.get(
            kind, "apple" if kind == "forward_apple" else rng.choice(["gmail", "outlook"])
        )
        fw = "FW: " if fclient == "outlook" else "Fwd: "
        if kind == "forward_rfc822":
            inner_msg = _mail(
                rng, inner_client, creator, [contact], [], re_subject, replied, inner, False
            )
            if attachment:
                _attach(inner_msg, rng, attachment, creator)
                attachment = ""
            _boundaries(inner_msg, rng, inner_client)
            body = _Body(_plain(note, fclient), _html(note, fclient, rng))
            msg = _mail(rng, fclient, forwarder, [inbox], [], fw + re_subject, at, body, False)
            msg.add_attachment(inner_msg, filename=f"{re_subject[:40]}.eml")
        else:
            body = _forward(fclient, rng, note, inner, creator, contact, replied, re_subject)
            msg = _mail(rng, fclient, forwarder, [inbox], [], fw + re_subject, at, body, html_only)
        client = fclient
    if attachment:
        _attach(msg, rng, attachment, creator)
    _boundaries(msg, rng, client)
    return Sample(msg.as_bytes(policy=POLICY), kind, tuple(planted)), target


def _mail(
    rng: random.Random,
    client: str,
    sender: _Person,
    to: Sequence[_Person],
    cc: Sequence[_Person],
    subject: str,
    dt: datetime,
    body: _Body,
    html_only: bool,
) -> EmailMessage:
    msg = EmailMessage(policy=POLICY)
    _headers(msg, rng, client, sender, to, cc, subject, dt, True)
    _body_parts(msg, rng, client, body, html_only)
    return msg


def _brand_note(rng: random.Random) -> str:
    return rng.choice(
        [
            "Got it, thank you! We'll launch the ads on Monday.",
            "Thanks so much, the code works. Invoice away!",
            "Perfect, received. Loved the video 🙌",
        ]
    )


def _forward_note(rng: random.Random, creator: _Person) -> str:
    return rng.choice(
        [
            f"FYI, code from @{creator.handle} below.",
            "Forwarding this one, can you add it to the sheet?",
            "See below 👇",
            f"{creator.first}'s code for the campaign, please set up the ad.",
        ]
    )


def _calibrated(seed: int, i: int) -> Sample:
    """Message `i` grown or shrunk (by its quoted brief's rows) to its drawn target size."""
    small, target = _build(seed, i, 0)
    if len(small.raw) >= target:
        return small
    big, _ = _build(seed, i, 8)
    slope = (len(big.raw) - len(small.raw)) / 8
    if slope <= 0:
        return small
    rows = max(0, round((target - len(small.raw)) / slope))
    sample, _ = _build(seed, i, rows)
    while len(sample.raw) > MAX_BYTES and rows > 0:
        rows -= 1
        sample, _ = _build(seed, i, rows)
    while len(sample.raw) < MIN_BYTES:
        rows += 1
        sample, _ = _build(seed, i, rows)
    return sample


# --------------------------------------------------------------------------- description


def describe(messages: Sequence[bytes]) -> dict[str, Any]:
    """Count, sizes and the share of HTML-only, with-attachment and forwarded messages."""
    sizes = sorted(len(m) for m in messages)
    html_only = attached = forwarded = replies = multipart_alt = 0
    encodings: dict[str, int] = {}
    for raw in messages:
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        subject = str(msg.get("Subject", "")).lower()
        leaves = list(_leaves(msg))
        types = [p.get_content_type() for p in leaves]
        if "text/html" in types and "text/plain" not in types:
            html_only += 1
        if any(p.get_content_type() == "multipart/alternative" for p in msg.walk()):
            multipart_alt += 1
        if any(p.get_content_disposition() == "attachment" for p in msg.walk()):
            attached += 1
        rfc822 = any(p.get_content_type() == "message/rfc822" for p in msg.walk())
        if subject.startswith(("fwd:", "fw:")) or rfc822:
            forwarded += 1
        elif subject.startswith("re:"):
            replies += 1
        for p in leaves:
            if p.get_content_maintype() == "text":
                cte = str(p.get("Content-Transfer-Encoding", "7bit")).lower()
                encodings[cte] = encodings.get(cte, 0) + 1
    n = len(messages)

    def pct(q: float) -> int:
        return sizes[min(n - 1, round(q * (n - 1)))] if n else 0

    def share(k: int) -> float:
        return round(k / n, 3) if n else 0.0

    return {
        "messages": n,
        "total_bytes": sum(sizes),
        "size_bytes": {
            "min": pct(0),
            "p10": pct(0.1),
            "p50": pct(0.5),
            "p90": pct(0.9),
            "p99": pct(0.99),
            "max": pct(1),
        },
        "share_html_only": share(html_only),
        "share_multipart_alternative": share(multipart_alt),
        "share_with_attachments": share(attached),
        "share_forwarded": share(forwarded),
        "share_replies": share(replies),
        "text_part_encodings": dict(sorted(encodings.items())),
    }


def _leaves(msg: Message) -> list[Message]:
    """The body parts of the top message, not descending into an attached message."""
    out: list[Message] = []
    stack = [msg]
    while stack:
        part = stack.pop()
        if part.get_content_type() == "message/rfc822":
            continue
        if part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(p for p in reversed(payload) if isinstance(p, Message))
        elif part.get_content_disposition() != "attachment":
            out.append(part)
    return out


def _main() -> None:
    import argparse
    import json
    import sys
    from pathlib import Path

    ap = argparse.ArgumentParser(description="Write the benchmark corpus as .eml files.")
    ap.add_argument("out", type=Path)
    ap.add_argument("--messages", type=int, default=50)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    samples = generate_detailed(args.messages, args.seed)
    for k, s in enumerate(samples):
        (args.out / f"{k:04d}-{s.kind}.eml").write_bytes(s.raw)
    json.dump(describe([s.raw for s in samples]), sys.stdout, indent=2)
    print()


if __name__ == "__main__":
    _main()
