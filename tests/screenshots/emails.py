"""Emails carrying a generated screenshot the ways creators send them: as an attachment, or as
an inline image (`cid:`) in an HTML body; for the extraction tests that come later."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from tests.screenshots.generate import Screenshot


def screenshot_email(
    shot: Screenshot,
    *,
    inline: bool = False,
    sender: str = "Mia Creator <mia@creator.example>",
    to: str = "spark@brand.example",
    subject: str = "Spark code for my video",
    text: str = "Hi! Here is the code for the video, see the screenshot.",
) -> bytes:
    """An .eml with the screenshot attached, or shown inline in the HTML part."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = make_msgid(idstring=f"shot{shot.seed}", domain="creator.example")
    maintype, subtype = shot.content_type.split("/")
    ext = "png" if subtype == "png" else "jpg"
    msg.set_content(text + "\n")
    if inline:
        cid = make_msgid(idstring=f"img{shot.seed}", domain="creator.example")
        msg.add_alternative(
            f'<html><body><p>{text}</p><p><img src="cid:{cid[1:-1]}" width="320"></p></body></html>',
            subtype="html",
        )
        html = msg.get_payload()[1]
        html.add_related(
            shot.data,
            maintype=maintype,
            subtype=subtype,
            cid=cid,
            disposition="inline",
            filename=f"IMG_{shot.seed:04d}.{ext}",
        )
    else:
        msg.add_attachment(
            shot.data, maintype=maintype, subtype=subtype, filename=f"IMG_{shot.seed:04d}.{ext}"
        )
    return msg.as_bytes()
