"""Review reasons that come beside rows, and the ops team's rules from the config."""

from __future__ import annotations

from email.message import EmailMessage

from parsers.extract import extract
from parsers.options import Campaign, Options
from parsers.records import Reason, failure_id
from tests.pipeline.mailgen import code_for

A, B, C = code_for(1, "r"), code_for(2, "r"), code_for(3, "r")
V1 = "https://www.tiktok.com/@mia/video/7300000000000000001"
V2 = "https://www.tiktok.com/@mia/video/7300000000000000002"


def mail(
    body: str,
    subject: str = "codes",
    to: str = "spark@brand.example",
    sender: str = "mia@example.net",
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Mia <{sender}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Tue, 03 Nov 2026 10:00:00 +0000"
    msg["Message-ID"] = "<review@example.net>"
    msg.set_content(body)
    return msg.as_bytes()


def test_codes_and_videos_that_cannot_be_paired() -> None:
    body = f"My two videos:\n{V1}\n{V2}\n\nAnd the codes, in no particular order:\n\n{A}\n\n{B}\n\n{C}\n"
    result = extract(mail(body), "t")
    assert [r.spark_code for r in result.rows] == [A, B, C]
    assert result.failure is not None and result.failure.reason is Reason.UNPAIRED_CODES
    assert "without a video" in result.failure.detail
    assert result.failure.failure_id == failure_id("<review@example.net>")


def test_two_periods_that_cannot_be_told_apart() -> None:
    body = f"Codes:\n{A}\n{B}\nOne is valid for 30 days and the other for 60 days, sorry!\n"
    result = extract(mail(body), "t")
    assert [r.duration_days for r in result.rows] == [None, None]
    assert result.failure is not None and result.failure.reason is Reason.AMBIGUOUS_PERIOD


def test_periods_on_each_codes_line_are_not_ambiguous() -> None:
    body = f"Codes:\n{A} (30 days)\n{B} (60 days)\n"
    result = extract(mail(body), "t")
    assert [r.duration_days for r in result.rows] == [30, 60]
    assert result.failure is None


def test_extra_code_label_and_period_phrase_from_rules() -> None:
    body = f"Freigabeschlüssel {A[1:]}\nGilt für die ganze Kampagne.\n"
    plain = extract(mail(body), "t")
    assert plain.failure is not None and not plain.rows
    rules = Options(code_labels=("Freigabeschlüssel",), period_phrases=(("ganze Kampagne", 60),))
    result = extract(mail(body), "t", options=rules)
    assert [(r.spark_code, r.duration_days) for r in result.rows] == [(A, 60)]


def test_extra_code_label_in_the_html_alternative_only() -> None:
    """A plain part that is a stub, the code in the HTML under the team's own label."""
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "Mia <mia@example.net>", "spark@brand.example", "x"
    msg["Message-ID"] = "<voucher@example.net>"
    msg.set_content("Hi, the details are in the HTML version.")
    msg.add_alternative(f"<p>Voucher: <b>{A[1:]}</b></p>", subtype="html")
    result = extract(msg.as_bytes(), "t", options=Options(code_labels=("voucher",)))
    assert [r.spark_code for r in result.rows] == [A]


def test_campaign_by_subject_tag_plus_address_and_domain() -> None:
    rules = Options(
        campaigns=(
            Campaign("Summer Glow", subject_tag="[Summer Glow]"),
            Campaign("Winter", plus_tag="winter"),
            Campaign("Agency", sender_domain="agency.example"),
        )
    )

    def campaign(**kw: str) -> str | None:
        return extract(mail(f"code {A}", **kw), "t", options=rules).rows[0].identity.campaign

    assert campaign(subject="Re: [summer glow] my code") == "Summer Glow"
    assert campaign(to="spark+winter@brand.example") == "Winter"
    assert campaign(sender="talent@agency.example") == "Agency"
    assert campaign() is None


def test_default_period_is_marked_as_defaulted() -> None:
    result = extract(mail(f"code {A}"), "t", options=Options(default_days=30))
    row = result.rows[0].as_record()
    assert (row["duration_days"], row["duration_source"]) == (30, "default")
    assert row["expires_at"] == "2026-12-03T10:00:00+00:00"


def test_message_too_large() -> None:
    raw = mail("big " * 2000)
    result = extract(raw, "t", options=Options(max_bytes=2000))
    assert result.failure is not None and result.failure.reason is Reason.MESSAGE_TOO_LARGE
    assert result.failure.identity.creator_email == "mia@example.net"  # from the headers alone


def test_undecodable_nesting() -> None:
    parts = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(2000)
    )
    result = extract(b"From: a@b.example\nSubject: deep\n" + parts, "t")
    assert result.failure is not None and result.failure.reason is Reason.UNDECODABLE
    assert "not a readable email" in result.failure.detail


def test_a_code_only_quoted_from_the_brand_is_not_a_new_row() -> None:
    body = (
        f"Hi Jess! New code for the second video: {B} valid for 30 days.\n\n"
        "On Mon, Nov 2, 2026 at 9:00 AM Jess Brand <jess@brand.example> wrote:\n"
        f"> The code you sent ({A}) expires Friday. Could you send a new one,\n"
        "> ideally for 60 days?\n"
    )
    result = extract(mail(body), "t")
    assert [(r.spark_code, r.duration_days, r.identity.creator_email) for r in result.rows] == [
        (B, 30, "mia@example.net")
    ]


def test_a_brand_reply_quoting_the_creators_code_credits_the_creator() -> None:
    body = (
        "Thanks, got it!\n\n"
        "On Mon, Nov 2, 2026 at 9:00 AM Mia <mia@example.net> wrote:\n"
        f"> Here you go: {A} (60 days)\n"
    )
    result = extract(mail(body, sender="jess@brand.example"), "t")
    assert [(r.spark_code, r.duration_days, r.identity.creator_email) for r in result.rows] == [
        (A, 60, "mia@example.net")
    ]
