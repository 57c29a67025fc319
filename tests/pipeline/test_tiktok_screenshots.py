"""Screenshot codes checked by TikTok, end to end (issue 13): generated screenshots in emails,
`sparkcodes run` (the real CLI) with [tiktok] pointing at the emulator, the CSV read back.

The seeds are ones the reader gets wrong at first (306, 314: the true code is its second
candidate) and one whose true code is not among its candidates at all (310). Each test first
checks that this still holds, so a better reader fails here loudly (pick new seeds with
`python -m benchmarks.bench_ocr --start 300 --json ...`) instead of testing nothing."""

# Fixtures are imported from their modules, so their parameters shadow the imports.
# ruff: noqa: F811

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from parsers.screenshots import ScreenshotRead, read_screenshot
from pipeline.state import State
from sinks.csv import CsvSink
from tests.pipeline.tiktok_helpers import (  # noqa: F401 (fixtures)
    Project,
    fast_retries,
    project,
    write_config,
)
from tests.screenshots.emails import screenshot_email
from tests.screenshots.generate import Screenshot, render
from tests.tiktok_emulator.conftest import tiktok_emulator  # noqa: F401
from tests.tiktok_emulator.server import TikTokEmulator

MISREAD = (306, 314)  # best read wrong, true code second among the candidates
UNREADABLE = 310  # true code nowhere among the candidates


def first_read(shot: Screenshot) -> ScreenshotRead:
    read = read_screenshot(shot.data, content_type=shot.content_type)
    assert isinstance(read, ScreenshotRead), read
    return read


def misread(seed: int) -> tuple[Screenshot, ScreenshotRead]:
    """The screenshot and the reader's read, checked to be wrong with the code still listed."""
    shot = render(seed)
    read = first_read(shot)
    assert read.code != shot.code, f"seed {seed} is read exactly now: pick another"
    assert shot.code in read.candidates(32), f"seed {seed}: the code left the candidates"
    return shot, read


def post(project: Project, shot: Screenshot, *, inline: bool, video: str | None = None) -> None:
    text = {}
    if video is not None:
        text["text"] = f"Code for https://www.tiktok.com/@mia/video/{video} in the screenshot."
    (project.inbox / f"shot{shot.seed}.eml").write_bytes(
        screenshot_email(shot, inline=inline, **text)
    )


def asked(emu: TikTokEmulator) -> list[str]:
    return [r.query["auth_code"][0] for r in emu.requests if "info" in r.path]


def test_a_misread_screenshot_becomes_its_true_code_active_with_no_review_item(
    project: Project,
) -> None:
    (linked, linked_read), (plain, plain_read) = (misread(s) for s in MISREAD)
    emu = project.emu
    video = emu.add_code(auth_code=linked.code).item_id
    emu.add_code(auth_code=plain.code)
    # The linked email's best read is a real code too, for another video: a misread that
    # landed on someone else's post. The item_id check must pass over it.
    decoy = emu.add_code(auth_code=linked_read.code).auth_code
    post(project, linked, inline=False, video=video)
    post(project, plain, inline=True)

    result = project.cli("run")
    assert result.exit_code == 0, result.output
    codes = project.codes()
    assert sorted(codes["spark_code"]) == sorted([linked.code, plain.code])
    assert set(codes["tiktok_status"]) == {"active"}
    assert set(codes["code_source"]) == {"screenshot"}
    assert codes.loc[linked.code, "tiktok_item_id"] == video
    assert project.failures().empty
    # Each email asked its best read first, then the true code; nothing after it.
    sent = asked(emu)
    assert sorted(sent) == sorted([decoy, linked.code, plain_read.code, plain.code])
    assert sent.index(decoy) < sent.index(linked.code)
    assert decoy not in set(codes["spark_code"])


def test_no_known_candidate_gives_no_row_and_a_review_item_with_the_best_reads(
    project: Project,
) -> None:
    shot = render(UNREADABLE)
    read = first_read(shot)
    candidates = read.candidates(32)
    assert shot.code not in candidates, "seed 310's code is among the reads now: pick another"
    project.emu.add_code(auth_code=shot.code)  # TikTok knows the code; no read is it
    post(project, shot, inline=True)

    result = project.cli("run")
    assert result.exit_code == 1, result.output
    out = project.root / "out" / "spark_codes.csv"
    assert not out.exists() or project.codes().empty  # no row for a guess
    failures = project.failures()
    assert list(failures["reason"]) == ["code_from_screenshot"]
    detail = failures["detail"].iloc[0]
    assert f"TikTok knows none of the {len(candidates)} reads tried" in detail
    assert read.code in detail  # the best read, for the person retyping it
    assert sorted(asked(project.emu)) == sorted(candidates)  # each read asked once


