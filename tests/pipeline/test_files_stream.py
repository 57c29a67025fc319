"""Local mailboxes are read as streams: an mbox gives the same bytes as mailbox.mbox, one
message at a time, without a first pass over the whole file."""

from __future__ import annotations

import mailbox
from pathlib import Path

from sources.files import read_paths
from tests.conftest import FIXTURES
from tests.pipeline.mailgen import creator_email

EDGES = [
    b"From a@b Mon Jan  1 00:00:00 2026\nSubject: one\n\nbody\n\n",
    b"From a@b Mon Jan  1 00:00:00 2026\nSubject: no blank before next\n\nbody\n",
    b"From a@b Mon Jan  1 00:00:00 2026\nSubject: quoted\n\n>From here on\n\n\n\n",
    b"From a@b Mon Jan  1 00:00:00 2026\r\nSubject: crlf\r\n\r\nbody\r\n\r\n",
    b"From a@b Mon Jan  1 00:00:00 2026\nSubject: empty body\n\n",
    b"From a@b Mon Jan  1 00:00:00 2026\nSubject: last, no newline\n\nend",
]


def _expected(path: Path) -> list[bytes]:
    box = mailbox.mbox(path, create=False)
    try:
        return [box.get_bytes(key) for key in box.iterkeys()]
    finally:
        box.close()


def test_mbox_stream_gives_what_mailbox_mbox_gives(tmp_path: Path) -> None:
    path = tmp_path / "edges.mbox"
    path.write_bytes(b"".join(EDGES))
    got = list(read_paths([path]))
    assert [m.raw for m in got] == _expected(path)
    assert [m.source for m in got] == [f"mbox:{path}#{i}" for i in range(len(EDGES))]


def test_mbox_stream_on_real_emails(tmp_path: Path) -> None:
    path = tmp_path / "real.mbox"
    box = mailbox.mbox(path)
    emails = sorted((FIXTURES / "emails").glob("*.eml"))[:40]
    for eml in emails:
        box.add(eml.read_bytes())
    for i in range(20):
        box.add(creator_email(i))
    box.close()
    got = [m.raw for m in read_paths([path])]
    assert len(got) == 60
    assert got == _expected(path)


def test_mbox_is_read_lazily(tmp_path: Path) -> None:
    """The first message comes before the file is read to its end: a file whose tail is
    replaced after the first message is yielded shows the new tail."""
    path = tmp_path / "lazy.mbox"
    first = b"From a@b Mon Jan  1 00:00:00 2026\nSubject: first\n\nbody\n\n"
    filler = b"From a@b Mon Jan  1 00:00:00 2026\nSubject: old\n\n" + b"x" * 200_000 + b"\n\n"
    path.write_bytes(first + filler)
    messages = read_paths([path])
    assert b"first" in next(messages).raw
    with path.open("r+b") as fh:  # split the tail: a whole-file pass would not see it
        fh.seek(len(first) + 100_000)
        fh.write(b"\n\nFrom a@b Mon Jan  1 00:00:00 2026\nSubject: new\n\n")
    rest = list(messages)
    assert len(rest) == 2 and b"Subject: new" in rest[1].raw
