"""Issue 9's multilingual corpus: the right creator, code, period and video in every client.

Each `tests/fixtures/multilingual/NAME.eml` is a forward or reply written with one mail
client's real localized strings (Gmail, Outlook desktop plain and HTML, Outlook for Mac,
new Outlook/OWA, Outlook's "On ... wrote:" style, Apple Mail plain and '>'-quoted,
Thunderbird, Yahoo) in one of 23
languages, plus the special cases of issue 9. `NAME.expected.json` lists the records the email
must yield, in order; only the keys given there are compared, and exactly.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.parsers.test_corpus import assert_labelled

CORPUS = FIXTURES / "multilingual"
CASES = sorted(CORPUS.glob("*.eml"))
CLIENTS = (
    "gmail",
    "outlook_desktop",
    "outlook_web",
    "outlook_onwrote",
    "apple",
    "apple_quoted",
    "thunderbird",
    "yahoo",
    "outlook_desktop_html",
    "outlook_mac",
)
LANGUAGES = [
    "en",
    "es",
    "pt",
    "fr",
    "de",
    "it",
    "nl",
    "pl",
    "cs",
    "sk",
    "hu",
    "ro",
    "ru",
    "uk",
    "tr",
    "sv",
    "da",
    "no",
    "fi",
    "et",
    "ja",
    "zh",
    "ko",
]


def _covers(path: Path) -> list[str]:
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    covers: list[str] = expected["covers"]
    return covers


def test_corpus_covers_every_language_in_every_client() -> None:
    grid = {(c, lang) for p in CASES for c in _covers(p) for lang in _covers(p)}
    missing = [
        (client, lang)
        for client in CLIENTS
        for lang in LANGUAGES
        if (f"client_{client}", f"lang_{lang}") not in grid
    ]
    assert missing == []
    assert len(CASES) >= len(LANGUAGES) * 7


def test_corpus_matches_its_generator() -> None:
    """The .eml/.json files are exactly what build.py writes: no hand edits, no stale files."""
    spec = importlib.util.spec_from_file_location("multilingual_build", CORPUS / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = build  # dataclasses look their module up while the file runs
    try:
        spec.loader.exec_module(build)
        files = build.outputs()
    finally:
        del sys.modules[spec.name]
    on_disk = {p.name for p in CORPUS.iterdir() if p.suffix in (".eml", ".json")}
    assert on_disk == set(files)
    assert [n for n, data in files.items() if (CORPUS / n).read_bytes() != data] == []


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_email(path: Path) -> None:
    assert_labelled(path)
