"""CSV files: one for code rows, one for failures, each replaced atomically.

Written with a UTF-8 byte-order mark so Excel shows accents, and with formula-looking cells
neutralized so an email cannot plant a formula in whoever opens the file.
"""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

from parsers.records import CODE_TABLE, FAILURE_TABLE, Extraction
from sinks import RetryableSinkError, TerminalSinkError, WriteStats
from sinks.upsert import Expiry, Record, merge

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_BOM = "\ufeff".encode()  # so Excel reads the file as UTF-8
_CHUNK_ROWS = 500  # rows of a file read from disk per chunk: what an old row's update rewrites


def neutralize(value: str) -> str:
    """Prefix a formula-looking cell with an apostrophe, as spreadsheet apps expect."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def restore(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


class _FileChanged(RetryableSinkError):
    """The file is not the one this sink last read or wrote: someone saved it meanwhile."""


class CsvSink:
    """Upserts into `path` (codes) and `failures_path`; user-added columns are kept."""

    def __init__(
        self,
        path: Path,
        failures_path: Path,
        expiry: Expiry | None = None,
        *,
        written_before: bool = False,
    ) -> None:
        """`written_before`: earlier runs wrote these files (the state says so), so a missing
        one was moved or deleted, and starting it afresh would silently lose its rows."""
        self.path = path
        self.failures_path = failures_path
        self.expiry = expiry or Expiry()
        self._must_exist = {path, failures_path} if written_before else set()
        # What this sink last wrote, by file: a backfill writes batch after batch, and
        # re-reading its own file each time would cost more than the parsing. Reused only
        # while the file is exactly as we left it (a person may edit it between runs).
        self._tables: dict[Path, _Table] = {}

    def read(self) -> tuple[dict[str, Record], dict[str, Record]]:
        """The stored code rows and review items, keyed."""
        return self._again_if_changed(
            lambda: (self._table(self.path).all_rows(), self._table(self.failures_path).all_rows())
        )

    def code_rows(self) -> list[Record]:
        return self._again_if_changed(lambda: list(self._table(self.path).all_rows().values()))

    def set_statuses(self, statuses: Mapping[str, str]) -> None:
        self._again_if_changed(lambda: self._set_statuses(statuses))

    def write(self, batch: Sequence[Extraction]) -> WriteStats:
        return self._again_if_changed(lambda: self._write(batch))

    def _again_if_changed(self, action: Callable[[], T]) -> T:
        """Once more from a fresh read when a person saved the file while we used it."""
        try:
            return action()
        except _FileChanged:
            self._tables.clear()
            return action()

    def _set_statuses(self, statuses: Mapping[str, str]) -> None:
        table = self._table(self.failures_path)
        changed = {
            key: {**stored, "status": status}
            for key, status in statuses.items()
            if (stored := table.get(key)) is not None and stored.get("status") != status
        }
        if changed:
            table.upsert(changed)
            self._save(table)

    def _write(self, batch: Sequence[Extraction]) -> WriteStats:
        codes, failures = self._table(self.path), self._table(self.failures_path)
        expiries = ((key, facts[0], facts[1]) for key, facts in codes.facts.items())
        result = merge(codes.stored, failures.stored, batch, self.expiry, expiries=expiries)
        if result.codes or codes.foreign or not self.path.exists():
            codes.upsert({k: {**(codes.get(k) or {}), **r} for k, r in result.codes.items()})
            self._save(codes)
        if result.failures or result.cleared or failures.foreign or not self.failures_path.exists():
            # Cleared items come marked resolved (upsert.merge): out of the queue, row kept.
            changed = {k: {**(failures.get(k) or {}), **r} for k, r in result.failures.items()}
            failures.upsert(changed)
            self._save(failures)
        codes.forget()
        failures.forget()
        return result.stats({key: facts[0] for key, facts in failures.facts.items()})

    def _table(self, path: Path) -> _Table:
        signature = _signature(path)
        table = self._tables.get(path)
        if table is None or table.signature != signature:
            if path in self._must_exist and signature == (-1, -1) and not path.exists():
                raise TerminalSinkError(
                    f"{path} is gone (moved or deleted) though earlier runs wrote it; put it "
                    "back, or run `sparkcodes run --full` to write it again from the mailbox"
                )
            spec = CODE_TABLE if path == self.path else FAILURE_TABLE
            base = spec.columns
            loaded = _load(path, base)
            # People's columns stay where they put them; ours a file lacks go at the end.
            columns = loaded.columns + tuple(c for c in base if c not in loaded.columns)
            table = _Table(path, columns, spec.key, spec.facts, loaded.rows, signature)
            table.foreign = loaded.foreign
            self._tables[path] = table
        return table

    def _save(self, table: _Table) -> None:
        try:
            table.save()
        except BaseException:
            # The rows in memory are ahead of the file now: read the file again next time.
            self._tables.pop(table.path, None)
            raise
        table.signature = _signature(table.path)
        table.foreign = False
        self._must_exist.add(table.path)


class _Table:
    """One file's rows, as chunks of the file: a write serializes only the chunks that changed
    (a backfill adds rows batch after batch; serializing every row each time made the sink
    cost a third as much as parsing the mail) and copies the others from the file it replaces.
    A row is parsed back from the file only when a batch touches it, so memory holds the keys
    and `facts`, the few columns a merge reads on every row (expiry, review status), whatever
    the size of the file.
    """

    def __init__(
        self,
        path: Path,
        columns: tuple[str, ...],
        key: str,
        fact_columns: tuple[str, ...],
        rows: dict[str, Record],
        signature: tuple[int, int],
    ) -> None:
        self.path = path
        self.columns = columns
        self.key = key
        self.foreign = False  # read from a file in another dialect: write it back in ours
        self.fact_columns = fact_columns
        self.signature = signature  # the file's when last read or written by us
        self.facts: dict[str, tuple[str, ...]] = {}
        self.stored = _StoredRows(self)
        self._header = _csv_bytes([], columns, header=True)
        self._chunks: list[_Chunk] = []
        self._chunk_of: dict[str, _Chunk] = {}
        keys = list(rows)
        for start in range(0, len(keys), _CHUNK_ROWS):  # a file read from disk, in chunks
            self.upsert({key: rows[key] for key in keys[start : start + _CHUNK_ROWS]})

    def get(self, key: str) -> Record | None:
        chunk = self._chunk_of.get(key)
        return None if chunk is None else self._rows(chunk)[key]

    def all_rows(self) -> dict[str, Record]:
        return {key: row for chunk in self._chunks for key, row in self._rows(chunk).items()}

    def upsert(self, changed: Mapping[str, Record]) -> None:
        added: dict[str, Record] = {}
        for key, record in changed.items():
            chunk = self._chunk_of.get(key)
            if chunk is None:
                added[key] = record
            else:
                self._rows(chunk)[key] = record
                chunk.span = None
            self.facts[key] = tuple(record.get(c) or "" for c in self.fact_columns)
        if added:
            chunk = _Chunk(list(added), rows=added)
            self._chunks.append(chunk)
            self._chunk_of.update(dict.fromkeys(added, chunk))

    def forget(self) -> None:
        """Drop rows parsed back for a lookup: the file holds them."""
        for chunk in self._chunks:
            if chunk.span is not None:
                chunk.rows = None

    def save(self) -> None:
        """Write the whole file anew (atomically), then remember where each chunk landed."""
        spans: list[tuple[int, int]] = []

        def pieces(old: BinaryIO | None) -> Iterator[bytes]:
            if old is not None:
                self._check(old)
            offset = len(_BOM) + len(self._header)
            yield _BOM + self._header
            for chunk in self._chunks:
                if chunk.span is not None and old is not None:
                    old.seek(chunk.span[0])
                    data = old.read(chunk.span[1])
                else:
                    rows = self._rows(chunk)
                    data = _csv_bytes([rows[k] for k in chunk.keys], self.columns)
                spans.append((offset, len(data)))
                offset += len(data)
                yield data

        _save(self.path, pieces)
        for chunk, span in zip(self._chunks, spans, strict=True):
            chunk.span, chunk.rows = span, None  # the file holds them now

    def _check(self, fh: BinaryIO) -> None:
        """Chunks are byte ranges of the file as this table last saw it: nothing else will do."""
        st = os.fstat(fh.fileno())
        if (st.st_mtime_ns, st.st_size) != self.signature:
            raise _FileChanged(f"{self.path} changed while sparkcodes was writing it")

    def _rows(self, chunk: _Chunk) -> dict[str, Record]:
        if chunk.rows is None:
            assert chunk.span is not None
            try:
                with open(self.path, "rb") as fh:
                    self._check(fh)
                    fh.seek(chunk.span[0])
                    data = fh.read(chunk.span[1])
            except FileNotFoundError as exc:
                raise _FileChanged(f"{self.path} was removed while sparkcodes used it") from exc
            except OSError as exc:
                raise TerminalSinkError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
            rows = _parse(self._header + data, self.path, self.key)
            chunk.rows = {key: rows[key] for key in chunk.keys}
        return chunk.rows


class _StoredRows(Mapping[str, Record]):
    """A table's rows for `merge`, which looks up only the keys a batch brings."""

    def __init__(self, table: _Table) -> None:
        self._table = table

    def __getitem__(self, key: str) -> Record:
        row = self._table.get(key)
        if row is None:
            raise KeyError(key)
        return row

    def __contains__(self, key: object) -> bool:
        return key in self._table.facts

    def __iter__(self) -> Iterator[str]:
        return iter(self._table.facts)

    def __len__(self) -> int:
        return len(self._table.facts)


