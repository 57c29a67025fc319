"""The command as a user and cron run it: help, exit codes, clean errors, the lock, watch."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from pipeline.lock import RunLock
from tests.pipeline.cli_helpers import SPARKCODES, imap_config, sparkcodes
from tests.pipeline.mailgen import code_for, creator_email
from tests.servers.dovecot import Dovecot
from tests.servers.dovecot_fixtures import ImapAccount

REPO = Path(__file__).resolve().parents[2]


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["parse"],
        ["run"],
        ["watch"],
        ["check"],
        ["init"],
        ["failures"],
        ["failures", "show"],
        ["reprocess"],
        ["resolve"],
        ["expiring"],
    ],
)
def test_every_command_has_help(command: list[str]) -> None:
    result = sparkcodes(*command, "--help")
    assert result.returncode == 0
    assert "Usage:" in result.stdout
    summary = result.stdout.split("\n\n")[1].strip()
    assert len(summary) > 20, f"{command} has no real help text"


def test_parse_prints_json_lines_and_exits_1_with_failures(tmp_path: Path) -> None:
    good = tmp_path / "good.eml"
    good.write_bytes(creator_email(1))
    bad = tmp_path / "bad.eml"
    bad.write_bytes(creator_email(2, with_code=False))
    result = sparkcodes("parse", str(tmp_path))
    no_traceback(result)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["record"] for r in records] == ["failure", "code"]  # bad.eml sorts first
    assert records[1]["spark_code"] == code_for(1)
    assert records[1]["duration_days"] == 30
    for record in records:
        assert {
            "creator_email",
            "creator_name",
            "subject",
            "message_id",
            "received_at",
            "source",
        } <= set(record)
    assert result.returncode == 1
    assert sparkcodes("parse", str(good)).returncode == 0


def test_parse_reads_mbox_and_maildir(tmp_path: Path) -> None:
    import mailbox

    box = mailbox.mbox(tmp_path / "takeout.mbox")
    for i in range(3):
        box.add(creator_email(i))
    box.flush()
    maildir = mailbox.Maildir(tmp_path / "Maildir")
    maildir.add(creator_email(7))
    result = sparkcodes("parse", str(tmp_path / "takeout.mbox"), str(tmp_path / "Maildir"))
    codes = [json.loads(line)["spark_code"] for line in result.stdout.splitlines()]
    assert codes == [code_for(i) for i in (0, 1, 2, 7)]


def test_parse_unreadable_path_is_a_clean_error(tmp_path: Path) -> None:
    result = sparkcodes("parse", str(tmp_path / "missing.eml"))
    assert result.returncode == 2
    assert "missing.eml: no such file or directory" in result.stderr
    no_traceback(result)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[csv]\npaht = 'x.csv'\n[local]\npaths = ['.']\n", "unknown key 'csv.paht'"),
        ("[imap]\nhost = 'h'\nusername = 'u'\n", "password_env"),
        ("[imap]\nhost = 'h'\nusername = 'u'\npassword_env = 'X'\nport = 'abc'\n", "imap.port"),
        (
            "[imap]\nhost = 'h'\nusername = 'u'\npassword_env = 'X'\nsecurity = 'tls'\n",
            "imap.security",
        ),
        ("[csv\n", "not valid TOML"),
        ("[csv]\npath = 'x.csv'\n", "no mail to read"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, message: str) -> None:
    config = tmp_path / "sparkcodes.toml"
    config.write_text(text)
    result = sparkcodes("run", "--config", str(config))
    assert result.returncode == 2
    assert message in result.stderr
    no_traceback(result)


@pytest.mark.parametrize(
    ("env", "said"),
    [({}, "is not set"), ({"TEST_IMAP_PASSWORD": ""}, "is set but empty")],
)
def test_missing_password_variable(
    tmp_path: Path, imap_account: ImapAccount, env: dict[str, str], said: str
) -> None:
    config = imap_config(tmp_path, imap_account)
    os.environ.pop("TEST_IMAP_PASSWORD", None)
    result = sparkcodes("run", "--config", str(config), env=env)
    assert result.returncode == 2
    assert f"TEST_IMAP_PASSWORD (imap.password_env) {said}" in result.stderr


def test_wrong_password_exit_code(tmp_path: Path, imap_account: ImapAccount) -> None:
    config = imap_config(tmp_path, imap_account)
    result = sparkcodes("run", "--config", str(config), env={"TEST_IMAP_PASSWORD": "nope"})
    assert result.returncode == 2
    assert "refused the login" in result.stderr
    assert "nope" not in result.stderr  # secrets never printed
    no_traceback(result)


def test_unreachable_server_is_temporary(tmp_path: Path, imap_account: ImapAccount) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nothing listens there
    config = imap_config(tmp_path, imap_account)
    config.write_text(
        config.read_text().replace(f"port = {imap_account.ssl_port}", f"port = {port}")
    )
    result = sparkcodes("run", "--config", str(config), env={"TEST_IMAP_PASSWORD": "x"})
    assert result.returncode == 2
    assert "connection refused" in result.stderr and "next run will retry" in result.stderr


def test_second_run_waits_for_the_first(
    tmp_path: Path, dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    config = imap_config(tmp_path, imap_account)
    with RunLock(tmp_path / "state" / "state.lock"):
        result = sparkcodes(
            "run", "--config", str(config), env={"TEST_IMAP_PASSWORD": imap_account.password}
        )
    assert result.returncode == 2
    assert "another sparkcodes run is in progress" in result.stderr


def test_summary_line_and_review_exit_code(
    tmp_path: Path, dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    dovecot.append_many(
        imap_account.username, "INBOX", [creator_email(1), creator_email(2, with_code=False)]
    )
    config = imap_config(tmp_path, imap_account)
    env = {"TEST_IMAP_PASSWORD": imap_account.password}
    result = sparkcodes("run", "--config", str(config), env=env)
    assert result.returncode == 1
    assert result.stdout.strip() == "fetched 2, codes 1 (1 new, 0 updated), failures 1, skipped 0"
    assert result.stderr == ""  # quiet under cron: no progress bar without a terminal
    result = sparkcodes("run", "--config", str(config), env=env)
    assert (result.returncode, result.stdout.strip()) == (
        0,
        "fetched 0, codes 0 (0 new, 0 updated), failures 0, skipped 0",
    )


def test_demo_config_runs_on_the_sample_inbox(tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.mkdir()
    sample = (REPO / "config" / "sample.toml").read_text()
    (config / "sample.toml").write_text(sample)
    (config / "sample").symlink_to(REPO / "config" / "sample")
    result = sparkcodes("run", "--config", str(config / "sample.toml"))
    no_traceback(result)
    assert result.returncode in (0, 1)
    codes = pd.read_csv(tmp_path / "out" / "spark_codes.csv", dtype=str, encoding="utf-8-sig")
    assert len(codes) >= 1
    assert (tmp_path / "out" / "failures.csv").exists()


def test_watch_syncs_new_mail_and_stops_on_sigterm(
    tmp_path: Path, dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    config = imap_config(tmp_path, imap_account, extra="[watch]\nidle_seconds = 5\n")
    dovecot.append(imap_account.username, "INBOX", creator_email(41))
    proc = subprocess.Popen(
        [SPARKCODES, "watch", "--config", str(config)],
        env={**os.environ, "TEST_IMAP_PASSWORD": imap_account.password},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    csv = tmp_path / "out" / "spark_codes.csv"

    def codes_within(seconds: float, count: int) -> list[str]:
        deadline = time.monotonic() + seconds
        found: list[str] = []
        while time.monotonic() < deadline and len(found) < count:
            if csv.exists():
                found = list(pd.read_csv(csv, dtype=str, encoding="utf-8-sig")["spark_code"])
            time.sleep(0.05)
        return found

    try:
        assert codes_within(20, 1) == [code_for(41)]  # the first pass on start
        started = time.monotonic()
        dovecot.append(imap_account.username, "INBOX", creator_email(42))
        assert codes_within(20, 2) == [code_for(41), code_for(42)]
        assert time.monotonic() - started < 4  # IDLE noticed it, not the 5 s re-issue
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "stopped" in err
    assert "Traceback" not in err


def test_two_emails_sharing_a_message_id_are_both_read(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = creator_email(1)
    second = creator_email(2).replace(b"<creator-2@example.net>", b"<creator-1@example.net>")
    (inbox / "a.eml").write_bytes(first)
    (inbox / "b.eml").write_bytes(second)
    (inbox / "c.eml").write_bytes(first)  # a true copy is skipped
    config = tmp_path / "c.toml"
    config.write_text(
        f'[local]\npaths = ["{inbox}"]\n[csv]\npath = "o/c.csv"\nfailures_path = "o/f.csv"\n'
        '[state]\npath = "s/s.sqlite3"\n'
    )
    result = sparkcodes("run", "--config", str(config))
    assert result.stdout.strip() == "fetched 3, codes 2 (2 new, 0 updated), failures 0, skipped 1"
    assert (tmp_path / "s" / "s.sqlite3").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('[sheets]\nspreadsheet = "k"\ncredentials_file = "creds.json"\n', "is not usable"),
        ('[state]\npath = "c.toml/state.sqlite3"\n', "cannot"),
    ],
)
def test_more_bad_setups_are_sentences(tmp_path: Path, extra: str, message: str) -> None:
    (tmp_path / "creds.json").write_text("[1, 2]")
    config = tmp_path / "c.toml"
    config.write_text(f'[local]\npaths = ["{tmp_path}"]\n{extra}')
    result = sparkcodes("run", "--config", str(config))
    assert result.returncode == 2
    assert message in result.stderr
    no_traceback(result)


def test_token_command_failure_names_only_the_program(
    tmp_path: Path, imap_account: ImapAccount
) -> None:
    extra = 'auth = "oauth2"\noauth2_token_command = "false --client-secret=s3cr3t"\n'
    config = imap_config(tmp_path, imap_account)
    config.write_text(config.read_text().replace('password_env = "TEST_IMAP_PASSWORD"\n', extra))
    result = sparkcodes("run", "--config", str(config))
    assert result.returncode == 2
    assert "oauth2_token_command (false) exited with 1" in result.stderr
    assert "s3cr3t" not in result.stderr
