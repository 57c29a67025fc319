"""Decoding damage between the creator's mail client and the code search (issues 9 and 10).

Each email here is shaped the way a real client writes it: an RFC 2047 Subject folded into
two encoded-words, format=flowed soft breaks (quoted, and with DelSp=yes), a code wrapped at
the client's line width, invisible characters, raw 8-bit headers from old mailers, a bare CR
in a header, and files that are not email at all.
"""

from __future__ import annotations

import base64
import random
import re
from datetime import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mailparser.utils import receiveds_parsing

from parsers.extract import extract
from parsers.message import _PLAIN_STAMP, _received_at, collapse_blank_lines, decode, unflow
from parsers.records import Extraction, Reason

# A code with padding, and one without (not every code ends in '=').
CODE = "#Ob5kzYC2/lQ3pR9vFh8wXtE0sN7mKd1UaGcJ4yB6iZrHqT+PeVxW2o3LnMfSgDuA0="
BARE_END = "#Zq8Lk3Hw/Yt5Rm2Nc7Vb1Xs9Pd4Gf6Jh0Ke+Ua3Wo8Ti5Ey2Ql7Zr1Mnx4Vk"
LONG = "#Hq4Tz9Wm2Kx7Rb3Nv8Ls1Pd6Yf0Gc5Ju2Ea+Io7Uk4Qs9Xn3Mt8Vw1Zy6Bh0Dj5Fl2Cr7Ap4Se9Ti3Og8Ku1Wm6Ly"
HEAD = (
    "From: Mia Lopez <mia@creator.example>\n"
    "To: spark@brand.example\n"
    "Date: Mon, 2 Nov 2026 10:00:00 +0000\n"
    "Message-ID: <m1@creator.example>\n"
    "MIME-Version: 1.0\n"
)


# A colleague forwarding the creator's mail as an Outlook-style quote: quoted text that does
# count (a quote that is only the brand's own request never makes a row).
FORWARDED_QUOTE = (
    "From: Ana Ops <ana@brand.example>\n"
    "To: spark@brand.example\n"
    "Date: Mon, 2 Nov 2026 11:00:00 +0000\n"
    "Message-ID: <f1@brand.example>\n"
    "MIME-Version: 1.0\n"
    "Subject: FW: code\n"
)
ATTRIBUTION = "On Mon, 2 Nov 2026 at 10:00, Mia Lopez <mia@creator.example> wrote:\n"


def codes(result: Extraction) -> list[str]:
    return [row.spark_code for row in result.rows]


def run(text: str) -> Extraction:
    return extract(text.encode("utf-8"), "test")


def b64word(text: str) -> str:
    return "=?UTF-8?B?" + base64.b64encode(text.encode()).decode() + "?="


# --- the Subject ------------------------------------------------------------------------


def test_code_in_a_subject_split_across_two_encoded_words() -> None:
    # Thunderbird folds a long Subject into encoded-words; decoded they join with no space.
    subject = f"Spark code {CODE}"
    raw = (
        HEAD
        + f"Subject: {b64word(subject[:30])}\n {b64word(subject[30:])}\n"
        + "Content-Type: text/plain; charset=utf-8\n\nHi! The code is in the subject, 30 days.\n"
    )
    message = decode(raw.encode())
    assert message.subject == subject
    result = run(raw)
    assert codes(result) == [CODE]
    assert result.rows[0].duration_days == 30
    assert result.rows[0].identity.creator_email == "mia@creator.example"


def test_subject_code_of_a_forward_is_the_creators() -> None:
    raw = (
        "From: Ops Person <ops@brand.example>\n"
        "To: spark@brand.example\n"
        "Date: Tue, 3 Nov 2026 09:00:00 +0000\n"
        "Message-ID: <f1@brand.example>\n"
        f"Subject: Fwd: my code {CODE}\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "FYI\n\n---------- Forwarded message ---------\n"
        "From: Mia Lopez <mia@creator.example>\n"
        "Date: Mon, 2 Nov 2026 at 10:00\n"
        f"Subject: my code {CODE}\nTo: <ops@brand.example>\n\nSee subject!\n"
    )
    result = run(raw)
    assert codes(result) == [CODE]
    assert result.rows[0].identity.creator_email == "mia@creator.example"


