"""What earlier runs finished: each source's cursor, processed Message-IDs, the review queue.

A cursor is opaque here: only its source reads it (IMAP's is "uidvalidity:last_uid", see
sources/imap.py). SQLite in WAL mode, committed once per batch and only after the sinks and
the source's marks are written: a crash before the commit repeats the batch (the sinks are
idempotent), a crash after it loses nothing.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from config.errors import TerminalError
from parsers.records import FAILURE_TABLE, ReviewStatus

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cursors (
    source TEXT PRIMARY KEY,
    cursor TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    message_id TEXT PRIMARY KEY,
    processed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tiktok_codes (
    spark_code TEXT PRIMARY KEY,
    tiktok_status TEXT NOT NULL,
    checked_at TEXT,
    ad_account TEXT,
    record TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS screenshot_reads (
    failure_id TEXT PRIMARY KEY,
    reads INTEGER NOT NULL,
    record TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
"""
# The review queue keeps the columns the sinks write (FAILURE_TABLE), and beside them which
# message holds the item, the size of its kept email and when it last changed.
FAILURE_FIELDS = FAILURE_TABLE.columns
_NOT_NULL = frozenset({"message_id", "reason", "detail"})
_FAILURES_OWN = (
    "raw_bytes INTEGER NOT NULL DEFAULT 0",
    "updated_at TEXT NOT NULL",
    "raw_sha TEXT",
)


def _failure_column(name: str) -> str:
    if name == FAILURE_TABLE.key:
        return f"{name} TEXT PRIMARY KEY"
    if name == "status":
        return f"status TEXT NOT NULL DEFAULT '{ReviewStatus.OPEN.value}'"
    return f"{name} TEXT NOT NULL" if name in _NOT_NULL else f"{name} TEXT"


_FAILURES_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS failures (\n    "
    + ",\n    ".join([*map(_failure_column, FAILURE_FIELDS), *_FAILURES_OWN])
    + "\n);"
)
# Columns added since a state file was made (a new spec column, raw_sha) are added on open.
_ADDABLE = {**{c: f"{c} TEXT" for c in FAILURE_FIELDS}, "raw_sha": "raw_sha TEXT"}
# `raw_sha` (a hash of the email's bytes) tells apart two emails that share a Message-ID.
_INSERTED = (*(k for k in FAILURE_FIELDS if k != "status"), "raw_sha")


class StateError(OSError, TerminalError):
    """The state file cannot be opened or written."""


