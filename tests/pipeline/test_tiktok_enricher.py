"""The TikTok step on extractions directly: screenshot candidates (issue 13), and how its
review items meet the parser's."""

# Fixtures are imported from their modules, so their parameters shadow the imports.
# ruff: noqa: F811

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from parsers.extract import extract
from parsers.records import CodeSource, Extraction, Failure, Reason, TikTokStatus
from pipeline.state import State
from pipeline.tiktok import Client, RetryPolicy
from pipeline.tiktok.enricher import MAX_CANDIDATES, TikTokCheck
from pipeline.tiktok.verify import GIVE_UP_AFTER
from tests.pipeline.mailgen import code_for, creator_email
from tests.pipeline.tiktok_helpers import video_of
from tests.tiktok_emulator.conftest import tiktok_emulator  # noqa: F401
from tests.tiktok_emulator.server import TikTokEmulator
from tests.tiktok_emulator.state import CODE_DELETED, EXPIRED


@pytest.fixture
def check(tiktok_emulator: TikTokEmulator, tmp_path: Path) -> Iterator[TikTokCheck]:
    retry = RetryPolicy(attempts=2, backoff=0.01, max_backoff=0.02, rate_wait=0.1)
    client = Client(
        tiktok_emulator.advertiser_id,
        tiktok_emulator.token,
        endpoint=tiktok_emulator.base_url,
        retry=retry,
    )
    with State(tmp_path / "state.sqlite3") as state, client:
        yield TikTokCheck(client, state)


def email(i: int) -> Extraction:
    result = extract(creator_email(i), "test")
    assert result.failure is None and len(result.rows) == 1
    return result


def screenshot(i: int, reads: list[str], *, linked: bool = True) -> Extraction:
    """Creator i's email as if its code had been read off a screenshot: `reads` are the OCR's
    candidates, most likely first; the parser flags it code_from_screenshot."""
    base = email(i)
    row = dataclasses.replace(
        base.rows[0],
        spark_code=reads[0],
        candidates=tuple(reads),
        code_source=CodeSource.SCREENSHOT,
        video_id=base.rows[0].video_id if linked else None,
        video_url=base.rows[0].video_url if linked else None,
    )
    failure = Failure(Reason.CODE_FROM_SCREENSHOT, f"read {reads[0]}", "", base.identity)
    return Extraction((row,), failure)


def misread(code: str, at: int) -> str:
    swap = {"O": "0", "0": "O", "l": "1", "1": "l", "I": "l"}
    chars = list(code)
    chars[at] = swap.get(chars[at], "O" if chars[at] != "O" else "0")
    return "".join(chars)


def test_the_read_tiktok_knows_becomes_the_row(
    check: TikTokCheck, tiktok_emulator: TikTokEmulator
) -> None:
    true = tiktok_emulator.add_code(auth_code=code_for(0), item_id=video_of(0)).auth_code
    reads = [misread(true, 5), misread(true, 9), true, misread(true, 12)]
    (out,) = check.enrich([screenshot(0, reads)])
    assert out.failure is None  # TikTok settled the read: no review item
    (row,) = out.rows
    assert row.spark_code == true
    assert row.tiktok_status is TikTokStatus.ACTIVE
    assert row.code_source is CodeSource.SCREENSHOT
    asked = [r.query["auth_code"][0] for r in tiktok_emulator.requests]
    assert asked == reads[:3]  # in order, and no further once found


def test_a_known_code_for_another_video_is_not_taken(
    check: TikTokCheck, tiktok_emulator: TikTokEmulator
) -> None:
    true = code_for(0)
    tiktok_emulator.add_code(auth_code=true, item_id=video_of(0))
    other = misread(true, 7)  # a misread that happens to be a real code, for another video
    tiktok_emulator.add_code(auth_code=other, item_id="7399999999999999999")
    (out,) = check.enrich([screenshot(0, [other, true])])
    assert [r.spark_code for r in out.rows] == [true]
    assert out.rows[0].tiktok_status is TikTokStatus.ACTIVE