def test_subject_code_of_a_message_forwarded_as_attachment() -> None:
    inner = (
        "From: Mia Lopez <mia@creator.example>\nTo: ops@brand.example\n"
        "Date: Mon, 2 Nov 2026 10:00:00 +0000\nMessage-ID: <in@creator.example>\n"
        f"Subject: {b64word('code ' + CODE[:40])}\n {b64word(CODE[40:])}\n"
        "Content-Type: text/plain; charset=utf-8\n\nIn the subject, good for 7 days.\n"
    )
    raw = (
        "From: Ops Person <ops@brand.example>\nTo: spark@brand.example\n"
        "Date: Tue, 3 Nov 2026 09:00:00 +0000\nMessage-ID: <f2@brand.example>\n"
        f"Subject: Fwd: code {CODE[:10]}\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="o"\n\n--o\n'
        "Content-Type: text/plain\n\nSee attached.\n--o\nContent-Type: message/rfc822\n\n"
        + inner
        + "--o--\n"
    )
    result = run(raw)
    assert codes(result) == [CODE]
    row = result.rows[0]
    assert row.identity.creator_email == "mia@creator.example"
    assert row.duration_days == 7
    assert row.authorized_at is not None and row.authorized_at.day == 2


def test_codes_in_subject_and_body_are_paired_in_the_body() -> None:
    other = "#Qm3Xv8Lp2Rt6Yn0Kc4Wd7Hs1Fg5Jb9Zt2Uo+Ea6Ni3Pl8Tv4Sx1Cm7Rb0Qk2Hn="
    v1 = "https://www.tiktok.com/@mia/video/7300000000000000001"
    v2 = "https://www.tiktok.com/@mia/video/7300000000000000002"
    body = f"Video 1: {v1}\nCode: {CODE} (7 days)\n\nVideo 2: {v2}\nCode: {other} (60 days)\n"
    result = run(HEAD + f"Subject: codes {CODE} {other}\n\n{body}")
    got = {(r.spark_code, r.video_url, r.duration_days) for r in result.rows}
    assert got == {(CODE, v1, 7), (other, v2, 60)}
    assert result.failure is None


def test_a_hashtag_subject_is_not_a_code() -> None:
    raw = HEAD + "Subject: #GlowBrandPartner2026 #fyp\n\nNo code yet, tomorrow!\n"
    result = run(raw)
    assert not result.rows
    assert result.failure is not None and result.failure.reason is Reason.NO_CODE_FOUND


def test_code_in_a_text_attachment_of_an_html_email() -> None:
    raw = (
        HEAD
        + 'Subject: code attached\nContent-Type: multipart/mixed; boundary="b1"\n\n'
        + "--b1\nContent-Type: text/html; charset=utf-8\n\n<p>Hi, valid 60 days. Code in the file.</p>\n"
        + '--b1\nContent-Type: text/plain; charset=utf-8; name="code.txt"\n'
        + 'Content-Disposition: attachment; filename="code.txt"\nContent-Transfer-Encoding: base64\n\n'
        + base64.b64encode(f"{CODE}\n".encode()).decode()
        + "\n--b1--\n"
    )
    result = run(raw)
    assert codes(result) == [CODE]
    assert result.rows[0].duration_days == 60


# --- format=flowed ------------------------------------------------------------------------

FLOWED = "Content-Type: text/plain; charset=utf-8; format=flowed{}\n\n"


@pytest.mark.parametrize("code", [CODE, BARE_END])
def test_soft_break_inside_a_quoted_code(code: str) -> None:
    # Quoted flowed lines: the '>' of the continuation line is not part of the text (RFC 3676
    # 4.5); joining them gave the first half alone, written as a code.
    body = f"> Here is my code: {code[:45]} \n> {code[45:]}\n> Thanks!\n"
    result = run(FORWARDED_QUOTE + FLOWED.format("") + ATTRIBUTION + body)
    assert codes(result) == [code]


def test_soft_break_with_delsp_yes() -> None:
    body = f"Here is my code: {BARE_END[:45]} \n{BARE_END[45:]}\nThanks!\n"
    assert codes(run(HEAD + "Subject: code\n" + FLOWED.format("; delsp=yes") + body)) == [BARE_END]


def test_soft_break_inside_a_code_without_delsp() -> None:
    # A client that cut a long code at the line width and marked it soft without DelSp.
    body = f"Here is my code: {BARE_END[:45]} \n{BARE_END[45:]}\nThanks!\n"
    assert codes(run(HEAD + "Subject: code\n" + FLOWED.format("") + body)) == [BARE_END]


def test_soft_break_before_prose_keeps_the_space() -> None:
    body = f"My code {BARE_END} \nand it is valid \nfor 30 days.\n"
    result = run(HEAD + "Subject: code\n" + FLOWED.format("") + body)
    assert codes(result) == [BARE_END]
    assert result.rows[0].duration_days == 30


