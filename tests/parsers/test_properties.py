"""Garbage in, a row or a failure out: extraction never raises, whatever the bytes.

`extract` has a last-resort guard that turns a parser bug into a `parser_error` failure; these
tests assert that guard is never what saved the day.
"""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from parsers.codes import find_codes
from parsers.durations import find_periods
from parsers.extract import extract
from parsers.forwarded import segments
from parsers.records import Reason
from tests.conftest import FIXTURES

REAL = sorted((FIXTURES / "emails").glob("*.eml")) + sorted(
    (FIXTURES / "cpython_email").glob("msg_*.txt")
)
SAMPLES = [p.read_bytes() for p in REAL]
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(raw: bytes) -> None:
    result = extract(raw, "hypothesis")
    assert result.rows or result.failure is not None  # never nothing
    if result.failure is not None:
        assert result.failure.reason is not Reason.PARSER_ERROR, result.failure.detail
        if result.rows:  # only these reasons come beside rows
            assert result.failure.reason in (Reason.UNPAIRED_CODES, Reason.AMBIGUOUS_PERIOD)
    for record in result.records:
        assert record["message_id"]


@FAST
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(raw: bytes) -> None:
    _check(raw)


@FAST
@given(st.text(max_size=3000))
def test_arbitrary_text_as_email(text: str) -> None:
    _check(("Subject: x\nFrom: a@b.example\n\n" + text).encode("utf-8", "surrogatepass"))


@FAST
@given(
    index=st.integers(min_value=0),
    cuts=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=12),
    truncate=st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_mutated_real_emails(index: int, cuts: list[tuple[int, int]], truncate: int | None) -> None:
    raw = bytearray(SAMPLES[index % len(SAMPLES)])
    for pos, byte in cuts:  # flip bytes anywhere, headers and MIME boundaries included
        if raw:
            raw[pos % len(raw)] = byte
    if truncate is not None and raw:
        del raw[truncate % len(raw) :]
    _check(bytes(raw))


@FAST
@given(st.text(max_size=2000))
def test_text_stages_never_raise(text: str) -> None:
    for seg in segments(text):
        find_codes(seg.text)
        find_periods(seg.text, None)


def test_line_shuffled_real_emails() -> None:
    rng = random.Random(4)
    for raw in SAMPLES:
        lines = raw.split(b"\n")
        rng.shuffle(lines)
        _check(b"\n".join(lines))


def test_deep_nesting_does_not_crash(tmp_path: Path) -> None:
    depth = 300
    parts = [
        b"Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n" % (i, i) for i in range(depth)
    ]
    raw = b"From: a@b.example\nSubject: deep\n" + b"".join(parts) + b"text\n"
    _check(raw)


# --- decoding edge cases: 8-bit headers, stray CRs, invisible characters in codes ----------

CODE = "#Ob5kzYC2/lQ3pR9vFh8wXtE0sN7mKd1UaGcJ4yB6iZrHqT+PeVxW2o3LnMfSgDuA0="
_INVISIBLES = "\u200b\u200c\u200d\u2060\ufeff"


@FAST
@given(
    name=st.binary(min_size=1, max_size=40).map(lambda b: bytes(x | 0x80 for x in b)),
    subject=st.binary(max_size=60).map(lambda b: bytes(x | 0x80 for x in b)),
    charset=st.sampled_from(
        [b"", b"; charset=iso-8859-1", b"; charset=koi8-r", b"; charset=utf-8"]
    ),
)
@example(name=b"\xc3", subject=b"\xf0\x90\x80\x80", charset=b"")  # found by hypothesis
def test_raw_8bit_headers_keep_the_row(name: bytes, subject: bytes, charset: bytes) -> None:
    raw = (
        b"From: "
        + name
        + b" <mia@creator.example>\nSubject: "
        + subject
        + b"\nDate: Mon, 2 Nov 2026 10:00:00 +0000\nContent-Type: text/plain"
        + charset
        + b"\n\nCode: "
        + CODE.encode()
        + b"\n"
    )
    result = extract(raw, "hypothesis")
    assert [r.spark_code for r in result.rows] == [CODE]
    identity = result.rows[0].identity
    assert identity.creator_email == "mia@creator.example"
    for text in (identity.creator_name or "", identity.subject or ""):
        # No undecoded byte left, as a surrogate or as mail-parser's escaped '\\udcfc'.
        assert "\\udc" not in text
        assert not any("\udc80" <= c <= "\udcff" for c in text)
    # Each byte is a letter of a single-byte charset: none may be lost (a \xa0 is a space).
    # Bytes that happen to be valid UTF-8 are read as UTF-8 (repair_headers' rule): then as
    # many characters as they spell.
    letters = [b for b in subject if b != 0xA0]
    if charset != b"; charset=utf-8" and letters:
        want = len(letters) // 2
        with contextlib.suppress(UnicodeDecodeError):
            want = min(want, len("".join(subject.decode("utf-8").split())))
        assert len("".join((identity.subject or "").split())) >= want


@FAST
@given(
    positions=st.lists(st.integers(0, 10**6), max_size=6),
    eol=st.sampled_from([b"\n", b"\r\n"]),
)
def test_stray_crs_in_headers_never_raise(positions: list[int], eol: bytes) -> None:
    head = bytearray(
        eol.join(
            [
                b"From: Mia <mia@creator.example>",
                b"To: spark@brand.example",
                b"Subject: hi",
                b"Date: Mon, 2 Nov 2026 10:00:00 +0000",
                b"Message-ID: <p@creator.example>",
            ]
        )
    )
    for pos in positions:
        head.insert(pos % (len(head) + 1), 0x0D)
    _check(bytes(head) + eol + eol + b"Code: " + CODE.encode() + eol)


@FAST
@given(
    inserts=st.lists(
        st.tuples(st.integers(1, len(CODE) - 1), st.sampled_from(_INVISIBLES)), max_size=5
    ),
    html=st.booleans(),
)
def test_invisible_characters_inside_a_code(inserts: list[tuple[int, str]], html: bool) -> None:
    damaged = list(CODE)
    for at, char in sorted(inserts, reverse=True):
        damaged.insert(at, char)
    code = "".join(damaged)
    if html:
        code = code.replace("\u200b", "&#8203;")
        body = f"Content-Type: text/html; charset=utf-8\n\n<p>Code: <span>{code}</span></p>"
    else:
        body = f"Content-Type: text/plain; charset=utf-8\n\nCode: {code}\nThanks\n"
    result = extract(f"From: a@b.example\nSubject: c\n{body}".encode(), "hypothesis")
    assert [r.spark_code for r in result.rows] == [CODE]
