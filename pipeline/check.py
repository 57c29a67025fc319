"""`sparkcodes check`: try every part of a config the way a run would, one sentence each.

Nothing is written and no mail is marked: IMAP is logged in to and the folder selected, local
paths are opened, the CSV files and their folder are tested for writing, the spreadsheet is
read, and with [tiktok] one read-only request asks TikTok about a probe code. Each check is
reported on its own, so one that breaks never hides the others.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from config.errors import SparkcodesError
from config.settings import Settings
from pipeline.wiring import sheets_sink, tiktok_client
from sinks import SinkError
from sources import SourceError
from sources.files import check_path
from sources.imap import ImapError, Mailbox, read_secret


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    sentence: str


def run_checks(settings: Settings) -> Iterator[Check]:
    for name, check in _checks(settings):
        try:
            yield from check()
        except Exception as exc:  # a bug in sparkcodes: still one sentence, and the rest run
            yield Check(
                name,
                False,
                f"unexpected error ({type(exc).__name__}: {exc}); this is a bug, please report it",
            )


def _checks(settings: Settings) -> Iterator[tuple[str, Callable[[], Iterator[Check]]]]:
    if settings.imap is not None:
        yield "imap", lambda: _imap(settings)
    if settings.local.paths:
        yield "local", lambda: _local(settings)
    if settings.csv is not None:
        yield "csv", lambda: _csv(settings)
    if settings.sheets is not None:
        yield "sheets", lambda: _sheets(settings)
    if settings.tiktok is not None:
        yield "tiktok", lambda: _tiktok(settings)
    yield "state", lambda: _state(settings)


def _imap(settings: Settings) -> Iterator[Check]:
    imap = settings.imap
    assert imap is not None
    try:
        secret = read_secret(imap)
        with Mailbox(imap, secret) as mailbox:
            count = len(mailbox.new_uids(0)) if mailbox.uidvalidity else 0
        yield Check(
            "imap",
            True,
            f"logged in to {imap.host} as {imap.username}; '{imap.folder}' holds {count} messages",
        )
    except ImapError as exc:
        yield Check("imap", False, str(exc))


def _local(settings: Settings) -> Iterator[Check]:
    for path in settings.local.paths:
        try:
            check_path(path)
            yield Check("local", True, f"{path} is readable")
        except SourceError as exc:
            yield Check("local", False, str(exc))


def _csv(settings: Settings) -> Iterator[Check]:
    csv = settings.csv
    assert csv is not None
    files = [csv.path, csv.failures_path]
    problems = [p for p in (_writable_file(f) for f in files) if p]
    for folder in dict.fromkeys(f.parent for f in files):
        existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
        try:
            if existing is None or not existing.is_dir():
                raise NotADirectoryError(20, "not a folder")
            with tempfile.TemporaryFile(dir=existing):
                pass
        except OSError as exc:
            problems.append(f"cannot write CSV files in {folder}: {exc.strerror or exc}")
    if problems:
        yield Check("csv", False, "; ".join(problems))
        return
    new = [f.name for f in files if not f.exists()]
    note = f" (the first run will create {', '.join(new)})" if new else ""
    yield Check("csv", True, f"{' and '.join(str(f) for f in files)} are writable{note}")


def _writable_file(path: Path) -> str | None:
    """Why an existing CSV file cannot be rewritten, or None.

    Testing the folder is not enough: a file made read-only or immutable (chattr +i), or a
    folder where the file should be, fails the run's write although the folder takes new
    files. Opening it for update, without writing, asks the kernel the same question.
    """
    if not path.exists():
        return None
    if path.is_dir():
        return f"{path} is a folder, not a CSV file"
    try:
        with open(path, "r+b"):
            pass
    except OSError as exc:
        return f"cannot write {path}: {exc.strerror or exc}"
    return None


def _sheets(settings: Settings) -> Iterator[Check]:
    try:
        sink = sheets_sink(settings)
        codes, failures = sink.read()
        missing = [t.title for t in (codes, failures) if not t.exists]
        note = f"; the first run will add {', '.join(missing)}" if missing else ""
        yield Check("sheets", True, f"spreadsheet {sink.key} is readable{note}")
    except SinkError as exc:
        yield Check("sheets", False, str(exc))


def _tiktok(settings: Settings) -> Iterator[Check]:
    """One read-only request (``/tt_video/info/`` for a probe code): TikTok refusing the probe
    proves the token, scope 690 and the advertiser; a run-wide error names what to fix."""
    tiktok = settings.tiktok
    assert tiktok is not None
    try:
        with tiktok_client(settings) as client:
            client.check()
    except SparkcodesError as exc:
        yield Check("tiktok", False, str(exc))
        return
    where = tiktok.effective_endpoint or "TikTok"
    note = (
        "; authorize = true also needs scope 691, checked at the first authorize"
        if tiktok.authorize
        else ""
    )
    yield Check(
        "tiktok",
        True,
        f"{where} accepts the access token for advertiser {tiktok.advertiser_id} (scope 690){note}",
    )


def _state(settings: Settings) -> Iterator[Check]:
    state = settings.state_path
    if os.access(state.parent if state.parent.exists() else state.parent.parent, os.W_OK):
        yield Check("state", True, f"state kept in {state}")
    else:
        yield Check("state", False, f"cannot write the state file {state}")