def test_unflow_follows_quote_depth() -> None:
    text = ">> a \n>> b\n> c \n> d\ne \nf\n"
    assert unflow(text) == ">> a b\n> c d\ne f\n"
    assert unflow("> > a \n> > b\n") == ">> a b\n"  # '> >' is depth 2 as well
    # Lines of different depth never join, even after a soft break.
    assert unflow("> a \nb\n") == "> a \nb\n"
    assert unflow("a \r\nb\r\n", delsp=True) == "ab\n"


# --- hard breaks, invisible characters, HTML ----------------------------------------------


@pytest.mark.parametrize("width", [72, 76, 78])
@pytest.mark.parametrize(
    ("lead", "code"),
    [
        ("Hi Ana, as promised here is the Spark Ads code for my video: ", BARE_END),
        ("Code: ", LONG),  # over 40 characters before the break, and no '=' to continue to
        ("> Code: ", LONG),
    ],
)
def test_code_hard_wrapped_at_the_clients_line_width(width: int, lead: str, code: str) -> None:
    line = lead + code
    wrapped = line[:width] + "\n" + ("> " if lead.startswith(">") else "") + line[width:]
    if lead.startswith(">"):
        body = f"{ATTRIBUTION}{wrapped}\n> It is valid for 30 days.\n"
        assert codes(run(FORWARDED_QUOTE + "\n" + body)) == [code]
    else:
        body = f"{wrapped}\nIt is valid for 30 days.\n"
        assert codes(run(HEAD + "Subject: code\n\n" + body)) == [code]


def test_two_codes_on_consecutive_lines_stay_apart() -> None:
    first = "#Qm3Xv8Lp2Rt6Yn0Kc4Wd7Hs1Fg5Jb9Zt2Uo+Ea6Ni3Pl8Tv4Sx1Cm7Rb0Qk2Hn"
    body = f"Codes:\n{first}\n{BARE_END}\nThanks!\n"
    assert codes(run(HEAD + "Subject: codes\n\n" + body)) == [first, BARE_END]


def test_a_code_at_the_line_width_is_not_joined_with_prose() -> None:
    line = f"Here it is Ana: {BARE_END}"
    assert 72 <= len(line) <= 78
    for after in ("Thanks so much!", "Valid 30 days", "x2 videos"):
        assert codes(run(HEAD + f"Subject: code\n\n{line}\n{after}\n")) == [BARE_END]


@pytest.mark.parametrize("char", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])
@pytest.mark.parametrize("at", [12, 50])
def test_zero_width_characters_inside_a_code(char: str, at: int) -> None:
    code = CODE[:at] + char + CODE[at:]
    assert codes(run(HEAD + f"Subject: code\n\nCode: {code}\nThanks\n")) == [CODE]


@pytest.mark.parametrize("char", ["\u00a0", "\u202f"])
@pytest.mark.parametrize("code", [CODE, BARE_END])
def test_no_break_space_inside_a_code(char: str, code: str) -> None:
    damaged = code[:50] + char + code[50:]
    assert codes(run(HEAD + f"Subject: code\n\nCode:{char}{damaged}{char}\nThanks\n")) == [code]


HTML = "Content-Type: text/html; charset=utf-8\n\n"


@pytest.mark.parametrize(
    "markup",
    [
        f"<p>Code: {CODE[:30]}<wbr>{CODE[30:60]}<wbr/>{CODE[60:]}</p>",
        "<p>Code: " + "".join(f"<span>{CODE[i : i + 9]}</span>" for i in range(0, 70, 9)) + "</p>",
        f"<p>Code: {CODE[:30]}&#8203;{CODE[30:60]}&#x200B;{CODE[60:]}</p>",
        f"<table><tr><td>Video</td><td>Code</td></tr><tr><td>mine</td><td>{CODE}</td></tr></table>",
    ],
)
def test_code_split_by_html(markup: str) -> None:
    assert codes(run(HEAD + "Subject: code\n" + HTML + markup)) == [CODE]


def test_codes_in_adjacent_table_cells_stay_apart() -> None:
    markup = f"<table><tr><td>{CODE}</td><td>{BARE_END}</td></tr></table>"
    assert codes(run(HEAD + "Subject: codes\n" + HTML + markup)) == [CODE, BARE_END]


# --- headers ------------------------------------------------------------------------------