@dataclass(slots=True)
class _Chunk:
    keys: list[str]  # in the file's order, which is the order the rows were first written
    span: tuple[int, int] | None = None  # offset and length in the file; None: serialize again
    rows: dict[str, Record] | None = None  # parsed back while a batch needs them


def _signature(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)


@dataclass(frozen=True, slots=True)
class _Loaded:
    rows: dict[str, Record]
    columns: tuple[str, ...]  # the file's, in its order
    foreign: bool = False  # not UTF-8 with BOM and commas, as sparkcodes writes


def _load(path: Path, columns: tuple[str, ...]) -> _Loaded:
    """Stored rows keyed by the first column, and the file's columns (people add their own).

    A file a spreadsheet app saved again in its local dialect is read too: Excel's "CSV"
    in much of Europe is `;`-separated, and its default encoding Windows-1252.
    """
    if not path.exists():
        return _Loaded({}, ())
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TerminalSinkError(f"cannot read {path}: {exc.strerror or exc}") from exc
    bom = data.startswith(_BOM)
    body = data[len(_BOM) :] if bom else data
    source: io.BytesIO | io.StringIO = io.BytesIO(body)
    encoding = "utf-8"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        source, encoding = io.StringIO(body.decode("cp1252", errors="replace")), "cp1252"
    sep = _delimiter(body[: body.find(b"\n")] if b"\n" in body else body)
    pd = _pandas()
    try:
        frame = pd.read_csv(source, dtype=str, keep_default_na=False, sep=sep)
    except pd.errors.EmptyDataError:
        return _Loaded({}, ())
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise TerminalSinkError(
            f"cannot read {path} ({exc}); save it from your spreadsheet app as "
            '"CSV UTF-8 (comma delimited)"'
        ) from exc
    key = columns[0]
    if key not in frame.columns:
        raise TerminalSinkError(f"{path} has no '{key}' column; is it a sparkcodes file?")
    foreign = not bom or sep != "," or encoding != "utf-8"
    return _Loaded(_records(frame, key), tuple(str(c) for c in frame.columns), foreign)


