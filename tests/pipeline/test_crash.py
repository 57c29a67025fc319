"""SIGKILL at many points of a backfill, then a rerun: every code exactly once, every message
accounted for (a row or a failure), and the CSV files readable after every kill."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pandas as pd

from tests.pipeline.cli_helpers import SPARKCODES, imap_config, sparkcodes
from tests.pipeline.mailgen import code_for, creator_email
from tests.servers.dovecot import Dovecot
from tests.servers.dovecot_fixtures import ImapAccount

MESSAGES = 300
NO_CODE = {i for i in range(MESSAGES) if i % 17 == 0}
KILLS = 15


def _read(path: Path, key: str) -> list[str]:
    if not path.exists():
        return []
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    return list(frame[key])


def test_sigkill_anywhere_then_rerun(
    dovecot: Dovecot, imap_account: ImapAccount, tmp_path: Path
) -> None:
    dovecot.append_many(
        imap_account.username,
        "INBOX",
        [creator_email(i, with_code=i not in NO_CODE) for i in range(MESSAGES)],
    )
    config = imap_config(tmp_path, imap_account, batch_size=3)
    env = {**os.environ, "TEST_IMAP_PASSWORD": imap_account.password}
    codes_csv, failures_csv = tmp_path / "out/spark_codes.csv", tmp_path / "out/failures.csv"
    rng = random.Random(20261126)
    # Kill points are spread over the backfill, after the start-up (imports), which is
    # measured here so a loaded machine does not push every kill into the imports.
    # A run over an empty folder imports what a real run imports (`--version` no longer does:
    # commands import what they use) and starts the worker processes it would start.
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "c.eml").write_bytes(creator_email(0, salt="warm-up"))
    warm = tmp_path / "warm.toml"
    warm.write_text(
        f'[local]\npaths = ["{empty}"]\n[csv]\npath = "warm/c.csv"\n'
        'failures_path = "warm/f.csv"\n[state]\npath = "warm/s.sqlite3"\n',
        encoding="utf-8",
    )
    started = time.monotonic()
    sparkcodes("run", "--config", str(warm), env=env)
    startup = time.monotonic() - started
    killed_with_progress = 0
    for _ in range(KILLS):
        before = len(_read(codes_csv, "spark_code"))
        proc = subprocess.Popen(
            [SPARKCODES, "run", "--config", str(config)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(startup + rng.uniform(-0.05, 0.3))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        codes = _read(codes_csv, "spark_code")  # always a whole, readable file
        assert len(codes) == len(set(codes))
        killed_with_progress += len(codes) > before
        if proc.returncode in (0, 1):  # finished before the kill landed
            break
    assert killed_with_progress >= 3, "kills never landed mid-backfill; adjust the timing"

    done = sparkcodes("run", "--config", str(config), env=env)
    # 1 if this run met the no-code emails, 0 if an earlier (killed) run already had.
    assert done.returncode in (0, 1), done.stderr
    codes = _read(codes_csv, "spark_code")
    assert sorted(codes) == sorted(code_for(i) for i in range(MESSAGES) if i not in NO_CODE)
    failures = _read(failures_csv, "message_id")
    assert sorted(failures) == sorted(f"<creator-{i}@example.net>" for i in NO_CODE)
    with dovecot.client(imap_account.username) as imap:
        imap.select_folder("INBOX", readonly=True)
        assert len(imap.search(["KEYWORD", "$SparkParsed"])) == MESSAGES
        assert imap.search(["SEEN"]) == []