class State:
    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600, exist_ok=True)  # creators' emails and subjects: not for all
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA + _FAILURES_SCHEMA)
            self._migrate_folders()
            have = {row[1] for row in self._db.execute("PRAGMA table_info(failures)")}
            for column, definition in _ADDABLE.items():
                if column not in have:
                    self._db.execute(f"ALTER TABLE failures ADD COLUMN {definition}")
        except (OSError, sqlite3.Error) as exc:
            raise StateError(f"cannot open state file {path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> State:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate_folders(self) -> None:
        """State files before cursors kept IMAP's UIDVALIDITY and last UID in `folders`: they
        become that source's cursor, in the form sources/imap.py reads."""
        old = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'folders'"
        ).fetchone()
        if old is None:
            return
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT OR IGNORE INTO cursors (source, cursor, updated_at) "
                "SELECT folder, uidvalidity || ':' || last_uid, updated_at FROM folders"
            )
            self._db.execute("DROP TABLE folders")

    def cursor(self, source: str) -> str | None:
        """Where `source` stopped, as it wrote it; None for a source never synced."""
        row = self._db.execute("SELECT cursor FROM cursors WHERE source = ?", (source,)).fetchone()
        return str(row[0]) if row else None

    def has_processed(self) -> bool:
        """Whether any earlier run finished a message (and so wrote the sinks)."""
        return self._db.execute("SELECT 1 FROM messages LIMIT 1").fetchone() is not None

    def failure_owners(self, failure_ids: Iterable[str]) -> dict[str, str]:
        """Which email holds each existing review item: the hash of its bytes, or "" when the
        item was stored before hashes were kept. Ids with no item are left out."""
        ids = list(dict.fromkeys(failure_ids))
        found: dict[str, str] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT failure_id, raw_sha FROM failures WHERE failure_id IN ({marks})"
            found.update((str(r[0]), str(r[1] or "")) for r in self._db.execute(query, chunk))
        return found

    def seen(self, message_ids: Iterable[str]) -> set[str]:
        """Which of these messages an earlier run already finished."""
        ids = list(dict.fromkeys(message_ids))
        found: set[str] = set()
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            query = f"SELECT message_id FROM messages WHERE message_id IN ({marks})"
            found.update(r[0] for r in self._db.execute(query, chunk))
        return found

    def commit(
        self,
        message_ids: Iterable[str],
        source: str | None = None,
        cursor: str | None = None,
        failures: Sequence[tuple[Mapping[str, Any], int]] = (),
        cleared: Iterable[str] = (),
    ) -> None:
        """Record a finished batch in one transaction; the last step of every batch.

        `failures` are review items (as records, with the size of their stored raw email);
        `cleared` are review items whose message now gives clean rows.
        """
        now = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT OR IGNORE INTO messages (message_id, processed_at) VALUES (?, ?)",
                    ((m, now) for m in message_ids),
                )
                self._db.executemany(
                    f"INSERT INTO failures ({', '.join(_INSERTED)}, raw_bytes, updated_at) "
                    f"VALUES ({', '.join('?' * (len(_INSERTED) + 2))}) ON CONFLICT(failure_id) DO"
                    " UPDATE SET reason=excluded.reason, detail=excluded.detail,"
                    " snippet=excluded.snippet, raw_bytes=excluded.raw_bytes,"
                    " raw_sha=coalesce(failures.raw_sha, excluded.raw_sha),"
                    " updated_at=excluded.updated_at",
                    (
                        (
                            *(f.get(k) for k in _INSERTED),
                            size,
                            now,
                        )
                        for f, size in failures
                    ),
                )
                self._db.executemany(
                    "UPDATE failures SET status = ?, updated_at = ? WHERE failure_id = ?",
                    ((ReviewStatus.RESOLVED.value, now, c) for c in cleared),
                )
                if source is not None and cursor is not None:
                    self._db.execute(
                        "INSERT INTO cursors (source, cursor, updated_at) VALUES (?, ?, ?) "
                        "ON CONFLICT(source) DO UPDATE SET cursor = excluded.cursor, "
                        "updated_at = excluded.updated_at",
                        (source, cursor, now),
                    )
        except sqlite3.Error as exc:
            raise StateError(f"cannot write state file {self.path}: {exc}") from exc

    # -- the review queue -------------------------------------------------------------------

    def failures(self, *, status: str | None = ReviewStatus.OPEN) -> list[dict[str, Any]]:
        """Review items, oldest first; all of them with `status=None`."""
        where, args = ("WHERE status = ?", (status,)) if status else ("", ())
        cols = ", ".join(FAILURE_FIELDS)
        query = f"SELECT {cols} FROM failures {where} ORDER BY received_at, failure_id"
        return [
            dict(zip(FAILURE_FIELDS, row, strict=True)) for row in self._db.execute(query, args)
        ]

    def failure(self, failure_id: str) -> dict[str, Any] | None:
        cols = ", ".join(FAILURE_FIELDS)
        row = self._db.execute(
            f"SELECT {cols} FROM failures WHERE failure_id = ?", (failure_id,)
        ).fetchone()
        return dict(zip(FAILURE_FIELDS, row, strict=True)) if row else None

    def set_statuses(self, statuses: Mapping[str, str]) -> list[str]:
        """Apply statuses (from a command or from the sheet); returns the ids that changed."""
        changed = []
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._db:
            for failure_id, status in statuses.items():
                cur = self._db.execute(
                    "UPDATE failures SET status = ?, updated_at = ? "
                    "WHERE failure_id = ? AND status != ?",
                    (status, now, failure_id, status),
                )
                if cur.rowcount:
                    changed.append(failure_id)
        return changed

    # -- TikTok: what was checked, and the authorize journal ---------------------------------
    #
    # One row per Spark code: its last TikTok status, and the code row as last written
    # (`record`, CodeRow.as_record) so `verify` can rewrite it in every sink without reading
    # a sink. `ad_account` is the authorize journal (pipeline/tiktok/authorize.py): blank,
    # "attempted" (written before the POST), "added" or "failed: ...". These are facts about
    # a code that TikTok gave, written as soon as they are known; the mail's progress is still
    # committed last (`commit`). Each write is its own transaction, synchronous=FULL: durable
    # before the next request goes out.

    def tiktok_record(self, records: Iterable[Mapping[str, Any]]) -> None:
        """Keep each code's row and status; the journal entry is left as it is."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        rows = [
            (
                str(r["spark_code"]),
                str(r.get("tiktok_status") or "unverified"),
                r.get("checked_at") or None,
                json.dumps(dict(r), ensure_ascii=False, default=str),
                now,
            )
            for r in records
        ]
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT INTO tiktok_codes (spark_code, tiktok_status, checked_at, record,"
                    " updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(spark_code) DO UPDATE SET"
                    " tiktok_status = excluded.tiktok_status,"
                    " checked_at = coalesce(excluded.checked_at, tiktok_codes.checked_at),"
                    " record = excluded.record, updated_at = excluded.updated_at",
                    rows,
                )
        except sqlite3.Error as exc:
            raise StateError(f"cannot write state file {self.path}: {exc}") from exc

    def tiktok_rows(self, statuses: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """Stored code rows (as records), those with one of `statuses` (all with None),
        each with its journal entry as `ad_account` when there is one."""
        query = "SELECT record, ad_account FROM tiktok_codes"
        args: tuple[str, ...] = ()
        if statuses is not None:
            wanted = tuple(dict.fromkeys(statuses))
            query += f" WHERE tiktok_status IN ({','.join('?' * len(wanted))})"
            args = wanted
        out = []
        for record, journal in self._db.execute(query + " ORDER BY spark_code", args):
            row = json.loads(record)
            if journal and journal != "attempted":
                row["ad_account"] = journal
            out.append(row)
        return out

    def tiktok_count(self, status: str) -> int:
        row = self._db.execute(
            "SELECT count(*) FROM tiktok_codes WHERE tiktok_status = ?", (status,)
        ).fetchone()
        return int(row[0])

    def journal_state(self, spark_code: str) -> str | None:
        row = self._db.execute(
            "SELECT ad_account FROM tiktok_codes WHERE spark_code = ?", (spark_code,)
        ).fetchone()
        return str(row[0]) if row and row[0] else None

    def journal_write(self, spark_code: str, value: str) -> None:
        """One journal entry, committed (and synced) before this returns."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            with self._db:
                self._db.execute(
                    "INSERT INTO tiktok_codes (spark_code, tiktok_status, ad_account, record,"
                    " updated_at) VALUES (?, 'active', ?, ?, ?) ON CONFLICT(spark_code) DO UPDATE"
                    " SET ad_account = excluded.ad_account, updated_at = excluded.updated_at",
                    (spark_code, value, json.dumps({"spark_code": spark_code}), now),
                )
        except sqlite3.Error as exc:
            raise StateError(f"cannot write state file {self.path}: {exc}") from exc

    # -- screenshot reads waiting for TikTok ------------------------------------------------
    #
    # A screenshot's reads that TikTok could not be asked about (an outage, a run-wide error)
    # get no row: a guess keyed by a misread could never be taken back out of a sink. They
    # wait here, one entry per email (by its review item's id), with every candidate read in
    # order (pipeline/tiktok/enricher.py says what an entry holds), until a check settles
    # them. `reads` is how many of the email's screenshot rows wait. Added in a later
    # version: CREATE TABLE IF NOT EXISTS gives an older state file the table on open.

    def screenshot_reads(self) -> dict[str, dict[str, Any]]:
        """The waiting entries by review item id, oldest email first."""
        rows = self._db.execute(
            "SELECT failure_id, record FROM screenshot_reads ORDER BY updated_at, failure_id"
        )
        return {str(key): json.loads(record) for key, record in rows}

    def screenshot_reads_waiting(self) -> int:
        """How many screenshot rows wait for TikTok (codes with no row yet)."""
        row = self._db.execute("SELECT coalesce(sum(reads), 0) FROM screenshot_reads").fetchone()
        return int(row[0])

    def keep_screenshot_reads(
        self, waiting: Mapping[str, Mapping[str, Any]], settled: Iterable[str] = ()
    ) -> None:
        """Store (or replace) the `waiting` entries and forget the `settled` ones, in one
        transaction. Each entry holds its rows under "rows"."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT INTO screenshot_reads (failure_id, reads, record, updated_at)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT(failure_id) DO UPDATE SET"
                    " reads = excluded.reads, record = excluded.record,"
                    " updated_at = excluded.updated_at",
                    (
                        (
                            key,
                            len(entry["rows"]),
                            json.dumps(dict(entry), ensure_ascii=False, default=str),
                            now,
                        )
                        for key, entry in waiting.items()
                    ),
                )
                self._db.executemany(
                    "DELETE FROM screenshot_reads WHERE failure_id = ?", ((k,) for k in settled)
                )
        except sqlite3.Error as exc:
            raise StateError(f"cannot write state file {self.path}: {exc}") from exc

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        try:
            with self._db:
                self._db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )
        except sqlite3.Error as exc:
            raise StateError(f"cannot write state file {self.path}: {exc}") from exc


class StateJournal:
    """The authorize journal (pipeline/tiktok/authorize.py's protocol) kept in the state."""

    def __init__(self, state: State) -> None:
        self.state_db = state

    def state(self, spark_code: str) -> str | None:
        return self.state_db.journal_state(spark_code)

    def record_attempt(self, spark_code: str) -> None:
        self.state_db.journal_write(spark_code, "attempted")

    def record_result(self, spark_code: str, ad_account: str) -> None:
        self.state_db.journal_write(spark_code, ad_account)