def _pandas() -> Any:
    """pandas, imported on first use: a third of a second that a run with worker processes
    spends while they extract the first batches, not before the first fetch."""
    import pandas

    return pandas


def _delimiter(header: bytes) -> str:
    """The header line's separator: ours is a comma; a spreadsheet app may have used `;` or
    a tab. Our column names hold none of them, so the most frequent one is it."""
    counts = {sep: header.count(sep.encode()) for sep in (",", ";", "\t")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def _parse(data: bytes, path: Path, key: str) -> dict[str, Record]:
    """Rows this sink serialized itself (a chunk with the header line before it)."""
    pd = _pandas()
    try:
        frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:  # our own bytes: not expected
        raise TerminalSinkError(f"cannot read back rows of {path}: {exc}") from exc
    return _records(frame, key)


def _records(frame: pd.DataFrame, key: str) -> dict[str, Record]:
    rows: dict[str, Record] = {}
    for record in frame.to_dict(orient="records"):
        clean = {str(k): restore(str(v)) for k, v in record.items()}
        rows[clean[key]] = clean
    return rows


def _csv_bytes(rows: Sequence[Record], columns: tuple[str, ...], *, header: bool = False) -> bytes:
    # Neutralized as plain strings before pandas sees them: half the cost of doing it per
    # column on the frame, for the few hundred rows of a batch.
    cells = [[neutralize(str(row.get(c) or "")) for c in columns] for row in rows]
    frame = _pandas().DataFrame(cells, columns=list(columns), dtype=object)
    text = frame.to_csv(None, index=False, header=header, lineterminator="\r\n")
    return str(text).encode("utf-8", errors="replace")  # a lone surrogate must not stop a run


def _save(path: Path, pieces: Callable[[BinaryIO | None], Iterable[bytes]]) -> None:
    """Write `pieces(old file)` to a temporary file, then rename it over `path`."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # 0600
        try:
            _keep_mode_and_owner(path, fd)
            with os.fdopen(fd, "wb") as fh, contextlib.ExitStack() as stack:
                old = stack.enter_context(open(path, "rb")) if path.exists() else None
                fh.writelines(pieces(old))
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)
    except OSError as exc:
        raise TerminalSinkError(f"cannot write {path}: {exc.strerror or exc}") from exc


def _keep_mode_and_owner(path: Path, fd: int) -> None:
    """The replacement keeps the file's mode and owner (a person may have shared it with a
    group, or given it to another user); a new file stays 0600, for creators' emails."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return
    os.fchmod(fd, stat.S_IMODE(st.st_mode))
    if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        with contextlib.suppress(PermissionError):  # only root may give a file away
            os.fchown(fd, st.st_uid, st.st_gid)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable, so a crash cannot bring back the old file."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
