"""The labelled corpus: exact codes, periods, creators, videos and failure reasons.

Each `tests/fixtures/emails/NAME.eml` has `NAME.expected.json` listing the records it must
yield in order; only the keys given there are compared.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from parsers.extract import extract
from tests.conftest import FIXTURES

CORPUS = FIXTURES / "emails"
CASES = sorted(CORPUS.glob("*.eml"))


def test_corpus_size() -> None:
    assert len(CASES) >= 80


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_email(path: Path) -> None:
    assert_labelled(path)


def assert_labelled(path: Path) -> None:
    """NAME.eml yields the records NAME.expected.json lists, in order (only the keys given)."""
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    records = extract(path.read_bytes(), path.name).records
    got = [
        {k: r.get(k) for k in want} for r, want in zip(records, expected["records"], strict=False)
    ]
    assert got == expected["records"], expected["description"]
    assert len(records) == len(expected["records"]), expected["description"]
