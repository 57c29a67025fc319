"""CSV files: one for code rows, one for failures, each replaced atomically.

Written with a UTF-8 byte-order mark so Excel shows accents, and with formula-looking cells
neutralized so an email cannot plant a formula in whoever opens the file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from parsers.records import CODE_COLUMNS, FAILURE_COLUMNS, Extraction
from sinks import TerminalSinkError, WriteStats
from sinks.upsert import Expiry, Record, merge

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value: str) -> str:
    """Prefix a formula-looking cell with an apostrophe, as spreadsheet apps expect."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def restore(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


class CsvSink:
    """Upserts into `path` (codes) and `failures_path`; user-added columns are kept."""

    def __init__(self, path: Path, failures_path: Path, expiry: Expiry | None = None) -> None:
        self.path = path
        self.failures_path = failures_path
        self.expiry = expiry or Expiry()
        # What this sink last wrote, by file: a backfill writes batch after batch, and
        # re-reading its own file each time would cost more than the parsing. Reused only
        # while the file is exactly as we left it (a person may edit it between runs).
        self._cache: dict[Path, tuple[tuple[int, int], dict[str, Record], tuple[str, ...]]] = {}

    def read(self) -> tuple[dict[str, Record], dict[str, Record]]:
        """The stored code rows and review items, keyed."""
        return self._load(self.path, CODE_COLUMNS)[0], self._load(
            self.failures_path, FAILURE_COLUMNS
        )[0]

    def code_rows(self) -> list[Record]:
        return list(self._load(self.path, CODE_COLUMNS)[0].values())

    def set_statuses(self, statuses: Mapping[str, str]) -> None:
        failures, extra = self._load(self.failures_path, FAILURE_COLUMNS)
        changed = False
        for key, status in statuses.items():
            if key in failures and failures[key].get("status") != status:
                failures[key] = {**failures[key], "status": status}
                changed = True
        if changed:
            self._save(self.failures_path, failures, FAILURE_COLUMNS + extra)

    def write(self, batch: Sequence[Extraction]) -> WriteStats:
        codes, code_extra = self._load(self.path, CODE_COLUMNS)
        failures, failure_extra = self._load(self.failures_path, FAILURE_COLUMNS)
        result = merge(codes, failures, batch, self.expiry)
        if result.codes or not self.path.exists():
            for key, record in result.codes.items():
                codes[key] = {**codes.get(key, {}), **record}
            self._save(self.path, codes, CODE_COLUMNS + code_extra)
        if result.failures or result.cleared or not self.failures_path.exists():
            for key, record in result.failures.items():
                failures[key] = {**failures.get(key, {}), **record}
            for key in result.cleared:  # its email now parses: out of the queue, row kept
                if key in failures:
                    failures[key] = {**failures[key], "status": "resolved"}
            self._save(self.failures_path, failures, FAILURE_COLUMNS + failure_extra)
        return WriteStats(
            inserted=result.inserted,
            updated=result.updated,
            unchanged=result.unchanged,
            refreshed=result.refreshed,
            failures_open=sum(1 for f in failures.values() if f.get("status", "open") == "open"),
            failures_cleared=len(result.cleared),
            statuses={key: f.get("status", "") for key, f in failures.items()},
        )

    def _load(
        self, path: Path, columns: tuple[str, ...]
    ) -> tuple[dict[str, Record], tuple[str, ...]]:
        cached = self._cache.get(path)
        if cached is not None and cached[0] == _signature(path):
            return dict(cached[1]), cached[2]
        return _load(path, columns)

    def _save(self, path: Path, rows: dict[str, Record], columns: tuple[str, ...]) -> None:
        _save(path, rows, columns)
        base = CODE_COLUMNS if path == self.path else FAILURE_COLUMNS
        self._cache[path] = (_signature(path), dict(rows), columns[len(base) :])


def _signature(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)


def _load(path: Path, columns: tuple[str, ...]) -> tuple[dict[str, Record], tuple[str, ...]]:
    """Stored rows keyed by the first column, plus any columns a person added."""
    if not path.exists():
        return {}, ()
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        return {}, ()
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise TerminalSinkError(f"cannot read {path}: {exc}") from exc
    key = columns[0]
    if key not in frame.columns:
        raise TerminalSinkError(f"{path} has no '{key}' column; is it a sparkcodes file?")
    extra = tuple(c for c in frame.columns if c not in columns)
    rows: dict[str, Record] = {}
    for record in frame.to_dict(orient="records"):
        clean = {str(k): restore(str(v)) for k, v in record.items()}
        rows[clean[key]] = clean
    return rows, extra


def _save(path: Path, rows: Mapping[str, Record], columns: tuple[str, ...]) -> None:
    frame = pd.DataFrame(list(rows.values()), columns=list(columns), dtype=str).fillna("")
    for column in frame.columns:  # vectorized: a per-cell Python call costs more than the write
        values = frame[column]
        risky = values.str.startswith(_FORMULA_START)
        if risky.any():
            frame[column] = values.where(~risky, "'" + values)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as fh:
                frame.to_csv(fh, index=False, lineterminator="\r\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
    except OSError as exc:
        raise TerminalSinkError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable, so a crash cannot bring back the old file."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
