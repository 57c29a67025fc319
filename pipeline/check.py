"""`sparkcodes check`: try every part of a config the way a run would, one sentence each.

Nothing is written and no mail is marked: IMAP is logged in to and the folder selected, local
paths are opened, the CSV folder is tested for writing, and the spreadsheet is read.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from config.settings import Settings
from pipeline.imap import ImapError, Mailbox, read_secret
from pipeline.local import SourceError, check_path
from pipeline.wiring import sheets_sink
from sinks import SinkError


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    sentence: str


def run_checks(settings: Settings) -> Iterator[Check]:
    base = settings.path.parent if settings.path else None
    if settings.imap is not None:
        imap = settings.imap
        try:
            secret = read_secret(imap, base)
            with Mailbox(imap, secret, base=base) as mailbox:
                count = len(mailbox.new_uids(0)) if mailbox.uidvalidity else 0
            yield Check(
                "imap",
                True,
                f"logged in to {imap.host} as {imap.username}; "
                f"'{imap.folder}' holds {count} messages",
            )
        except ImapError as exc:
            yield Check("imap", False, str(exc))
    for path in settings.local.paths:
        try:
            check_path(settings.resolve(path))
            yield Check("local", True, f"{settings.resolve(path)} is readable")
        except SourceError as exc:
            yield Check("local", False, str(exc))
    if settings.csv is not None:
        folder = settings.resolve(settings.csv.path).parent
        existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
        try:
            if existing is None or not existing.is_dir():
                raise NotADirectoryError(20, "not a folder")
            with tempfile.TemporaryFile(dir=existing):
                pass
            note = "" if existing == folder else " (the first run will create it)"
            yield Check("csv", True, f"{folder} is writable{note}")
        except OSError as exc:
            yield Check("csv", False, f"cannot write CSV files in {folder}: {exc.strerror or exc}")
    if settings.sheets is not None:
        try:
            sink = sheets_sink(settings)
            codes, failures = sink.read()
            missing = [t.title for t in (codes, failures) if not t.exists]
            note = f"; the first run will add {', '.join(missing)}" if missing else ""
            yield Check("sheets", True, f"spreadsheet {sink.key} is readable{note}")
        except SinkError as exc:
            yield Check("sheets", False, str(exc))
    state = settings.state_path
    if os.access(state.parent if state.parent.exists() else state.parent.parent, os.W_OK):
        yield Check("state", True, f"state kept in {state}")
    else:
        yield Check("state", False, f"cannot write the state file {state}")
