"""The state's screenshot reads waiting for TikTok (issue 13): kept, replaced, forgotten, and
added to a state file made before the table existed."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline.state import State


def entry(*reads: list[str]) -> dict[str, object]:
    return {"content_key": "", "rows": [{"spark_code": r[0], "candidates": r} for r in reads]}


def test_an_older_state_file_gets_the_table_and_keeps_what_it_held(tmp_path: Path) -> None:
    path = tmp_path / "state.sqlite3"
    with State(path) as state:
        state.tiktok_record([{"spark_code": "#abc", "tiktok_status": "active"}])
    db = sqlite3.connect(path)
    db.execute("DROP TABLE screenshot_reads")  # as a state file from before this version
    db.commit()
    db.close()

    with State(path) as state:
        assert state.tiktok_count("active") == 1
        assert state.screenshot_reads() == {} and state.screenshot_reads_waiting() == 0
        state.keep_screenshot_reads({"f1": entry(["#a", "#b"], ["#c"])})
    with State(path) as state:
        assert state.screenshot_reads()["f1"]["rows"][0]["candidates"] == ["#a", "#b"]
        assert state.screenshot_reads_waiting() == 2  # rows waiting, not emails


def test_entries_are_replaced_and_forgotten_in_one_write(tmp_path: Path) -> None:
    with State(tmp_path / "state.sqlite3") as state:
        state.keep_screenshot_reads({"f1": entry(["#a"]), "f2": entry(["#b"], ["#c"])})
        state.keep_screenshot_reads({"f2": entry(["#c"])}, settled=["f1"])
        assert list(state.screenshot_reads()) == ["f2"]
        assert state.screenshot_reads_waiting() == 1
        state.keep_screenshot_reads({}, settled=["f2", "f9"])  # an unknown id is no error
        assert state.screenshot_reads() == {}
