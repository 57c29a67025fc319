"""Every message in CPython's email test data (tricky MIME) goes through extraction cleanly."""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.extract import extract
from parsers.records import Reason
from tests.conftest import FIXTURES

MESSAGES = sorted((FIXTURES / "cpython_email").glob("msg_*.txt"))


@pytest.mark.parametrize("path", MESSAGES, ids=lambda p: p.name)
def test_message_extracts_without_error(path: Path) -> None:
    result = extract(path.read_bytes(), path.name)
    # None of these carry a Spark code: each must end as one failure, never a parser error.
    assert not result.rows
    assert result.failure is not None
    assert result.failure.reason is not Reason.PARSER_ERROR
    assert result.failure.identity.message_id


def test_corpus_is_complete() -> None:
    assert len(MESSAGES) >= 45
