"""The enrichment stage (pipeline/enrich.py): between extraction and the sinks, on new messages
only; an error in it stops the batch before any sink is written or the state moves on."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest

from config.errors import TransientError
from parsers.options import Options
from parsers.records import Extraction, Failure, Reason
from pipeline.run import Job, sync
from pipeline.state import State
from sinks.csv import CsvSink
from sources.files import FilesSource
from tests.pipeline.mailgen import code_for, creator_email


class FlagSecond:
    """Marks the second email of each batch for review, and counts what it was asked."""

    def __init__(self) -> None:
        self.asked: list[int] = []

    def enrich(self, batch: Sequence[Extraction]) -> Sequence[Extraction]:
        self.asked.append(len(batch))
        out = list(batch)
        if len(out) > 1:
            first = out[1]
            why = Failure(Reason.AMBIGUOUS_PERIOD, "checked: not usable", "", first.identity)
            out[1] = dataclasses.replace(first, failure=why)
        return out


class ServiceDown(ConnectionError, TransientError):
    pass


def _inbox(tmp_path: Path, n: int) -> Path:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(n):
        (inbox / f"{i}.eml").write_bytes(creator_email(i))
    return inbox


def test_enrichers_see_new_messages_and_the_sinks_get_what_they_return(tmp_path: Path) -> None:
    inbox = _inbox(tmp_path, 3)
    sink = CsvSink(tmp_path / "codes.csv", tmp_path / "failures.csv")
    step = FlagSecond()
    with State(tmp_path / "state.sqlite3") as state:
        job = Job(sinks=[sink], options=Options(), state=state, enrichers=[step])
        summary = sync(FilesSource([inbox]), job)
        assert summary.failures == 1
        again = sync(FilesSource([inbox]), job)
    assert step.asked == [3, 0]  # the second run's messages were all done already
    assert again.skipped == 3
    failures = pd.read_csv(tmp_path / "failures.csv", dtype=str, encoding="utf-8-sig")
    assert list(failures["detail"]) == ["checked: not usable"]
    codes = pd.read_csv(tmp_path / "codes.csv", dtype=str, encoding="utf-8-sig")
    assert sorted(codes["spark_code"]) == sorted(code_for(i) for i in range(3))


def test_a_failing_enricher_writes_no_sink_and_commits_nothing(tmp_path: Path) -> None:
    inbox = _inbox(tmp_path, 2)
    sink = CsvSink(tmp_path / "codes.csv", tmp_path / "failures.csv")

    class Transient:
        def enrich(self, batch: Sequence[Extraction]) -> Sequence[Extraction]:
            raise ServiceDown("the checking service is down")

    with State(tmp_path / "state.sqlite3") as state:
        job = Job(sinks=[sink], options=Options(), state=state, enrichers=[Transient()])
        with pytest.raises(TransientError):
            sync(FilesSource([inbox]), job)
        assert not state.has_processed()
    assert not (tmp_path / "codes.csv").exists()


def test_an_enricher_that_drops_an_email_is_a_bug_not_a_silent_loss(tmp_path: Path) -> None:
    inbox = _inbox(tmp_path, 2)

    class Drops:
        def enrich(self, batch: Sequence[Extraction]) -> Sequence[Extraction]:
            return list(batch)[:1]

    job = Job(sinks=[], options=Options(), enrichers=[Drops()])
    with pytest.raises(AssertionError, match="Drops returned 1 extractions for 2 emails"):
        sync(FilesSource([inbox]), job)