def test_raw_latin1_headers_from_an_old_mailer() -> None:
    raw = (
        b"From: J\xfcrgen M\xfcller <jm@creator.example>\n"
        b"To: spark@brand.example\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n"
        b"Message-ID: <l1@creator.example>\nSubject: Code f\xfcr das Video\n"
        b"Content-Type: text/plain; charset=iso-8859-1\n\nMein Code: " + CODE.encode() + b"\n"
    )
    result = extract(raw, "test")
    assert codes(result) == [CODE]
    identity = result.rows[0].identity
    assert identity.creator_name == "Jürgen Müller"
    assert identity.subject == "Code für das Video"


def test_raw_latin1_headers_of_a_message_forwarded_as_attachment() -> None:
    inner = (
        b"From: J\xfcrgen M\xfcller <jm@creator.example>\nTo: ops@brand.example\n"
        b"Date: Mon, 2 Nov 2026 10:00:00 +0000\nSubject: Code f\xfcr das Video\n"
        b"Content-Type: text/plain; charset=iso-8859-1\n\nMein Code: " + CODE.encode() + b"\n"
    )
    raw = (
        b"From: Ops <ops@brand.example>\nTo: spark@brand.example\nSubject: Fwd\n"
        b"Date: Tue, 3 Nov 2026 09:00:00 +0000\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/mixed; boundary="o"\n\n--o\nContent-Type: text/plain\n\n'
        b"See attached.\n--o\nContent-Type: message/rfc822\n\n" + inner + b"--o--\n"
    )
    result = extract(raw, "test")
    assert codes(result) == [CODE]
    assert result.rows[0].identity.creator_name == "Jürgen Müller"
    assert result.rows[0].identity.creator_email == "jm@creator.example"


def test_raw_utf8_headers_stay_utf8() -> None:
    raw = "From: Zoë Ørsted <zo@creator.example>\nSubject: Código für Ça\n\nCode: ".encode()
    result = extract(raw + CODE.encode() + b"\n", "test")
    assert result.rows[0].identity.creator_name == "Zoë Ørsted"
    assert result.rows[0].identity.subject == "Código für Ça"


def test_undeclared_8bit_header_falls_back_to_cp1252() -> None:
    # No charset anywhere: Windows-1252 (a superset of Latin-1 in the printable range), as
    # mail clients assume; \x93 \x94 are its curly quotes.
    raw = b"From: \x93Jos\xe9\x94 <jose@creator.example>\nSubject: c\xf3digo\n\nCode: "
    result = extract(raw + CODE.encode() + b"\n", "test")
    assert result.rows[0].identity.creator_name == "“José”"
    assert result.rows[0].identity.subject == "código"


def test_8bit_header_follows_the_body_charset() -> None:
    raw = (
        "From: Иван Петров <ivan@creator.example>\nSubject: код\n"
        "Content-Type: text/plain; charset=koi8-r\n\nКод: "
    ).encode("koi8-r")
    result = extract(raw + CODE.encode() + b"\n", "test")
    assert result.rows[0].identity.creator_name == "Иван Петров"
    assert result.rows[0].identity.subject == "код"


@pytest.mark.parametrize(
    "from_line",
    [
        b"From: Mia Lopez\r <mia@creator.example>",
        b"From: Mia Lopez <mia@creator.example>\r",
        b"From: Mia\rLopez <mia@creator.example>",
    ],
)
@pytest.mark.parametrize("eol", [b"\n", b"\r\n"])
def test_bare_cr_in_from_keeps_the_header_block(from_line: bytes, eol: bytes) -> None:
    lines = [
        from_line,
        b"To: spark@brand.example",
        b"Subject: my code",
        b"Date: Mon, 2 Nov 2026 10:00:00 +0000",
        b"Message-ID: <cr1@creator.example>",
        b"",
        b"Code: " + CODE.encode() + b" valid 60 days",
        b"",
    ]
    result = extract(eol.join(lines), "test")
    assert codes(result) == [CODE]
    identity = result.rows[0].identity
    assert identity.creator_email == "mia@creator.example"
    assert identity.subject == "my code"
    assert identity.message_id == "<cr1@creator.example>"
    assert result.rows[0].authorized_at is not None


def test_bare_cr_before_a_header_name_is_a_line_break() -> None:
    raw = b"From: Mia <mia@creator.example>\rSubject: my code\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\n"
    result = extract(raw + b"Code: " + CODE.encode() + b"\n", "test")
    assert result.rows[0].identity.subject == "my code"
    assert result.rows[0].identity.creator_email == "mia@creator.example"


