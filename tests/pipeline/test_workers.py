"""Extraction in worker processes (`--jobs`): the same output as one process, in input order;
a worker that crashes or hangs costs one email (a parser_error), never the run; signals stop
every worker; memory is bounded by what is in flight, not by the mailbox."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pandas as pd

from parsers.extract import extract
from parsers.options import Options
from pipeline.workers import TEST_FAULTS_ENV, Pool
from sources import RawMessage
from sources.files import read_paths
from tests.conftest import FIXTURES
from tests.pipeline.cli_helpers import SPARKCODES, imap_config, sparkcodes
from tests.pipeline.mailgen import code_for, creator_email
from tests.servers.dovecot import Dovecot
from tests.servers.dovecot_fixtures import ImapAccount

EMAILS = FIXTURES / "emails"
MESSAGE_ID_6_MONTHS = "<F13BCB1D-20C7-FBA6-C73F-2BE5ADF03565@icloud.example>"


def _records(out: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.splitlines()]


def _ours(marker: str) -> list[int]:
    """Live processes started with `marker` in their environment (this test's, and only it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            status = (entry / "status").read_text()
        except OSError:
            continue
        zombie = "\nState:\tZ" in status
        if marker.encode() in environ and not zombie:
            found.append(int(entry.name))
    return found


def _no_orphans(marker: str, wait: float = 5.0) -> None:
    deadline = time.monotonic() + wait
    while _ours(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _ours(marker) == [], "worker processes outlived the run"


def _with_marker(tmp: Path, name: str, marker: str) -> Path:
    """A copy of a labelled email with `marker` in a header, so a worker can be told to fail
    on it alone (tests only: `SPARKCODES_TEST_WORKER_FAULTS`)."""
    raw = (EMAILS / name).read_bytes()
    path = tmp / f"direct_b-{marker}.eml"  # sorts mid-folder: emails queue behind it
    path.write_bytes(f"X-Test-Marker: {marker}\r\n".encode() + raw)
    return path


def _corpus_copy(tmp: Path, count: int) -> Path:
    folder = tmp / "mail"
    folder.mkdir()
    for path in sorted(EMAILS.glob("*.eml"))[:count]:
        shutil.copy(path, folder / path.name)
    return folder


def test_jobs_2_prints_what_jobs_1_prints_in_input_order() -> None:
    one = sparkcodes("parse", str(EMAILS), "--jobs", "1")
    two = sparkcodes("parse", str(EMAILS), "--jobs", "2")
    assert one.returncode == two.returncode == 1, two.stderr  # the corpus has review items
    assert two.stderr == ""
    assert two.stdout == one.stdout  # byte for byte: same records, same order
    sources = list(dict.fromkeys(str(r["source"]) for r in _records(two.stdout)))
    read = [m.source for m in read_paths([EMAILS])]
    assert sources == read  # input order (every labelled email yields a record)


def test_pool_keeps_input_order_and_bounds_what_it_reads_ahead() -> None:
    messages = [RawMessage(p.read_bytes(), f"file:{p}") for p in sorted(EMAILS.glob("*.eml"))]
    pulled = 0
    most_ahead = 0

    def feed() -> Iterator[RawMessage]:
        nonlocal pulled
        for m in messages:
            pulled += 1
            yield m

    expected = [extract(m.raw, m.source).records for m in messages]
    got = []
    with Pool(2, Options(), timeout=60) as pool:
        for yielded, (message, result) in enumerate(pool.map(feed(), chunk=8, ahead=3), 1):
            most_ahead = max(most_ahead, pulled - yielded)
            got.append((message.source, result.records))
    assert [s for s, _ in got] == [m.source for m in messages]
    assert [r for _, r in got] == expected
    assert 0 < most_ahead <= 8 * 3  # chunk x ahead, whatever the mailbox's size


def test_a_worker_that_dies_costs_one_email(tmp_path: Path) -> None:
    folder = _corpus_copy(tmp_path, 12)
    clean = sparkcodes("parse", str(folder), "--jobs", "1")
    crasher = _with_marker(folder, "direct_6_months.eml", "CRASH-7f3a")
    marker = uuid.uuid4().hex
    env = {TEST_FAULTS_ENV: "crash:CRASH-7f3a", "SPARKCODES_TEST_RUN": marker}
    done = sparkcodes("parse", str(folder), "--jobs", "2", env=env)
    assert done.returncode == 1, done.stderr
    assert done.stderr == ""
    records = _records(done.stdout)
    lost = [r for r in records if r["source"] == f"file:{crasher}"]
    assert len(lost) == 1
    assert lost[0]["record"] == "failure" and lost[0]["reason"] == "parser_error"
    assert "died" in str(lost[0]["detail"])
    # Identified from its headers, as extract does for an email it cannot read.
    assert lost[0]["message_id"] == MESSAGE_ID_6_MONTHS
    assert lost[0]["creator_email"] == "noah@noahpatel.example"
    # Nothing else lost or changed, including the emails queued behind it on that worker.
    others = [r for r in records if r["source"] != f"file:{crasher}"]
    assert others == _records(clean.stdout)
    _no_orphans(marker)


def test_a_hang_becomes_a_review_item_after_the_timeout(tmp_path: Path) -> None:
    folder = _corpus_copy(tmp_path, 6)
    clean = sparkcodes("parse", str(folder), "--jobs", "1")
    hanger = _with_marker(folder, "direct_12_months.eml", "HANG-51c0")
    marker = uuid.uuid4().hex
    env = {TEST_FAULTS_ENV: "hang:HANG-51c0", "SPARKCODES_TEST_RUN": marker}
    started = time.monotonic()
    done = sparkcodes("parse", str(folder), "--jobs", "2", "--message-timeout", "1.5", env=env)
    assert time.monotonic() - started < 30
    assert done.returncode == 1, done.stderr
    records = _records(done.stdout)
    lost = [r for r in records if r["source"] == f"file:{hanger}"]
    assert [(r["record"], r["reason"]) for r in lost] == [("failure", "parser_error")]
    assert "took over 1.5 s" in str(lost[0]["detail"])
    assert [r for r in records if r["source"] != f"file:{hanger}"] == _records(clean.stdout)
    _no_orphans(marker)  # the hung worker was killed, not left sleeping


def test_ctrl_c_stops_every_worker_without_a_traceback(tmp_path: Path) -> None:
    folder = _corpus_copy(tmp_path, 4)
    _with_marker(folder, "direct_12_months.eml", "HANG-9d21")
    marker = uuid.uuid4().hex
    env = {**os.environ, TEST_FAULTS_ENV: "hang:HANG-9d21", "SPARKCODES_TEST_RUN": marker}
    proc = subprocess.Popen(
        [SPARKCODES, "parse", str(folder), "--jobs", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 20  # until the workers are up and one is stuck
    while len(_ours(marker)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 1  # click's "Aborted!", as without workers
    assert "Traceback" not in err
    _no_orphans(marker)


def _read(path: Path, key: str) -> list[str]:
    if not path.exists():
        return []
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return list(frame[key])


def test_sigterm_during_a_parallel_backfill_then_rerun_every_code_once(
    dovecot: Dovecot, imap_account: ImapAccount, tmp_path: Path
) -> None:
    count = 240
    dovecot.append_many(imap_account.username, "INBOX", [creator_email(i) for i in range(count)])
    config = imap_config(tmp_path, imap_account, batch_size=10)
    marker = uuid.uuid4().hex
    env = {**os.environ, "TEST_IMAP_PASSWORD": imap_account.password, "SPARKCODES_TEST_RUN": marker}
    codes_csv = tmp_path / "out/spark_codes.csv"
    proc = subprocess.Popen(
        [SPARKCODES, "run", "--config", str(config), "--jobs", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30  # until some batches are written, not all
    while len(_read(codes_csv, "spark_code")) < 20 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGTERM, err  # as without workers: killed by it
    assert "Traceback" not in err
    _no_orphans(marker)
    partial = _read(codes_csv, "spark_code")
    assert len(partial) == len(set(partial))
    assert len(partial) < count, "the signal landed after the backfill; nothing was tested"

    done = sparkcodes("run", "--config", str(config), "--jobs", "2", env=env)
    assert done.returncode == 0, done.stderr
    codes = _read(codes_csv, "spark_code")
    assert sorted(codes) == sorted(code_for(i) for i in range(count))
    with dovecot.client(imap_account.username) as imap:
        imap.select_folder("INBOX", readonly=True)
        assert len(imap.search(["KEYWORD", "$SparkParsed"])) == count


def _labelled_oddly(i: int) -> bytes:
    """A code announced with a word sparkcodes does not know (until a rule says so)."""
    msg = EmailMessage()
    msg["From"] = f"Lea {i} <lea{i}@example.net>"
    msg["To"] = "spark@brand.example"
    msg["Subject"] = f"Freigabe {i}"
    msg["Date"] = "Mon, 02 Nov 2026 09:00:00 +0000"
    msg["Message-ID"] = f"<odd-{i}@example.net>"
    msg.set_content(f"Hallo! Freigabeschlüssel: {code_for(i, 'odd')[1:]}\nGilt 30 Tage.\n")
    return msg.as_bytes()


def test_reprocess_in_workers_a_crash_keeps_that_item_only(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(8):
        (inbox / f"odd-{i}.eml").write_bytes(_labelled_oddly(i))
    config = tmp_path / "sparkcodes.toml"
    config.write_text(
        f'[local]\npaths = ["{inbox}"]\n[csv]\npath = "out/codes.csv"\n'
        'failures_path = "out/failures.csv"\n[state]\npath = "state/s.sqlite3"\n',
        encoding="utf-8",
    )
    first = sparkcodes("run", "--config", str(config), "--jobs", "2")
    assert first.returncode == 1 and "failures 8" in first.stdout, first.stdout + first.stderr
    with config.open("a", encoding="utf-8") as fh:
        fh.write('[rules]\ncode_labels = ["Freigabeschlüssel"]\n')
    marker = uuid.uuid4().hex
    env = {TEST_FAULTS_ENV: "crash:<odd-3@", "SPARKCODES_TEST_RUN": marker}
    again = sparkcodes("reprocess", "--all", "--config", str(config), "--jobs", "2", env=env)
    assert again.returncode == 1, again.stderr
    assert "7 now parse (7 codes), 1 still need review" in again.stdout
    codes = _read(tmp_path / "out/codes.csv", "spark_code")
    assert sorted(codes) == sorted(code_for(i, "odd") for i in range(8) if i != 3)
    queue = sparkcodes("failures", "--config", str(config), "--format", "json").stdout
    items = [json.loads(line) for line in queue.splitlines()]
    assert [(i["reason"], i["creator_email"]) for i in items] == [
        ("parser_error", "lea3@example.net")
    ]
    _no_orphans(marker)
