"""The kept raw emails of review items stay under their size cap, oldest out first."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.review import ReviewStore


def test_store_keeps_under_the_cap_and_evicts_the_oldest(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "review", max_bytes=3000)
    for i in range(5):
        assert store.put(f"f{i}", b"x" * 1000) == 1000
        os.utime(store.path(f"f{i}"), (1_000_000 + i, 1_000_000 + i))
    evicted = store.trim(keep_first={"f0"})
    assert evicted == ["f1", "f2"]  # the oldest go, but the protected one stays
    assert sorted(p.stem for p in (tmp_path / "review").glob("*.eml")) == ["f0", "f3", "f4"]
    assert store.get("f1") is None and store.get("f4") == b"x" * 1000


def test_an_email_larger_than_the_cap_is_not_kept(tmp_path: Path) -> None:
    store = ReviewStore(tmp_path / "review", max_bytes=100)
    assert store.put("big", b"x" * 101) == 0
    assert store.get("big") is None
    assert ReviewStore(tmp_path / "off", max_bytes=0).put("a", b"x") == 0


def test_trim_after_every_batch_still_holds_the_cap(tmp_path: Path) -> None:
    """The store remembers the folder's size between trims; what it remembers must not let
    the folder grow past the cap."""
    store = ReviewStore(tmp_path / "review", max_bytes=2500)
    for i in range(10):
        store.put(f"f{i}", b"x" * 1000)
        os.utime(store.path(f"f{i}"), (1_000_000 + i, 1_000_000 + i))
        store.trim(keep_first={f"f{i}"})
        sizes = [p.stat().st_size for p in (tmp_path / "review").glob("*.eml")]
        assert sum(sizes) <= 2500
    assert sorted(p.stem for p in (tmp_path / "review").glob("*.eml")) == ["f8", "f9"]
