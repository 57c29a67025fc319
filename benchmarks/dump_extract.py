"""Dump what extraction makes of a fixed set of emails, one JSON line each, to prove that a
speed change changed nothing: run it before and after, then `diff` the two files.

    python -m benchmarks.dump_extract OUT [--messages N] [--shots N]

The set: benchmarks/corpus.py's generated corpora (seeds 7 and 11), every email under
tests/fixtures (the .eml files and CPython's msg_*.txt MIME edge cases), and the generated
screenshot emails (attached and inline). Each line holds the extraction's records, and each
image's name, type and a digest of its decoded bytes, so a lazily decoded image is checked too.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from benchmarks.corpus import generate
from parsers.extract import extract
from parsers.message import DecodedMessage, UndecodableMessage, decode

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def _images(message: DecodedMessage) -> list[Any]:
    own = [[i.name, i.content_type, hashlib.sha256(i.data()).hexdigest()] for i in message.images]
    return own + [_images(m) for m in message.attached]


def _texts(message: DecodedMessage) -> list[Any]:
    """The decoded text too: a change may keep the records while breaking what feeds them."""
    digest = hashlib.sha256(
        "\x00".join([message.text, *message.alternative_html]).encode("utf-8", "surrogatepass")
    ).hexdigest()
    return [digest, [_texts(m) for m in message.attached]]


def dump_one(name: str, raw: bytes) -> str:
    records = extract(raw, "dump").records
    try:
        message = decode(raw)
        images: Any = _images(message)
        texts: Any = _texts(message)
    except UndecodableMessage as exc:
        images = texts = f"undecodable: {exc}"
    line = {"name": name, "records": records, "images": images, "texts": texts}
    return json.dumps(line, sort_keys=True, default=str, ensure_ascii=False)


def _screenshot_emails(count: int) -> Iterator[tuple[str, bytes]]:
    import tests.screenshots.emails as emails
    from tests.screenshots.generate import render

    def fixed_msgid(idstring: str | None = None, domain: str | None = None) -> str:
        return f"<{idstring}@{domain}>"  # make_msgid mixes in the clock and the pid

    setattr(emails, "make_msgid", fixed_msgid)  # noqa: B010 - no attribute to type-check
    for seed in range(count):
        shot = render(seed)
        for inline in (False, True):
            yield (
                f"shot-{seed}-{'inline' if inline else 'attached'}",
                emails.screenshot_email(shot, inline=inline),
            )


def messages(n: int, shots: int) -> Iterator[tuple[str, bytes]]:
    for seed in (7, 11):
        for i, raw in enumerate(generate(n, seed)):
            yield f"corpus-{seed}-{i}", raw
    for path in sorted(FIXTURES.rglob("*")):
        if path.suffix == ".eml" or (path.name.startswith("msg_") and path.suffix == ".txt"):
            yield str(path.relative_to(ROOT)), path.read_bytes()
    yield from _screenshot_emails(shots)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.dump_extract", description=__doc__)
    ap.add_argument("out", help="file to write the JSON lines to")
    ap.add_argument("--messages", type=int, default=300, help="per corpus seed (default 300)")
    ap.add_argument("--shots", type=int, default=12, help="screenshot seeds (default 12)")
    args = ap.parse_args(argv)
    with open(args.out, "w", encoding="utf-8") as out:
        for name, raw in messages(args.messages, args.shots):
            out.write(dump_one(name, raw) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
