"""Garbage in, a row or a failure out: extraction never raises, whatever the bytes.

`extract` has a last-resort guard that turns a parser bug into a `parser_error` failure; these
tests assert that guard is never what saved the day.
"""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
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
