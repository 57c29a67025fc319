"""The skimmer: big binary bodies leave the parse, and nothing else about the parse changes.

Each case decodes the email twice, skimming and not (`parsers.message.skim` swapped for a
function that skims nothing), and compares everything decoding gives: texts, headers, images
and their bytes. The hypothesis tests build MIME-shaped emails from pieces that break it
(unclosed boundaries, boundaries inside bodies, base64 in text parts, attached messages).
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.message
import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any
from unittest import mock

import mailparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import parsers.message as message_module
import parsers.skim as skim_module
from parsers.extract import extract
from parsers.headers import repair_headers
from parsers.message import DecodedMessage, UndecodableMessage, decode
from parsers.skim import TOKEN, Skimmed, faithful, skim

CODE = "#" + "Ab3dEf9hIj" * 8 + "Kl"  # an ordinary-looking Spark code shape for the .txt case


def _bytes(rng: random.Random, n: int) -> bytes:
    return bytes(rng.getrandbits(8) for _ in range(n))


def _image(seed: int = 1, size: int = 6000) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + _bytes(random.Random(seed), size)


@contextlib.contextmanager
def _no_skim() -> Iterator[None]:
    with mock.patch.object(message_module, "skim", lambda raw: None):
        yield


def _view(m: DecodedMessage) -> dict[str, Any]:
    """Everything a decoded message gives its readers, images by their bytes."""
    return {
        "subject": m.subject,
        "from": (m.from_name, m.from_email),
        "date": m.date,
        "message_id": m.message_id,
        "received_at": m.received_at,
        "text": m.text,
        "alternative_html": list(m.alternative_html),
        "recipients": m.recipients,
        "images": [(i.name, i.content_type, i.data()) for i in m.images],
        "attached": [_view(a) for a in m.attached],
    }


def _same_either_way(raw: bytes) -> DecodedMessage | None:
    """Decode with and without skimming; assert both agree; return the skimmed decode."""
    try:
        skimmed = decode(raw)
    except UndecodableMessage as exc:
        with _no_skim(), pytest.raises(UndecodableMessage, match=re.escape(str(exc))):
            decode(raw)
        return None
    with _no_skim():
        plain = decode(raw)
    assert _view(skimmed) == _view(plain)
    return skimmed


def _decoded_both(raw: bytes) -> DecodedMessage:
    decoded = _same_either_way(raw)
    assert decoded is not None
    return decoded


def _skims(raw: bytes) -> bool:
    """Whether decode takes the skimmed parse (not its fallback) for this email."""
    s = skim(repair_headers(raw))
    if s is None:
        return False
    return message_module._skim_faithful(mailparser.MailParser.from_bytes(s.raw), s)


def _attachment_email(*, crlf: bool = False, images: int = 1) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Mia <mia@creator.example>"
    msg["To"] = "spark@brand.example"
    msg["Subject"] = "my code"
    msg["Date"] = "Fri, 20 Nov 2026 09:30:00 +0000"
    msg["Message-ID"] = "<skim1@creator.example>"
    msg.set_content("Hi, the screenshot is attached.\n")
    for i in range(images):
        msg.add_attachment(_image(i), maintype="image", subtype="png", filename=f"IMG_{i}.png")
    msg.add_attachment(
        b"%PDF-1.4" + _bytes(random.Random(9), 5000),
        maintype="application",
        subtype="pdf",
        filename="brief.pdf",
    )
    raw = msg.as_bytes()
    return raw.replace(b"\n", b"\r\n") if crlf else raw


def test_large_binary_bodies_leave_the_parse_and_images_decode_lazily() -> None:
    raw = _attachment_email(images=2)
    s = skim(raw)
    assert s is not None and len(s.bodies) == 3  # two images and the PDF
    assert len(s.raw) < len(raw) // 3
    decoded = _decoded_both(raw)
    assert [i.data() for i in decoded.images] == [_image(0), _image(1)]
    assert all(isinstance(i.payload, bytes) for i in decoded.images)  # kept, not re-parsed


def test_image_data_is_what_mail_parser_decodes() -> None:
    raw = _attachment_email()
    parsed = mailparser.MailParser.from_bytes(raw)
    want = [
        base64.b64decode(a["payload"])
        for a in parsed.attachments
        if a["mail_content_type"] == "image/png"
    ]
    assert [i.data() for i in decode(raw).images] == want == [_image(0)]


def test_base64_with_crlf() -> None:
    raw = _attachment_email(crlf=True)
    assert b"\r\n" in raw and _skims(raw)
    decoded = _decoded_both(raw)
    assert decoded.images[0].data() == _image(0)


def test_text_attachment_is_still_read() -> None:
    msg = EmailMessage()
    msg["From"] = "mia@creator.example"
    msg["Subject"] = "code"
    msg.set_content("See the attachment.\n")
    text = ("filler line of the note\n" * 200 + f"Spark code: {CODE}\n").encode()
    msg.add_attachment(text, maintype="text", subtype="plain", filename="code.txt")
    msg.add_attachment(_image(), maintype="image", subtype="png", filename="shot.png")
    raw = msg.as_bytes()
    s = skim(raw)
    assert s is not None and len(s.bodies) == 1  # the image only
    decoded = _decoded_both(raw)
    assert CODE in decoded.text


def test_text_part_that_looks_binary_falls_back() -> None:
    """A text part labelled like an image by a header in its body: skimming it would lose
    text, so `faithful` refuses and the untouched email is parsed."""
    body = base64.b64encode(b"x" * 6000).decode()
    lines = "\n".join(body[i : i + 76] for i in range(0, len(body), 76))
    raw = (
        "From: a@b.example\nSubject: t\nMIME-Version: 1.0\n"
        'Content-Type: multipart/mixed; boundary="b1"\n\n'
        "--b1\nContent-Type: text/plain\n\n"
        "notes:\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\n"
        f"{lines}\n--b1--\n"
    ).encode()
    s = skim(raw)
    assert s is not None  # the guess is fooled ...
    assert not _skims(raw)  # ... and the check is not
    decoded = _decoded_both(raw)
    assert lines.splitlines()[5] in decoded.text


def _mime(*parts: str, boundary: str = "b1", close: bool = True) -> str:
    body = "".join(f"--{boundary}\n{p}\n" for p in parts)
    return (
        f'Content-Type: multipart/mixed; boundary="{boundary}"\n\n'
        + body
        + (f"--{boundary}--\n" if close else "")
    )


def _b64_part(data: bytes, kind: str = "image/png", name: str = "a.png") -> str:
    text = base64.b64encode(data).decode()
    lines = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
    return (
        f'Content-Type: {kind}; name="{name}"\nContent-Transfer-Encoding: base64\n'
        f'Content-Disposition: attachment; filename="{name}"\n\n{lines}'
    )


_HEAD = "From: Mia <mia@creator.example>\nSubject: s\nMIME-Version: 1.0\n"


def test_nested_multiparts() -> None:
    inner = _mime(
        "Content-Type: text/plain\n\nhello inner",
        _b64_part(_image(2), name="in.png"),
        boundary="inner",
    )
    raw = (_HEAD + _mime("Content-Type: text/plain\n\nhello", inner, _b64_part(_image(3)))).encode()
    assert _skims(raw)
    decoded = _decoded_both(raw)
    assert sorted(i.data() for i in decoded.images) == sorted([_image(2), _image(3)])


def test_nested_boundary_that_never_closes() -> None:
    inner = _mime(_b64_part(_image(4), name="in.png"), boundary="inner", close=False)
    raw = (_HEAD + _mime("Content-Type: text/plain\n\nhello", inner, _b64_part(_image(5)))).encode()
    _same_either_way(raw)


def test_outer_boundary_that_never_closes() -> None:
    raw = (
        _HEAD + _mime("Content-Type: text/plain\n\nhi", _b64_part(_image(6)), close=False)
    ).encode()
    decoded = _decoded_both(raw)
    assert [i.data() for i in decoded.images] == [_image(6)]


def test_multipart_without_boundary_parameter() -> None:
    raw = (
        _HEAD + "Content-Type: multipart/mixed\n\n--b1\n" + _b64_part(_image(7)) + "\n--b1--\n"
    ).encode()
    _same_either_way(raw)


def test_attachment_inside_an_attached_message() -> None:
    inner = "From: Creator <c@creator.example>\nSubject: original\nMIME-Version: 1.0\n" + _mime(
        "Content-Type: text/plain\n\nthe original text", _b64_part(_image(8)), boundary="in"
    )
    raw = (
        _HEAD
        + _mime(
            "Content-Type: text/plain\n\nforwarding this",
            f"Content-Type: message/rfc822\nContent-Disposition: attachment\n\n{inner}",
        )
    ).encode()
    assert _skims(raw)
    decoded = _decoded_both(raw)
    assert decoded.attached and decoded.attached[0].images[0].data() == _image(8)


def test_damaged_base64_decodes_as_before() -> None:
    part = _b64_part(_image(10)).replace("\n\n", "\n\n!!not base64!!\n", 1)
    raw = (_HEAD + _mime(part)).encode()
    _same_either_way(raw)
    short = (_HEAD + _mime(_b64_part(_image(11))[:-3])).encode()  # bad padding
    _same_either_way(short)


def test_placeholder_text_in_the_email_turns_skimming_off() -> None:
    raw = (_HEAD + _mime(f"Content-Type: text/plain\n\n{TOKEN}0Z", _b64_part(_image(12)))).encode()
    assert skim(raw) is None
    _same_either_way(raw)


def test_nothing_to_skim() -> None:
    assert skim(_HEAD.encode() + b"\nhello\n") is None
    small = (_HEAD + _mime(_b64_part(b"tiny"))).encode()
    assert skim(small) is None


_TRACE_HEAD = (
    "Received: from mx.shared.example by imap.shared.example; Tue, 10 Feb 2026 09:56:18 +0100\r\n"
    "Received: from out.creator.example by mx.shared.example;\r\n"
    "\tTue, 10 Feb 2026 08:56:00 +0000\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; d=creator.example; s=s1;\r\n"
    " h=from:to:subject; b=aT8PPyy9PJdR31H5Jz05yMw2PC0TgRxo72QfxlFZ06YdAoInsn\r\n"
    "Authentication-Results: mx.shared.example; dkim=pass header.i=@creator.example\r\n"
    "From: Mia <mia@creator.example>\r\n"
    "To: Spark Codes <spark+summer@brand.example>, ops@brand.example\r\n"
    "Cc: =?utf-8?q?Jo=C3=ABl?= <joel@brand.example>\r\n"
    "Delivered-To: spark@brand.example\r\n"
    "Subject: my code\r\n"
    "Message-ID: <trace@creator.example>\r\n"
    "X-Mailer: iPhone Mail (22B91)\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
)


@pytest.mark.parametrize("date", ["Date: Tue, 10 Feb 2026 08:55:00 +0000\r\n", ""])
def test_header_fields_nobody_reads_leave_the_parse(date: str) -> None:
    raw = (_TRACE_HEAD + date + f"\r\nHere it is: {CODE}\r\n").encode()
    s = skim(raw)
    assert s is not None and not s.bodies and s.headers is not None
    head = s.raw[: s.raw.index(b"\r\n\r\n")]
    assert b"DKIM" not in head and b"Received" not in head and b"To:" not in head
    assert s.headers == raw[: len(s.headers)] and s.raw.endswith(raw[len(s.headers) :])
    decoded = _decoded_both(raw)
    # What is read only when asked comes from the untouched block: the topmost hop, the
    # recipients a campaign rule looks at.
    assert decoded.received_at == datetime(2026, 2, 10, 8, 56, 18, tzinfo=UTC)
    assert decoded.recipients == [
        "spark+summer@brand.example",
        "ops@brand.example",
        "joel@brand.example",
        "spark@brand.example",
    ]
    rows = extract(raw, "t").rows
    assert [r.spark_code for r in rows] == [CODE]
    assert rows[0].as_record()["received_at"] == decoded.received_at.isoformat()


@pytest.mark.parametrize(
    "odd_line",
    [
        "X-Broken header without a colon\r\n",  # the parser ends the header block here
        "X-Bare-CR: one\rtwo\r\n",  # the parser breaks the line at the bare CR
        "From me to you: hello\r\n",  # not a field name (a space in it)
    ],
)
def test_header_block_the_parser_may_read_otherwise_is_handed_over_whole(odd_line: str) -> None:
    raw = (_TRACE_HEAD + odd_line + f"\r\nHere it is: {CODE}\r\n").encode()
    assert skim(raw) is None
    _same_either_way(raw)


def test_attached_message_keeps_the_fields_read() -> None:
    inner = (_TRACE_HEAD + f"\r\nHere it is: {CODE}\r\n").replace("\r\n", "\n")
    raw = (
        _HEAD.replace("Mia <mia@creator.example>", "Ops <ops@brand.example>")
        + 'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nFYI\n'
        + "--b\nContent-Type: message/rfc822\n\n"
        + inner
        + "--b--\n"
    ).encode()
    decoded = _decoded_both(raw)
    (attached,) = decoded.attached
    assert (attached.from_email, attached.subject) == ("mia@creator.example", "my code")
    assert attached.message_id == "<trace@creator.example>"
    assert [r.spark_code for r in extract(raw, "t").rows] == [CODE]


def _alternative_email(
    html: str, *, plain: str | None = "Hi, see below.", charset: str = "utf-8"
) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Mia <mia@creator.example>"
    msg["Subject"] = "code"
    msg["Message-ID"] = "<alt@creator.example>"
    if plain is not None:
        msg.set_content(plain + "\n")
        msg.add_alternative(html, subtype="html", charset=charset, cte="quoted-printable")
    else:
        msg.set_content(html, subtype="html", charset=charset, cte="quoted-printable")
    return msg.as_bytes()


_FILLER = "<p>Thanks so much for the brief, caf\u00e9 \u00e0 la cr\u00e8me!</p>\n" * 60


def test_html_alternative_is_decoded_only_when_read() -> None:
    raw = _alternative_email(_FILLER, charset="iso-8859-1")
    s = skim(raw)
    assert s is not None and len(s.html) == 1
    _decoded_both(raw)
    bodies = decode(raw).alternative_html
    assert isinstance(bodies, message_module._HtmlBodies)
    assert bodies._items[0].startswith(TOKEN)  # not decoded yet
    assert "caf\u00e9 \u00e0 la cr\u00e8me" in bodies[0]
    assert not bodies._items[0].startswith(TOKEN)


def test_code_only_in_the_html_alternative_is_found() -> None:
    html = _FILLER + f"<p>Spark code: <span>{CODE[:40]}</span><span>{CODE[40:]}</span></p>"
    raw = _alternative_email(html, plain="Hi, the code is in the HTML version.")
    assert _skims(raw)
    rows = extract(raw, "t").rows
    assert [r.spark_code for r in rows] == [CODE]
    with _no_skim():
        assert extract(raw, "t").records == extract(raw, "t").records


def test_html_only_body_is_decoded_at_once() -> None:
    raw = _alternative_email(_FILLER, plain=None)
    assert skim(raw) is None  # no alternative: nothing waits
    html = "Content-Type: text/html; charset=utf-8\n\n" + _FILLER
    alone = (_HEAD + _mime(_mime(html, boundary="alt").replace("mixed", "alternative"))).encode()
    assert _skims(alone)  # skimmed, then read at once since no plain part stands beside it
    decoded = _decoded_both(alone)
    assert "Thanks so much" in decoded.text


def test_html_beside_an_attached_message_is_not_skimmed() -> None:
    inner = "From: c@creator.example\nSubject: original\n\nthe original"
    raw = _alternative_email(_FILLER)
    raw = raw.replace(b"\n\n", b"\nX-Note: carries a message/rfc822 part\n\n", 1)
    s = skim(raw)
    assert s is None or not s.html
    nested = (
        _HEAD
        + _mime(
            _mime(
                "Content-Type: text/plain\n\nplain",
                "Content-Type: text/html\n\n" + _FILLER,
                boundary="alt",
            ).replace("mixed", "alternative"),
            f"Content-Type: message/rfc822\n\n{inner}",
        )
    ).encode()
    s = skim(nested)
    assert s is None or not s.html
    _same_either_way(nested)


@pytest.mark.parametrize("seed", [7, 11])
def test_corpus_extracts_the_same(seed: int) -> None:
    from benchmarks.corpus import generate

    skimmed = 0
    for raw in generate(60, seed):
        skimmed += _skims(raw)
        with_skim = extract(raw, "t").records
        with _no_skim():
            assert extract(raw, "t").records == with_skim
        _same_either_way(raw)
    assert skimmed  # the corpus has attachments: the test must exercise the skimmer


# ----------------------------------------------------------------------- hypothesis

_B64_LINE = st.sampled_from(
    [base64.b64encode(bytes(range(i, i + 57))).decode() for i in range(0, 190, 19)]
)
_B64_RUN = _B64_LINE.map(lambda line: "\n".join([line] * 3))
_HEADERS = st.sampled_from(
    [
        'Content-Type: multipart/mixed; boundary="b1"',
        'Content-Type: multipart/related; boundary="b2"',
        "Content-Type: multipart/alternative",
        "Content-Type: image/png",
        "Content-Type: application/pdf",
        "Content-Type: text/plain",
        "Content-Type: text/html",
        "Content-Type: message/rfc822",
        "Content-Transfer-Encoding: base64",
        "Content-Transfer-Encoding: quoted-printable",
        'Content-Disposition: attachment; filename="x.png"',
        "Content-ID: <i@x>",
        " folded",
    ]
)
_BINARY_HEAD = st.sampled_from(
    [
        "Content-Type: image/png\nContent-Transfer-Encoding: base64\n",
        'Content-Type: application/pdf; name="b.pdf"\nContent-Transfer-Encoding: base64\n',
        "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n",
        "Content-Type: image/jpeg\nContent-Transfer-Encoding: BASE64\nContent-ID: <j@x>\n",
    ]
)
_HTML_HEAD = st.sampled_from(
    [
        "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n",
        "Content-Type: text/html; charset=iso-8859-1\n",
        "Content-Type: text/html; charset=utf-16\nContent-Transfer-Encoding: 8bit\n",
        "Content-Type: text/html\nContent-Transfer-Encoding: base64\n",
        'Content-Type: text/html\nContent-Disposition: attachment; filename="a.html"\n',
        'Content-Type: text/html\nContent-Disposition: inline; filename="b.html"\n',
    ]
)
_HTML_BODY = st.lists(
    st.sampled_from(
        [
            "<p>caf=C3=A9 code Ab3d=",
            "Ef9h</p>",
            "<div>caf\u00e9 \u2014 ok</div>",
            "-- ",
            "--b1",
            "=",
            "",
            "<b>x</b> <span>y</span>",
            "\x1b$B%3!<%I\x1b(B",
        ]
    ),
    min_size=3,
    max_size=12,
).map("\n".join)
_HTML_PART = st.tuples(_HTML_HEAD, _HTML_BODY).map(lambda t: t[0] + "\n" + t[1])
_PIECES = st.one_of(
    _HTML_PART,
    st.sampled_from(
        [
            "--b1",
            "--b1--",
            "--b2",
            "--b2--",
            "",
            "",
            "From someone",
            "plain words here",
            "<p>html</p>",
            'Content-Type: multipart/mixed; boundary="b2"\n',
            "Content-Type: message/rfc822\n",
        ]
    ),
    _HEADERS,
    st.tuples(
        st.sampled_from(["", "--b1\n", "--b2\n"]),
        _BINARY_HEAD,
        _B64_RUN,
        st.sampled_from(["", "\n--b1", "\n--b1--", "\n--b2", "\n\n--b1"]),
    ).map(lambda t: t[0] + t[1] + "\n" + t[2] + t[3]),
    _B64_RUN,
    st.text(max_size=30),
)
_TOP = st.sampled_from(
    ['Content-Type: multipart/mixed; boundary="b1"\n', "Content-Type: message/rfc822\n", ""]
)
_CHAOS = st.tuples(_TOP, st.lists(_PIECES, max_size=40)).map(
    lambda t: t[0] + "\n" + "\n".join(t[1])
)


def _parts(boundary: str, parts: list[str], close: bool) -> str:
    return "".join(f"--{boundary}\n{p}\n" for p in parts) + (f"--{boundary}--" if close else "")


_LEAF = st.one_of(
    st.tuples(_BINARY_HEAD, _B64_RUN).map(lambda t: t[0] + "\n" + t[1]),
    _HTML_PART,
    st.just("Content-Type: text/plain\n\nsome text"),
    _PIECES,
)
_INNER = st.tuples(
    st.sampled_from(["related", "alternative"]), st.lists(_LEAF, max_size=4), st.booleans()
).map(lambda t: f'Content-Type: multipart/{t[0]}; boundary="b2"\n\n' + _parts("b2", *t[1:]))
_ATTACHED = _INNER.map(lambda inner: "Content-Type: message/rfc822\n\nSubject: inner\n" + inner)
_SHAPED = st.tuples(
    st.sampled_from(["mixed", "alternative"]),
    st.lists(st.one_of(_LEAF, _INNER, _ATTACHED, _HTML_PART), max_size=6),
    st.booleans(),
).map(lambda t: f'Content-Type: multipart/{t[0]}; boundary="b1"\n\n' + _parts("b1", *t[1:]))
_EMAIL = st.tuples(st.one_of(_SHAPED, _CHAOS), st.sampled_from(["\n", "\r\n", "\r"])).map(
    lambda t: (_HEAD + t[0]).replace("\n", t[1]).encode("utf-8", "surrogatepass")
)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _tree(m: email.message.Message, s: Skimmed | None) -> list[Any]:
    """The parse as structure: each part's headers, preamble, epilogue, defects and payload,
    a placeholder read as the body it stands for."""
    out: list[Any] = []
    for part in m.walk():
        payload = part._payload  # as parsed: get_payload() would apply the charset
        if isinstance(payload, str):
            kept = s.body(payload) if s is not None else None
            if kept is not None:
                payload = kept.decode()
            elif s is not None and (token := s.html_token(payload)) is not None:
                payload = s.original_payload(token)
            payload = payload.rstrip("\r\n")
        else:
            payload = len(payload)
        out.append(
            (
                part.items(),
                part.preamble,
                part.epilogue,
                [type(d).__name__ for d in part.defects],
                payload,
            )
        )
    return out


@FAST
@given(_EMAIL)
def test_skim_is_parse_equivalent_or_refused(raw: bytes) -> None:
    with mock.patch.object(skim_module, "MIN_BODY", 40):
        s = skim(raw)
        if s is not None:
            skimmed = email.message_from_bytes(s.raw)
            try:
                html = mailparser.MailParser(skimmed).text_html
            except Exception:  # decode parses the untouched email then: checked below
                html = None
            if html is not None and faithful(skimmed, s, html, []):
                # Fresh parses: mail-parser's decoding adds defects to the parts it decodes.
                fresh = email.message_from_bytes(s.raw)
                assert _tree(fresh, s) == _tree(email.message_from_bytes(raw), None)
        _same_either_way(raw)


@FAST
@given(st.binary(max_size=3000), st.integers(0, 3000))
def test_any_bytes_inside_a_skimmable_email(noise: bytes, at: int) -> None:
    raw = (_HEAD + _mime("Content-Type: text/plain\n\nhi", _b64_part(_image(13)))).encode()
    raw = raw[:at] + noise + raw[at:]
    with mock.patch.object(skim_module, "MIN_BODY", 40):
        _same_either_way(raw)


@FAST
@given(
    _HTML_HEAD,
    st.one_of(_HTML_BODY, st.text(min_size=1, max_size=400)),
    st.sampled_from(["", "\n", "\n\n"]),
    st.sampled_from(["\n", "\r\n", "\r"]),
)
def test_html_alternative_with_any_body(head: str, body: str, gap: str, eol: str) -> None:
    """An HTML alternative in its usual place, whatever it holds: decoded on demand to what
    mail-parser decodes from the untouched email."""
    text = (
        _HEAD
        + 'Content-Type: multipart/alternative; boundary="b1"\n\n'
        + "--b1\nContent-Type: text/plain\n\nplain text\n"
        + f"--b1\n{head}\n<p>{body}</p>\n{gap}--b1--\n"
    )
    raw = text.replace("\n", eol).encode("utf-8", "surrogatepass")
    with mock.patch.object(skim_module, "MIN_BODY", 8):
        _same_either_way(raw)


class _CountingBytes(bytes):
    """Bytes that add up how many bytes their searches scan."""

    scanned = 0

    def find(self, sub: Any, start: Any = None, end: Any = None) -> int:
        lo, hi = start or 0, len(self) if end is None else end
        at = super().find(sub, lo, hi)
        _CountingBytes.scanned += (at if at >= 0 else hi) - lo
        return at

    def rfind(self, sub: Any, start: Any = None, end: Any = None) -> int:
        lo, hi = start or 0, len(self) if end is None else end
        at = super().rfind(sub, lo, hi)
        _CountingBytes.scanned += hi - (at if at >= 0 else lo)
        return at


@pytest.mark.parametrize(
    "unit",
    [
        b"base64 ",
        b"\nContent-Transfer-Encoding: base64",
        b"\nContent-Type: text/html\n\nx",
        b"\nContent-Type: image/png\nContent-Transfer-Encoding: base64\n\nQUJD\n",
        b"\nContent-Type: text/html\n\n<p>\n",
        b"\r--b\rContent-Type: text/html\r\n\r\n<p>\r",
    ],
)
def test_hostile_mail_costs_linear_search(unit: bytes) -> None:
    """Mail full of what the guesses look for: every byte searched a bounded number of times
    (the first version searched from each guess to the end: quadratic, minutes on 4 MB)."""
    head = b"From: a@b\nSubject: s\nContent-Type: multipart/alternative; boundary=b\n\n--b\n"
    raw = _CountingBytes(head + unit * (200_000 // len(unit)))
    _CountingBytes.scanned = 0
    skim(raw)
    assert _CountingBytes.scanned < 12 * len(raw)
