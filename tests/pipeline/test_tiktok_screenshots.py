"""Screenshot codes checked by TikTok, end to end (issue 13): generated screenshots in emails,
`sparkcodes run` (the real CLI) with [tiktok] pointing at the emulator, the CSV read back.

The seeds are ones the reader gets wrong at first (306, 314: the true code is its second
candidate) and one whose true code is not among its candidates at all (310). Each test first
checks that this still holds, so a better reader fails here loudly (pick new seeds with
`python -m benchmarks.bench_ocr --start 300 --json ...`) instead of testing nothing."""

# Fixtures are imported from their modules, so their parameters shadow the imports.
# ruff: noqa: F811

from __future__ import annotations

from pathlib import Path

import pytest

from parsers.screenshots import ScreenshotRead, read_screenshot
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


@pytest.mark.xfail(
    strict=True,
    reason="gap: candidates are not kept in the state, so after an outage the re-check asks "
    "only the best read (rejected) and never the true code",
)
def test_after_an_outage_the_next_run_still_finds_the_true_code(project: Project) -> None:
    shot, read = misread(MISREAD[0])
    project.emu.add_code(auth_code=shot.code)
    post(project, shot, inline=False)
    project.emu.inject(code=50000, count=1000, path_contains="info")
    first = project.cli("run")
    assert first.exit_code == 1, first.output
    assert list(project.codes()["tiktok_status"]) == ["unverified"]  # never active unchecked

    project.emu._faults.clear()
    again = project.cli("run")  # the unverified screenshot row is checked again
    codes = project.codes()
    assert read.code not in set(codes["spark_code"])  # what happens today: rejected misread
    assert codes.loc[shot.code, "tiktok_status"] == "active"
    assert again.exit_code == 0, again.output
