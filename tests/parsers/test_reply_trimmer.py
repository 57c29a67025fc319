"""Forward unwrapping checked against email_reply_trimmer's labelled splits.

`before/X` is what the forwarder wrote above the forward, `embedded/X` the forwarded original
with its header block; every body in the set must also go through extraction without error.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.extract import extract
from parsers.forwarded import split_first
from parsers.records import Reason
from tests.conftest import FIXTURES

CORPUS = FIXTURES / "email_reply_trimmer"
EMBEDDED = sorted(p.name for p in (CORPUS / "embedded").iterdir())


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("name", EMBEDDED)
def test_forward_split_matches_labels(name: str) -> None:
    text = (CORPUS / "emails" / name).read_text()
    split = split_first(text, replies=False)
    assert split is not None
    assert _norm(split.before) == _norm((CORPUS / "before" / name).read_text())
    embedded = (CORPUS / "embedded" / name).read_text()
    # The embedded file is the header block then the original body.
    header, _, body = embedded.partition("\n\n")
    assert _norm(split.rest).startswith(_norm(body)[:200])
    sender_line = header.splitlines()[0]
    if split.sender_email:
        assert split.sender_email.rstrip(".") in sender_line.lower()
    else:
        assert split.sender_name and split.sender_name in sender_line


def test_forward_headers_read() -> None:
    split = split_first((CORPUS / "emails" / "forwarded_message.txt").read_text())
    assert split is not None
    assert (split.sender_name, split.sender_email) == ("Some One", "foo@bar.com")
    assert split.subject == "Some subject that spans over 2 lines"
    assert split.date_text == "Thu, Jan 28, 2016 at 4:00 PM"


@pytest.mark.parametrize("path", sorted((CORPUS / "emails").iterdir()), ids=lambda p: p.name)
def test_every_body_extracts_without_error(path: Path) -> None:
    result = extract(path.read_bytes(), path.name)
    assert result.failure is not None and not result.rows
    assert result.failure.reason is Reason.NO_CODE_FOUND


@pytest.mark.parametrize("word", ["am", "Le", "op", "> on"])
def test_a_one_word_line_does_not_hide_the_header_block_below_it(word: str) -> None:
    """'am', 'le', 'op' start a reply attribution in some languages; a line holding only the
    word must not swallow the next line's chance to start a forward."""
    text = (
        f"Here it is, see below\n{word}\nFrom: Jo Brand <jo@brand.example>\n"
        "Date: Tue, 3 Nov 2026 09:00\nSubject: code\n\nSpark code below\n"
    )
    split = split_first(text)
    assert split is not None
    assert (split.kind, split.sender_email) == ("forward", "jo@brand.example")