def test_a_misread_never_becomes_active_even_when_tiktok_knows_no_read(
    project: Project,
) -> None:
    """The misread screenshots without their codes registered: every read is unknown, so
    nothing is written as a code, let alone active."""
    shots = [misread(s)[0] for s in MISREAD]
    for k, shot in enumerate(shots):
        post(project, shot, inline=k == 1)
    result = project.cli("run")
    assert result.exit_code == 1, result.output
    out = project.root / "out" / "spark_codes.csv"
    assert not out.exists() or project.codes().empty
    assert list(project.failures()["reason"]) == ["code_from_screenshot"] * 2


def test_without_tiktok_the_read_is_a_row_with_a_review_item(
    tmp_path: Path, tiktok_emulator: TikTokEmulator
) -> None:
    shot, read = misread(MISREAD[0])
    tiktok_emulator.add_code(auth_code=shot.code)
    project = Project(tmp_path, tiktok_emulator, write_config(tmp_path, None))
    project.inbox.mkdir()
    post(project, shot, inline=False)

    result = project.cli("run")
    assert result.exit_code == 1, result.output
    codes = project.codes()
    assert list(codes["spark_code"]) == [read.code]  # the read as it is, for a person to check
    assert list(codes["tiktok_status"]) == ["unverified"]
    assert list(codes["code_source"]) == ["screenshot"]
    failures = project.failures()
    assert list(failures["reason"]) == ["code_from_screenshot"]
    assert read.code in failures["detail"].iloc[0]
    assert tiktok_emulator.requests == []


def outage_run(project: Project, shot: Screenshot, read: ScreenshotRead) -> None:
    """`sparkcodes run` on the screenshot's email while TikTok's info endpoint is down: no row
    (a guess keyed by a misread could never be taken back out of the sinks), an open item
    saying why with the best read, and the reads kept for the next check. TikTok is up after."""
    project.emu.add_code(auth_code=shot.code)
    post(project, shot, inline=False)
    project.emu.inject(code=50000, count=1000, path_contains="info")
    first = project.cli("run")
    assert first.exit_code == 1, first.output
    out = project.root / "out" / "spark_codes.csv"
    assert not out.exists() or project.codes().empty  # never a row, let alone active, unchecked
    failures = project.failures()
    assert list(failures["reason"]) == ["code_from_screenshot"]
    assert list(failures["status"]) == ["open"]
    detail = failures["detail"].iloc[0]
    assert "TikTok could not be reached" in detail and read.code in detail
    assert "1 unverified" in first.output  # the waiting read counts as a code left unverified
    project.emu._faults.clear()


def power_cut(self: object, *args: object, **kwargs: object) -> None:
    raise RuntimeError("power cut")


def only_row(project: Project, code: str, items: tuple[str, ...] = ("resolved",)) -> None:
    """The CSV holds exactly one row, `code`'s, active; the email's item is resolved (or, as
    `items` says, was never written)."""
    codes = project.codes()
    assert list(codes["spark_code"]) == [code]  # no duplicate, no misread row
    assert codes.loc[code, "tiktok_status"] == "active"
    assert codes.loc[code, "code_source"] == "screenshot"
    assert tuple(project.failures()["status"]) == items


def test_after_an_outage_the_next_run_still_finds_the_true_code(project: Project) -> None:
    shot, read = misread(MISREAD[0])
    outage_run(project, shot, read)

    again = project.cli("run")  # no new mail: the waiting reads are asked again after the sync
    codes = project.codes()
    assert read.code not in set(codes["spark_code"])  # what happened before: rejected misread
    assert codes.loc[shot.code, "tiktok_status"] == "active"
    assert again.exit_code == 0, again.output
    only_row(project, shot.code)