# --- not email at all ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        random.Random(1).randbytes(5000),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + random.Random(2).randbytes(900),
        b"PK\x03\x04\x14\x00\x06\x00" + random.Random(3).randbytes(2000),
        b"\x00" * 600,
        b"",
    ],
    ids=["random", "png", "zip", "nul", "empty"],
)
def test_binary_garbage_is_undecodable(raw: bytes) -> None:
    result = extract(raw, "test")
    assert result.failure is not None
    assert result.failure.reason is Reason.UNDECODABLE, result.failure.detail


def test_headerless_text_is_still_read() -> None:
    # A note saved without headers is text, not garbage: its code is found.
    assert codes(extract(f"Hi, my code is {CODE}\n".encode(), "test")) == [CODE]


def test_email_with_a_raw_binary_attachment_is_not_garbage() -> None:
    blob = random.Random(5).randbytes(4000)
    raw = (
        HEAD.encode()
        + b'Subject: file\nContent-Type: multipart/mixed; boundary="b"\n\n--b\n'
        + b"Content-Type: text/plain\n\nNo code yet.\n--b\n"
        + b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n"
        + blob
        + b"\n--b--\n"
    )
    result = extract(raw, "test")
    assert result.failure is not None and result.failure.reason is Reason.NO_CODE_FOUND


@pytest.mark.parametrize(
    "start",
    [
        b"From mia@creator.example Mon Nov  2 10:00:00 2026\n",  # an mbox separator line
        b"\n\n",  # blank lines before the headers
        b"\xef\xbb\xbf",  # a byte-order mark from an editor
    ],
)
def test_odd_starts_of_real_email_are_read(start: bytes) -> None:
    raw = start + (HEAD + f"Subject: code\n\nCode: {CODE}\n").encode()
    assert codes(extract(raw, "test")) == [CODE]


def test_iso_2022_jp_body_is_decoded() -> None:
    # Japanese Outlook and Thunderbird send 7-bit ISO-2022-JP: mail-parser leaves the escapes.
    note = "高橋 さくらさんのコードです。\nコード: " + CODE + "\n有効期間：30日間\n"
    raw = (
        HEAD + "Subject: code\nContent-Type: text/plain; charset=ISO-2022-JP\n"
        "Content-Transfer-Encoding: 7bit\n\n"
    ).encode() + note.encode("iso2022_jp")
    message = decode(raw)
    assert "高橋 さくら" in message.text
    result = extract(raw, "test")
    assert codes(result) == [CODE]
    assert result.rows[0].duration_days == 30


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from([" ", "\t", "\u00a0", "\n", "\r", "a", "é"]), max_size=80))
def test_collapse_blank_lines_is_the_regex_it_replaces(text: str) -> None:
    want = re.sub(r"[ \t\u00a0]*\n(?:[ \t\u00a0]*\n)+", "\n\n", text)
    assert collapse_blank_lines(text) == want


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@given(
    when=st.datetimes(min_value=datetime(1900, 1, 2), max_value=datetime(2099, 12, 30)),
    zone=st.integers(-23 * 60 - 59, 23 * 60 + 59),
    weekday=st.booleans(),
    seconds=st.booleans(),
    comment=st.sampled_from(["", " (UTC)", " (CET)", "\r\n (PST)"]),
    gap=st.sampled_from([" ", "\r\n\t", "\r\n  "]),
)
@settings(max_examples=300, deadline=None)
def test_received_date_read_as_mail_parser_reads_it(
    when: datetime, zone: int, weekday: bool, seconds: bool, comment: str, gap: str
) -> None:
    """The quick reading of a plain Received date-time gives what mail-parser's reader of
    Received fields gives (which it falls back to for every other shape)."""
    sign, offset = ("-" if zone < 0 else "+"), abs(zone)
    stamp = (
        (
            f"{('Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun')[when.weekday()]}, "
            if weekday
            else ""
        )
        + f"{when.day} {_MONTHS[when.month - 1]} {when.year} {when:%H:%M}"
        + (f":{when:%S}" if seconds else "")
        + f" {sign}{offset // 60:02d}{offset % 60:02d}{comment}"
    )
    field = f"from out.creator.example (out.creator.example [203.0.113.9]) by mx.example with ESMTPS id 4f for <ops@brand.example>;{gap}{stamp}"
    assert _PLAIN_STAMP.search(field) is not None  # the quick reading is the one tested
    (hop,) = receiveds_parsing([field])
    assert _received_at(field) == datetime.fromisoformat(hop["date_utc"])
