"""Emails carrying a generated screenshot the ways creators send them: as an attachment, as an
inline image (`cid:`) in an HTML body, or inside an email forwarded as an attachment."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from tests.screenshots.generate import Screenshot


def image_email(
    data: bytes,
    content_type: str,
    filename: str,
    *,
    inline: bool = False,
    sender: str = "Mia Creator <mia@creator.example>",
    to: str = "spark@brand.example",
    subject: str = "Spark code for my video",
    text: str = "Hi! Here is the code for the video, see the screenshot.",
    tag: str = "img",
) -> EmailMessage:
    """An email with any image bytes attached, or shown inline in the HTML part."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = make_msgid(idstring=tag, domain="creator.example")
    maintype, subtype = content_type.split("/")
    msg.set_content(text + "\n")
    if inline:
        cid = make_msgid(idstring=f"cid-{tag}", domain="creator.example")
        msg.add_alternative(
            f'<html><body><p>{text}</p><p><img src="cid:{cid[1:-1]}" width="320"></p></body></html>',
            subtype="html",
        )
        html = msg.get_payload()[1]
        html.add_related(
            data,
            maintype=maintype,
            subtype=subtype,
            cid=cid,
            disposition="inline",
            filename=filename,
        )
    else:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg


def screenshot_email(shot: Screenshot, *, inline: bool = False, **headers: str) -> bytes:
    """An .eml with the screenshot attached, or shown inline in the HTML part."""
    ext = "png" if shot.content_type == "image/png" else "jpg"
    msg = image_email(
        shot.data,
        shot.content_type,
        f"IMG_{shot.seed:04d}.{ext}",
        inline=inline,
        tag=f"shot{shot.seed}",
        **headers,
    )
    return msg.as_bytes()


def forwarded_as_attachment(
    inner: EmailMessage,
    *,
    sender: str = "Sam Brand <sam@brand.example>",
    to: str = "spark@brand.example",
    text: str = "FYI, the creator's code is in the attached email.",
) -> bytes:
    """A colleague forwarding the creator's email as a message/rfc822 attachment."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = "Fwd: " + str(inner["Subject"])
    msg["Date"] = format_datetime(datetime(2026, 11, 21, 8, 0, tzinfo=UTC))
    msg["Message-ID"] = make_msgid(idstring="fwd", domain="brand.example")
    msg.set_content(text + "\n")
    msg.add_attachment(inner)
    return msg.as_bytes()
