"""The review queue's raw emails: kept under the state dir so a failure can be re-parsed after
the rules change, without the mail server. Size-capped: past the cap the oldest go first; the
copy of an item whose email later parses is dropped at once.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pipeline.state import StateError


class ReviewStore:
    def __init__(self, folder: Path, max_bytes: int) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        # At most the folder's size, as far as this store knows: a backfill trims after every
        # batch, and listing the folder each time would cost more as it fills. Puts add to it,
        # drops do not take away (a file may not be there), so it errs on the high side.
        self._bound: int | None = None

    def path(self, failure_id: str) -> Path:
        return self.folder / f"{failure_id}.eml"

    def put(self, failure_id: str, raw: bytes) -> int:
        """Keep `raw`; returns the bytes kept (0 when the store is turned off or it is larger)."""
        if self.max_bytes <= 0 or len(raw) > self.max_bytes:
            return 0
        try:
            self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(raw)
                # No fsync: a copy for review; the email itself stays in the mailbox.
                os.replace(tmp, self.path(failure_id))
                if self._bound is not None:
                    self._bound += len(raw)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StateError(
                f"cannot keep an email for review in {self.folder}: {exc.strerror or exc}"
            ) from exc
        return len(raw)

    def get(self, failure_id: str) -> bytes | None:
        try:
            return self.path(failure_id).read_bytes()
        except FileNotFoundError:
            return None

    def drop(self, failure_id: str) -> None:
        self.path(failure_id).unlink(missing_ok=True)

    def trim(self, keep_first: set[str]) -> list[str]:
        """Evict oldest files until under the cap; ids in `keep_first` go last. Returns evicted."""
        if self._bound is not None and self._bound <= self.max_bytes:
            return []
        if not self.folder.exists():
            return []
        files = []
        for path in self.folder.glob("*.eml"):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            files.append((path.stem in keep_first, st.st_mtime, st.st_size, path))
        total = sum(size for _, _, size, _ in files)
        evicted = []
        for _, _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            total -= size
            path.unlink(missing_ok=True)
            evicted.append(path.stem)
        self._bound = total
        return evicted