def test_no_known_read_writes_no_row_and_keeps_the_review_item(
    check: TikTokCheck, tiktok_emulator: TikTokEmulator
) -> None:
    true = code_for(0)
    reads = [misread(true, k) for k in range(3, 3 + MAX_CANDIDATES + 5)]
    (out,) = check.enrich([screenshot(0, reads)])
    assert out.rows == ()
    assert out.failure is not None
    assert out.failure.reason is Reason.CODE_FROM_SCREENSHOT
    assert f"none of the {MAX_CANDIDATES} reads" in out.failure.detail
    assert all(r in out.failure.detail for r in reads[:3])
    assert tiktok_emulator.count("info") == MAX_CANDIDATES  # bounded


def test_a_misread_never_becomes_active(
    check: TikTokCheck, tiktok_emulator: TikTokEmulator
) -> None:
    """Many screenshots, each with one true code somewhere in its reads or not at all; every
    active row must be a code TikTok issued for that creator's linked video."""
    issued = {}
    batch = []
    for i in range(12):
        true = code_for(i, "shot")
        if i % 3:
            tiktok_emulator.add_code(auth_code=true, item_id=video_of(i))
            issued[true] = i
        decoy = misread(true, 4)
        if i % 4 == 0:  # a misread that is some other real code for another video
            tiktok_emulator.add_code(auth_code=decoy, item_id="7399999999999999999")
        reads = [decoy, misread(true, 8), true] if i % 2 else [decoy, misread(true, 8)]
        batch.append(screenshot(i, reads))
    out = check.enrich(batch)
    for i, extraction in enumerate(out):
        for row in extraction.rows:
            if row.tiktok_status is TikTokStatus.ACTIVE:
                assert issued.get(row.spark_code) == i
        if not extraction.rows:
            assert extraction.failure is not None
            assert extraction.failure.reason is Reason.CODE_FROM_SCREENSHOT
    found = sum(1 for e in out if e.rows)
    assert found == sum(1 for i in range(12) if i % 3 and i % 2)


def test_without_a_link_the_first_known_read_is_taken(
    check: TikTokCheck, tiktok_emulator: TikTokEmulator
) -> None:
    true = tiktok_emulator.add_code(auth_code=code_for(0), item_id=video_of(0)).auth_code
    (out,) = check.enrich([screenshot(0, [misread(true, 3), true], linked=False)])
    assert [r.spark_code for r in out.rows] == [true]
    assert out.rows[0].tiktok_item_id == video_of(0)


def test_a_screenshot_read_during_an_outage_waits_in_the_state_with_its_candidates(
    check: TikTokCheck, tiktok_emulator: TikTokEmulator
) -> None:
    true = tiktok_emulator.add_code(auth_code=code_for(0), item_id=video_of(0)).auth_code
    reads = [misread(true, 5), true, misread(true, 9)]
    tiktok_emulator.inject(code=50000, count=100, path_contains="info")
    shot = screenshot(0, reads)
    (out,) = check.enrich([shot])
    assert out.rows == ()  # no row for a guess: a misread row could never be taken back
    assert out.failure is not None and shot.failure is not None
    assert out.failure.failure_id == shot.failure.failure_id
    assert out.failure.detail.startswith(shot.failure.detail)  # the parser's detail, then why
    assert "TikTok could not be reached" in out.failure.detail
    assert reads[0] in out.failure.detail  # the best read, for a person meanwhile
    assert check.state is not None
    waiting = check.state.screenshot_reads()
    assert list(waiting) == [shot.failure.failure_id]
    assert [r["candidates"] for r in waiting[shot.failure.failure_id]["rows"]] == [reads]
    assert check.state.screenshot_reads_waiting() == 1

    tiktok_emulator._faults.clear()
    before = tiktok_emulator.count("info")
    (done,) = check.recheck_screenshots(waiting)
    asked = [r.query["auth_code"][0] for r in tiktok_emulator.requests[before:]]
    assert asked == reads[:2]  # in order, from the first, none after the known one
    assert done.waiting is None and done.answered == done.asked == 1
    assert done.extraction is not None and done.extraction.failure is None  # item cleared
    (row,) = done.extraction.rows
    assert (row.spark_code, row.tiktok_status) == (true, TikTokStatus.ACTIVE)
    assert row.identity.failure_id == shot.failure.failure_id  # the email's, so it clears
    assert check.state.tiktok_rows(["active"])[0]["spark_code"] == true


