"""Small realistic creator emails with known codes, for the pipeline tests."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime


def code_for(i: int, salt: str = "") -> str:
    """A unique, Spark-shaped code: '#' + 64 base64 characters ending in '='."""
    digest = hashlib.sha512(f"{salt}{i}".encode()).digest()
    return "#" + base64.b64encode(digest[:47]).decode() + "="


def creator_email(i: int, *, salt: str = "", with_code: bool = True, days: int = 30) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Creator {i} <creator{i}@example.net>"
    msg["To"] = "spark@brand.example"
    msg["Subject"] = f"Spark code for video {i}"
    msg["Date"] = format_datetime(datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=i))
    msg["Message-ID"] = f"<creator-{salt}{i}@example.net>"
    if with_code:
        body = (
            f"Hi team!\n\nHere is my Spark code for "
            f"https://www.tiktok.com/@creator{i}/video/{7300000000000000000 + i}\n\n"
            f"{code_for(i, salt)}\n\nIt's valid for {days} days.\n\nxx Creator {i}\n"
        )
    else:
        body = "Hi! I'll send the code tomorrow, promise.\n"
    msg.set_content(body)
    return msg.as_bytes()
