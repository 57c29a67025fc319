"""Every message in CPython's email test data (tricky MIME) goes through extraction cleanly."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import pytest

from parsers.extract import extract
from parsers.message import decode
from parsers.records import Reason
from tests.conftest import FIXTURES

MESSAGES = sorted((FIXTURES / "cpython_email").glob("msg_*.txt"))


@pytest.mark.parametrize("path", MESSAGES, ids=lambda p: p.name)
def test_message_extracts_without_error(path: Path) -> None:
    result = extract(path.read_bytes(), path.name)
    # None of these carry a Spark code: each must end as one failure, never a parser error;
    # all are real email, so none is called undecodable.
    assert not result.rows
    assert result.failure is not None
    assert result.failure.reason not in (Reason.PARSER_ERROR, Reason.UNDECODABLE)
    assert result.failure.identity.message_id


@pytest.mark.parametrize("path", MESSAGES, ids=lambda p: p.name)
def test_subject_decodes_as_the_stdlib_does(path: Path) -> None:
    raw = path.read_bytes()
    subject = email.message_from_bytes(raw, policy=email.policy.default)["subject"]
    expected = " ".join(str(subject).split()) or None if subject is not None else None
    assert decode(raw).subject == expected


# A display name before an address in angle brackets: the CR goes inside the name.
_FROM = re.compile(rb"(?m)^From: ?([^<\r\n]{2,}) <")
_NAMED = [p for p in MESSAGES if _FROM.search(p.read_bytes())]


@pytest.mark.parametrize("path", _NAMED, ids=lambda p: p.name)
def test_bare_cr_in_from_keeps_the_other_headers(path: Path) -> None:
    raw = path.read_bytes()
    found = _FROM.search(raw)
    assert found is not None
    cut = found.start(1) + max(1, len(found.group(1)) // 2)
    damaged = raw[:cut] + b"\r" + raw[cut:]
    before, after = decode(raw), decode(damaged)
    assert (after.subject, after.message_id, after.date, after.from_email) == (
        before.subject,
        before.message_id,
        before.date,
        before.from_email,
    )


def test_corpus_is_complete() -> None:
    assert len(MESSAGES) >= 45
    assert len(_NAMED) >= 10  # messages with a display name to damage