def test_sparkcodes_verify_asks_the_waiting_candidates_in_order(project: Project) -> None:
    shot, read = misread(MISREAD[1])
    candidates = read.candidates(32)
    outage_run(project, shot, read)
    out = project.root / "out" / "spark_codes.csv"

    project.emu.inject(code=50000, count=1000, path_contains="info")
    down = project.cli("verify")  # still down: nothing written, the reads keep waiting
    assert down.exit_code == 1, down.output
    assert "1 unverified" in down.output
    assert not out.exists() or project.codes().empty
    project.emu._faults.clear()

    before = len(asked(project.emu))
    up = project.cli("verify")
    assert up.exit_code == 0, up.output
    # Every candidate up to the true code, in the reader's order, as the first check would.
    assert asked(project.emu)[before:] == candidates[: candidates.index(shot.code) + 1]
    only_row(project, shot.code)

    again = project.cli("verify")  # nothing waits any more: the found code is re-checked only
    assert again.exit_code == 0, again.output
    assert read.code not in asked(project.emu)[before + candidates.index(shot.code) + 1 :]
    only_row(project, shot.code)


@pytest.mark.parametrize(
    ("owner", "name"),
    [(CsvSink, "write"), (State, "commit"), (State, "keep_screenshot_reads")],
    ids=["before-the-sinks", "after-the-sinks", "before-forgetting-the-reads"],
)
def test_a_crash_during_the_recheck_then_a_rerun_writes_the_code_once(
    project: Project, monkeypatch: pytest.MonkeyPatch, owner: type, name: str
) -> None:
    """The re-check settles the code (state), writes the sinks, clears the item, forgets the
    waiting reads, in that order; a crash at each step and a rerun leave one row, the true
    code's, and no row for the misread."""
    shot, read = misread(MISREAD[0])
    outage_run(project, shot, read)
    monkeypatch.setattr(owner, name, power_cut)
    crashed = project.cli("verify")
    assert crashed.exit_code == 2, crashed.output
    monkeypatch.undo()

    rerun = project.cli("verify")
    assert rerun.exit_code == 0, rerun.output
    only_row(project, shot.code)


def test_a_crash_after_the_outage_run_kept_the_reads_then_a_rerun_writes_the_code_once(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outage run keeps the reads before its sinks are written; it dies there, so its
    batch is not committed. The rerun (TikTok up) reads the email again, finds the code and
    forgets the reads: one row."""
    shot, _ = misread(MISREAD[0])
    project.emu.add_code(auth_code=shot.code)
    post(project, shot, inline=True)
    project.emu.inject(code=50000, count=1000, path_contains="info")
    monkeypatch.setattr(CsvSink, "write", power_cut)
    crashed = project.cli("run")
    assert crashed.exit_code == 2, crashed.output
    with State(project.root / "state" / "state.sqlite3") as state:
        assert state.screenshot_reads_waiting() == 1
    monkeypatch.undo()
    project.emu._faults.clear()

    rerun = project.cli("run")
    assert rerun.exit_code == 0, rerun.output
    only_row(project, shot.code, items=())  # the crashed run wrote no item; the rerun needs none
    with State(project.root / "state" / "state.sqlite3") as state:
        assert state.screenshot_reads() == {}


def test_watch_asks_the_waiting_reads_again_within_the_hour(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no row unverified, only the waiting screenshot reads make `watch`'s hourly retry
    due; it finds the true code as `verify` would."""
    import config
    from pipeline.verify import LAST_UNVERIFIED, daily_verify, mark_done
    from pipeline.wiring import make_job
    from tests.pipeline.tiktok_helpers import TOKEN_ENV

    shot, read = misread(MISREAD[0])
    outage_run(project, shot, read)
    monkeypatch.setenv(TOKEN_ENV, project.emu.token)
    settings = config.load(project.config)
    with State(settings.state_path) as state:
        assert state.tiktok_count("unverified") == 0
        job = make_job(settings, state)
        mark_done(state)  # the daily re-check already ran today
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1, minutes=1)
        state.set_meta(LAST_UNVERIFIED, an_hour_ago.isoformat(timespec="seconds"))
        line = daily_verify(state, job)
        assert line is not None and "active 1" in line, line
        assert daily_verify(state, job) is None  # nothing waits, and not due again
    only_row(project, shot.code)