def test_a_recheck_that_finds_no_known_read_keeps_the_item_and_lists_the_reads(
    check: TikTokCheck, tiktok_emulator: TikTokEmulator
) -> None:
    reads = [misread(code_for(0), 5), misread(code_for(0), 9)]
    tiktok_emulator.inject(code=50000, count=100, path_contains="info")
    (out,) = check.enrich([screenshot(0, reads)])
    assert out.rows == ()
    assert check.state is not None
    tiktok_emulator._faults.clear()
    (done,) = check.recheck_screenshots(check.state.screenshot_reads())
    assert done.waiting is None  # settled: TikTok answered about every read
    assert done.extraction is not None and done.extraction.rows == ()
    failure = done.extraction.failure
    assert failure is not None and failure.reason is Reason.CODE_FROM_SCREENSHOT
    assert "TikTok knows none of the 2 reads tried" in failure.detail
    assert "could not be reached" not in failure.detail


def test_a_found_screenshot_code_that_expired_is_reviewed_as_such(
    check: TikTokCheck, tiktok_emulator: TikTokEmulator
) -> None:
    ended = datetime(2026, 10, 1, tzinfo=UTC)  # before the email came (2026-11-01)
    true = tiktok_emulator.add_code(
        EXPIRED, auth_code=code_for(0), item_id=video_of(0), auth_end=ended
    ).auth_code
    (out,) = check.enrich([screenshot(0, [misread(true, 6), true])])
    assert out.rows[0].spark_code == true
    assert out.failure is not None and out.failure.reason is Reason.EXPIRED_ON_ARRIVAL


def test_a_tiktok_reason_outranks_the_parsers_and_keeps_it_in_the_detail(
    check: TikTokCheck, tiktok_emulator: TikTokEmulator
) -> None:
    tiktok_emulator.add_code(CODE_DELETED, auth_code=code_for(0), item_id=video_of(0))
    base = email(0)
    flagged = dataclasses.replace(
        base, failure=Failure(Reason.AMBIGUOUS_PERIOD, "two periods", "snip", base.identity)
    )
    (out,) = check.enrich([flagged])
    assert len(out.rows) == 1  # the row stays
    assert out.failure is not None
    assert out.failure.reason is Reason.TIKTOK_REJECTED
    assert "also ambiguous_period: two periods" in out.failure.detail
    assert out.failure.snippet == "snip"
    assert out.failure.failure_id == base.identity.failure_id


def test_an_outage_stops_asking_about_screenshots_after_a_few_and_keeps_them_all(
    check: TikTokCheck, tiktok_emulator: TikTokEmulator
) -> None:
    """Each screenshot TikTok could not be asked about costs its retries: after GIVE_UP_AFTER
    in a row the rest wait without a request, in the run and in the re-check alike."""
    tiktok_emulator.inject(code=50000, count=1000, path_contains="info")
    batch = [
        screenshot(i, [misread(code_for(i), 5), code_for(i)]) for i in range(GIVE_UP_AFTER + 3)
    ]
    out = check.enrich(batch)
    assert all(e.rows == () for e in out)
    attempts = check.client.retry.attempts
    assert tiktok_emulator.count("info") == GIVE_UP_AFTER * attempts
    assert check.state is not None
    waiting = check.state.screenshot_reads()
    assert len(waiting) == len(batch)  # every email's reads wait, asked or not

    before = tiktok_emulator.count("info")
    done = check.recheck_screenshots(waiting)
    assert tiktok_emulator.count("info") - before == GIVE_UP_AFTER * attempts
    assert all(r.extraction is None and r.waiting is not None for r in done)
