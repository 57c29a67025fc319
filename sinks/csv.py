"""CSV files: one for code rows, one for failures, each replaced atomically.

Written with a UTF-8 byte-order mark so Excel shows accents, and with formula-looking cells
neutralized so an email cannot plant a formula in whoever opens the file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from parsers.records import CODE_COLUMNS, FAILURE_COLUMNS, Extraction
from sinks import TerminalSinkError, WriteStats
from sinks.upsert import Expiry, Record, merge

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BOM = "\ufeff".encode()  # so Excel reads the file as UTF-8


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
        self._tables: dict[Path, _Table] = {}

    def read(self) -> tuple[dict[str, Record], dict[str, Record]]:
        """The stored code rows and review items, keyed."""
        return dict(self._table(self.path).rows), dict(self._table(self.failures_path).rows)

    def code_rows(self) -> list[Record]:
        return list(self._table(self.path).rows.values())

    def set_statuses(self, statuses: Mapping[str, str]) -> None:
        table = self._table(self.failures_path)
        changed = {
            key: {**table.rows[key], "status": status}
            for key, status in statuses.items()
            if key in table.rows and table.rows[key].get("status") != status
        }
        if changed:
            table.upsert(changed)
            self._save(table)

    def write(self, batch: Sequence[Extraction]) -> WriteStats:
        codes, failures = self._table(self.path), self._table(self.failures_path)
        result = merge(codes.rows, failures.rows, batch, self.expiry)
        if result.codes or not self.path.exists():
            codes.upsert({k: {**codes.rows.get(k, {}), **r} for k, r in result.codes.items()})
            self._save(codes)
        if result.failures or result.cleared or not self.failures_path.exists():
            changed = {k: {**failures.rows.get(k, {}), **r} for k, r in result.failures.items()}
            for key in result.cleared:  # its email now parses: out of the queue, row kept
                if key in failures.rows:
                    changed[key] = {**failures.rows[key], "status": "resolved"}
            failures.upsert(changed)
            self._save(failures)
        return WriteStats(
            inserted=result.inserted,
            updated=result.updated,
            unchanged=result.unchanged,
            refreshed=result.refreshed,
            failures_open=sum(
                1 for f in failures.rows.values() if f.get("status", "open") == "open"
            ),
            failures_cleared=len(result.cleared),
            statuses={key: f.get("status", "") for key, f in failures.rows.items()},
        )

    def _table(self, path: Path) -> _Table:
        signature = _signature(path)
        table = self._tables.get(path)
        if table is None or table.signature != signature:
            base = CODE_COLUMNS if path == self.path else FAILURE_COLUMNS
            rows, extra = _load(path, base)
            table = self._tables[path] = _Table(path, base + extra, rows, signature)
        return table

    def _save(self, table: _Table) -> None:
        try:
            _save(table.path, table.data())
        except BaseException:
            # The rows in memory are ahead of the file now: read the file again next time.
            del self._tables[table.path]
            raise
        table.signature = _signature(table.path)


class _Table:
    """One file's rows, and their CSV text kept in chunks so a write re-serializes only what
    changed: a backfill adds rows batch after batch, and serializing every row again each time
    made the sink cost a third as much as parsing the mail."""

    def __init__(
        self,
        path: Path,
        columns: tuple[str, ...],
        rows: dict[str, Record],
        signature: tuple[int, int],
    ) -> None:
        self.path = path
        self.columns = columns
        self.rows = rows
        self.signature = signature  # the file's when last read or written by us
        self._header = _csv_bytes([], columns, header=True)
        self._chunks: list[_Chunk] = [_Chunk(list(rows))] if rows else []
        self._chunk_of: dict[str, _Chunk] = {key: self._chunks[0] for key in rows}

    def upsert(self, changed: Mapping[str, Record]) -> None:
        added = []
        for key, record in changed.items():
            chunk = self._chunk_of.get(key)
            if chunk is None:
                added.append(key)
            else:
                chunk.data = None
            self.rows[key] = record
        if added:
            chunk = _Chunk(added)
            self._chunks.append(chunk)
            self._chunk_of.update(dict.fromkeys(added, chunk))

    def data(self) -> bytes:
        for chunk in self._chunks:
            if chunk.data is None:
                chunk.data = _csv_bytes([self.rows[k] for k in chunk.keys], self.columns)
        return _BOM + self._header + b"".join(chunk.data or b"" for chunk in self._chunks)


@dataclass(slots=True)
class _Chunk:
    keys: list[str]  # in the file's order, which is the order the rows were first written
    # UTF-8: as str, one emoji in a chunk would store all of it at four bytes a character.
    data: bytes | None = None  # None: to be serialized again


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


def _csv_bytes(rows: Sequence[Record], columns: tuple[str, ...], *, header: bool = False) -> bytes:
    # Neutralized as plain strings before pandas sees them: half the cost of doing it per
    # column on the frame, for the few hundred rows of a batch.
    cells = [[neutralize(str(row.get(c) or "")) for c in columns] for row in rows]
    frame = pd.DataFrame(cells, columns=list(columns), dtype=object)
    text = frame.to_csv(None, index=False, header=header, lineterminator="\r\n")
    return str(text).encode("utf-8", errors="replace")  # a lone surrogate must not stop a run


def _save(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
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
