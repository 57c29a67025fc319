"""The sync pass against a real Dovecot on loopback: first run, reruns, new mail, resync,
restarts and drops mid-run, bad credentials and certificates."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import pytest

from config.settings import ImapSettings
from parsers.options import Options
from parsers.records import Extraction
from pipeline.run import Job, sync
from pipeline.state import State
from sinks import WriteStats
from sinks.csv import CsvSink
from sources.imap import ImapAuthError, ImapSource, ImapTlsError, ImapUnavailable, Mailbox
from tests.pipeline.mailgen import code_for, creator_email
from tests.servers.dovecot import Dovecot
from tests.servers.dovecot_fixtures import ImapAccount


def settings_for(
    account: ImapAccount, *, security: str = "ssl", batch_size: int = 200, **extra: object
) -> ImapSettings:
    port = account.ssl_port if security == "ssl" else account.port
    values: dict[str, object] = {
        "host": account.host,
        "port": port,
        "security": security,
        "username": account.username,
        "password_env": "UNUSED",
        "ca_file": account.ca_file,
        "batch_size": batch_size,
        "timeout_seconds": 10,
        **extra,
    }
    return ImapSettings.model_validate(values)


class Run:
    """One account, its CSV sink and state, and a way to run a sync pass like `run` does."""

    def __init__(self, account: ImapAccount, tmp: Path, **settings: object) -> None:
        self.account = account
        self.settings = settings_for(account, **settings)
        self.csv = CsvSink(tmp / "codes.csv", tmp / "failures.csv")
        self.state_path = tmp / "state.sqlite3"

    def once(self, sinks: Sequence[object] | None = None):  # type: ignore[no-untyped-def]
        with State(self.state_path) as state, Mailbox(self.settings, self.account.password) as mb:
            job = Job(sinks=list(sinks or [self.csv]), options=Options(), state=state)  # type: ignore[arg-type]
            summary = sync(ImapSource(mb), job)
            return summary, mb.commands

    def codes(self) -> list[str]:
        frame = pd.read_csv(self.csv.path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        return list(frame["spark_code"])

    def failures(self) -> list[str]:
        frame = pd.read_csv(
            self.csv.failures_path, dtype=str, keep_default_na=False, encoding="utf-8-sig"
        )
        return list(frame["message_id"])


def deliver(dovecot: Dovecot, account: ImapAccount, items: Sequence[bytes]) -> list[int]:
    return dovecot.append_many(account.username, "INBOX", items)


def test_first_run_then_rerun_then_new_mail(
    dovecot: Dovecot, imap_account: ImapAccount, tmp_path: Path
) -> None:
    deliver(
        dovecot,
        imap_account,
        [creator_email(i) for i in range(5)] + [creator_email(99, with_code=False)],
    )
    run = Run(imap_account, tmp_path, batch_size=4)
    summary, _ = run.once()
    assert (summary.fetched, summary.codes, summary.failures) == (6, 5, 1)
    assert sorted(run.codes()) == sorted(code_for(i) for i in range(5))
    assert run.failures() == ["<creator-99@example.net>"]

    # The shared inbox keeps its unread state; processed mail carries the keyword.
    with dovecot.client(imap_account.username) as imap:
        imap.select_folder("INBOX", readonly=True)
        assert imap.search(["SEEN"]) == []
        assert len(imap.search(["KEYWORD", "$SparkParsed"])) == 6

    mtime = run.csv.path.stat().st_mtime_ns
    summary, commands = run.once()
    assert summary.fetched == 0
    assert run.csv.path.stat().st_mtime_ns == mtime  # nothing written
    assert commands <= 3  # LOGIN, SELECT and LOGOUT-free: UIDNEXT answers "nothing new"

    deliver(dovecot, imap_account, [creator_email(5)])
    summary, _ = run.once()
    assert (summary.fetched, summary.codes) == (1, 1)
    assert sorted(run.codes()) == sorted(code_for(i) for i in range(6))


def test_changed_uidvalidity_resyncs_without_duplicates(
    dovecot: Dovecot, imap_account: ImapAccount, tmp_path: Path
) -> None:
    deliver(dovecot, imap_account, [creator_email(i) for i in range(4)])
    run = Run(imap_account, tmp_path)
    run.once()
    dovecot.reset_uidvalidity(imap_account.username, "INBOX")
    deliver(dovecot, imap_account, [creator_email(4)])
    summary, _ = run.once()
    assert summary.fetched == 5  # the whole folder read again...
    assert summary.skipped == 4  # ...but only the new message written
    assert summary.codes == 1
    assert sorted(run.codes()) == sorted(code_for(i) for i in range(5))


class _Interrupting:
    """A sink that writes, then breaks the server after the first batch."""

    def __init__(self, inner: CsvSink, interrupt: object) -> None:
        self.inner = inner
        self.interrupt = interrupt
        self.batches = 0

    def write(self, batch: Sequence[Extraction]) -> WriteStats:
        stats = self.inner.write(batch)
        self.batches += 1
        if self.batches == 1:
            self.interrupt()  # type: ignore[operator]
        return stats


@pytest.mark.parametrize("how", ["restart", "kick"])
def test_server_gone_mid_run_then_rerun_loses_nothing(
    dovecot: Dovecot, imap_account: ImapAccount, tmp_path: Path, how: str
) -> None:
    deliver(dovecot, imap_account, [creator_email(i) for i in range(10)])
    run = Run(imap_account, tmp_path, batch_size=3)
    interrupt = (
        dovecot.restart if how == "restart" else (lambda: dovecot.kick(imap_account.username))
    )
    with pytest.raises(ImapUnavailable):
        run.once([_Interrupting(run.csv, interrupt)])
    assert len(run.codes()) == 3  # the first batch reached the sink before the drop
    summary, _ = run.once()
    assert summary.codes + summary.skipped >= 7
    assert sorted(run.codes()) == sorted(code_for(i) for i in range(10))  # each exactly once


def test_wrong_password_is_an_auth_error(imap_account: ImapAccount) -> None:
    with (
        pytest.raises(ImapAuthError, match="refused the login"),
        Mailbox(settings_for(imap_account), "not-the-password"),
    ):
        pass


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_self_signed_certificate_refused_unless_ca_file(
    imap_account: ImapAccount, security: str
) -> None:
    untrusted = settings_for(imap_account, security=security, ca_file="")
    with (
        pytest.raises(ImapTlsError, match=r"not trusted.*ca_file"),
        Mailbox(untrusted, imap_account.password),
    ):
        pass
    with Mailbox(settings_for(imap_account, security=security), imap_account.password) as mb:
        assert mb.uidvalidity > 0


def test_plain_connection_on_loopback(imap_account: ImapAccount) -> None:
    with Mailbox(settings_for(imap_account, security="none"), imap_account.password) as mb:
        assert mb.uidvalidity > 0


def test_oauth2_login(imap_account: ImapAccount) -> None:
    settings = settings_for(
        imap_account, auth="oauth2", oauth2_token_command="echo unused", password_env=None
    )
    with Mailbox(settings, imap_account.oauth2_token) as mb:
        assert mb.uidvalidity > 0


def test_move_instead_of_keyword(
    dovecot: Dovecot, imap_account: ImapAccount, tmp_path: Path
) -> None:
    dovecot.create_folder(imap_account.username, "Spark/Processed")
    deliver(dovecot, imap_account, [creator_email(i) for i in range(3)])
    run = Run(imap_account, tmp_path, mark="move", move_to="Spark/Processed")
    run.once()
    assert dovecot.folder_status(imap_account.username, "INBOX")["MESSAGES"] == 0
    assert dovecot.folder_status(imap_account.username, "Spark/Processed")["MESSAGES"] == 3
    summary, _ = run.once()
    assert summary.fetched == 0
    assert len(run.codes()) == 3


def test_tls_context_verifies_by_default(imap_account: ImapAccount) -> None:
    # Sanity: the server's CA really is not in the system store.
    ctx = ssl.create_default_context()
    assert ctx.verify_mode is ssl.CERT_REQUIRED


def test_hung_server_times_out_then_rerun_loses_nothing(
    dovecot: Dovecot, imap_account: ImapAccount, tmp_path: Path
) -> None:
    deliver(dovecot, imap_account, [creator_email(i) for i in range(6)])
    run = Run(imap_account, tmp_path, batch_size=2, timeout_seconds=1)
    try:
        with pytest.raises(ImapUnavailable, match="timed out"):
            run.once([_Interrupting(run.csv, dovecot.pause)])
    finally:
        dovecot.resume()
    assert len(run.codes()) == 2
    run.once()
    assert sorted(run.codes()) == sorted(code_for(i) for i in range(6))
