"""Defects an ops trial found end to end (issue 10), through the real `sparkcodes` command on
local mail files, the CSV sink and the Sheets emulator. Each test failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.pipeline.cli_helpers import sparkcodes
from tests.pipeline.mailgen import code_for, creator_email
from tests.sheets_emulator.server import SheetsEmulator


def config_file(tmp: Path, inbox: Path, extra: str = "") -> Path:
    path = tmp / "sparkcodes.toml"
    path.write_text(
        f'[local]\npaths = ["{inbox}"]\n'
        '[csv]\npath = "out/spark_codes.csv"\nfailures_path = "out/failures.csv"\n'
        f'[state]\npath = "state/state.sqlite3"\n{extra}',
        encoding="utf-8",
    )
    return path


def sheets_extra(emulator: SheetsEmulator, key: str) -> str:
    return (
        f'[sheets]\nspreadsheet = "{key}"\nendpoint = "{emulator.base_url}"\n'
        "max_attempts = 6\nmax_backoff_seconds = 0.01\n"
    )


def csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def review_items(config: Path) -> list[dict[str, str]]:
    result = sparkcodes("failures", "--all", "--format", "json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    text = result.stdout.strip()
    if text.startswith("["):
        items: list[dict[str, str]] = json.loads(text)
        return items
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def sheet_column(emulator: SheetsEmulator, key: str, tab: str, name: str) -> list[str]:
    rows = emulator.values(key, tab, pad=True)
    index = rows[0].index(name)
    return [str(r[index]) for r in rows[1:]]


# -- 2. two failing emails sharing a Message-ID ----------------------------------------------


def test_two_failing_emails_sharing_a_message_id_keep_their_own_review_items(
    tmp_path: Path,
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = creator_email(1, with_code=False)
    second = creator_email(2, with_code=False).replace(
        b"<creator-2@example.net>", b"<creator-1@example.net>"
    )
    (inbox / "a.eml").write_bytes(first)
    config = config_file(tmp_path, inbox)
    assert sparkcodes("run", "--config", str(config)).returncode == 1
    before = review_items(config)
    (inbox / "b.eml").write_bytes(second)  # a later run: the other email, same Message-ID
    result = sparkcodes("run", "--config", str(config))
    assert result.returncode == 1, result.stderr
    items = review_items(config)
    assert len(items) == 2
    # The first item keeps the id it had (existing states and sheets keep working).
    assert before[0]["failure_id"] in {i["failure_id"] for i in items}
    by_sender = {i["creator_email"]: i for i in items}
    assert set(by_sender) == {"creator1@example.net", "creator2@example.net"}
    for n in (1, 2):
        item = by_sender[f"creator{n}@example.net"]
        assert item["subject"] == f"Spark code for video {n}"  # never the other's fields
        kept = tmp_path / "state" / "review" / f"{item['failure_id']}.eml"
        assert f"Creator {n} <creator{n}@example.net>".encode() in kept.read_bytes()
    frame = csv(tmp_path / "out" / "failures.csv")
    assert sorted(frame["creator_email"]) == ["creator1@example.net", "creator2@example.net"]


def test_sharing_a_message_id_within_one_run(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.eml").write_bytes(creator_email(1, with_code=False))
    (inbox / "b.eml").write_bytes(
        creator_email(2, with_code=False).replace(b"creator-2@", b"creator-1@")
    )
    config = config_file(tmp_path, inbox)
    result = sparkcodes("run", "--config", str(config))
    assert "failures 2" in result.stdout
    assert len({i["failure_id"] for i in review_items(config)}) == 2
    assert len(list((tmp_path / "state" / "review").glob("*.eml"))) == 2


# -- 4. a CSV moved away ------------------------------------------------------------------


def test_a_csv_moved_away_stops_the_run_and_run_full_rebuilds_it(tmp_path: Path) -> None:
    """README: "Exit codes: ... **2** could not run (... unwritable file ...)". Never a file
    with only the new rows."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(3):
        (inbox / f"{i}.eml").write_bytes(creator_email(i))
    config = config_file(tmp_path, inbox)
    assert sparkcodes("run", "--config", str(config)).returncode == 0
    codes = tmp_path / "out" / "spark_codes.csv"
    codes.rename(tmp_path / "moved-away.csv")
    (inbox / "3.eml").write_bytes(creator_email(3))
    result = sparkcodes("run", "--config", str(config))
    assert result.returncode == 2
    assert "is gone" in result.stderr and "run --full" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not codes.exists()
    result = sparkcodes("run", "--full", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert sorted(csv(codes)["spark_code"]) == sorted(code_for(i) for i in range(4))


# -- 5. failures.csv and the sheet agree ------------------------------------------------------


@pytest.mark.sheets
def test_a_status_set_in_the_sheet_reaches_the_state_and_failures_csv(
    tmp_path: Path, emulator: SheetsEmulator
) -> None:
    """README: `resolve` "Marks review items handled (setting the sheet's Status dropdown to
    resolved does the same)"."""
    key = emulator.create_spreadsheet("Campaign")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(4):
        (inbox / f"{i}.eml").write_bytes(creator_email(i, with_code=False))
    config = config_file(tmp_path, inbox, sheets_extra(emulator, key))
    assert sparkcodes("run", "--config", str(config)).returncode == 1
    rows = emulator.values(key, "Needs review", pad=True)
    status_col = rows[0].index("status")
    ids = [str(r[0]) for r in rows[1:]]
    typed = ["resolved", "Done", "ignore", "maybe later"]
    for n, text in enumerate(typed, start=2):  # a person, in the sheet
        letter = chr(ord("A") + status_col)
        emulator.set_values(key, "Needs review", [[text]], f"{letter}{n}")

    result = sparkcodes("run", "--config", str(config))
    assert "review status not understood" in result.stdout
    assert "maybe later" in result.stdout
    want = dict(zip(ids, ["resolved", "resolved", "ignored", None], strict=True))
    state = {i["failure_id"]: i["status"] for i in review_items(config)}
    frame = csv(tmp_path / "out" / "failures.csv")
    in_csv = dict(zip(frame["failure_id"], frame["status"], strict=True))
    in_sheet = dict(zip(ids, sheet_column(emulator, key, "Needs review", "status"), strict=True))
    for fid, status in want.items():
        if status is None:  # flagged, left as typed in the sheet, open elsewhere
            assert (state[fid], in_csv[fid], in_sheet[fid]) == ("open", "open", "maybe later")
        else:
            assert (state[fid], in_csv[fid], in_sheet[fid]) == (status, status, status)

    # Later runs keep them agreeing, and a quiet run stays one read of the sheet.
    emulator.reset_log()
    sparkcodes("run", "--config", str(config))
    assert len(emulator.requests) == 1
    frame = csv(tmp_path / "out" / "failures.csv")
    assert dict(zip(frame["failure_id"], frame["status"], strict=True)) == in_csv


# -- 12. a 429 storm, then a run that catches up ------------------------------------------------


@pytest.mark.sheets
def test_a_429_storm_then_the_next_run_counts_the_row_it_adds(
    tmp_path: Path, emulator: SheetsEmulator
) -> None:
    """README: "A temporary cause (a network drop, a quota) says so: the next run retries it."
    and `run` prints `codes N (N new, N updated)`: counts must be true."""
    key = emulator.create_spreadsheet("Campaign")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "1.eml").write_bytes(creator_email(1))
    config = config_file(tmp_path, inbox, sheets_extra(emulator, key))
    emulator.inject(status=429, count=1000)
    result = sparkcodes("run", "--config", str(config))
    assert result.returncode == 2
    assert "after 6 tries" in result.stderr
    assert "(temporary; the next run will retry)" in result.stderr
    emulator.clear_faults()
    result = sparkcodes("run", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "codes 1 (1 new, 0 updated)" in result.stdout  # new to the sheet, which lacked it
    assert sheet_column(emulator, key, "Spark codes", "spark_code") == [code_for(1)]
