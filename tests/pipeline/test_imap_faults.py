"""IMAP faults as ops meet them, against the real Dovecot: a server killed under a watcher, a
password that is not ASCII, a port that does not speak what the config says (issue 10)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from config.errors import TerminalError
from pipeline.watch import backoff
from sources.imap import ImapAuthError, ImapTlsError, Mailbox
from tests.pipeline.cli_helpers import SPARKCODES, imap_config, sparkcodes
from tests.pipeline.mailgen import code_for, creator_email
from tests.pipeline.test_imap_sync import settings_for
from tests.servers import dovecot_fixtures
from tests.servers.dovecot import Dovecot
from tests.servers.dovecot_fixtures import ImapAccount

NON_ASCII_PASSWORD = "pässwörd-日本"


def _codes(csv: Path) -> list[str]:
    if not csv.exists():
        return []
    return list(pd.read_csv(csv, dtype=str, encoding="utf-8-sig")["spark_code"])


def _wait_for(csv: Path, code: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if code in _codes(csv):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("how", ["kill", "restart"])
def test_watch_reconnects_at_once_when_the_server_dies(
    tmp_path: Path, dovecot: Dovecot, imap_account: ImapAccount, how: str
) -> None:
    # README: "`sparkcodes watch` ... Stays connected: IMAP IDLE (re-issued at least every 10
    # minutes), polling where the server lacks IDLE, reconnects with backoff". The IDLE
    # renewal stays at its default (540 s): the drop must be noticed by itself, not by it.
    config = imap_config(tmp_path, imap_account)
    dovecot.append(imap_account.username, "INBOX", creator_email(51))
    proc = subprocess.Popen(
        [SPARKCODES, "watch", "--config", str(config)],
        env={**os.environ, "TEST_IMAP_PASSWORD": imap_account.password},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    csv = tmp_path / "out" / "spark_codes.csv"
    try:
        assert _wait_for(csv, code_for(51), 20)
        time.sleep(1)  # in IDLE now
        dovecot.kill() if how == "kill" else dovecot.stop()
        dovecot.start()
        back = time.monotonic()
        dovecot.append(imap_account.username, "INBOX", creator_email(52))
        assert _wait_for(csv, code_for(52), 15), "the watcher never came back after the server"
        assert time.monotonic() - back < 15
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert "retrying in" in err  # the drop was reported, then the reconnect
    assert "Traceback" not in err


@pytest.fixture
def non_ascii_account(dovecot: Dovecot, imap_account: ImapAccount) -> ImapAccount:
    dovecot.add_user(imap_account.username, NON_ASCII_PASSWORD)
    return ImapAccount(**{**imap_account.__dict__, "password": NON_ASCII_PASSWORD})


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_a_non_ascii_password_logs_in(non_ascii_account: ImapAccount, security: str) -> None:
    settings = settings_for(non_ascii_account, security=security)
    with Mailbox(settings, NON_ASCII_PASSWORD) as mailbox:
        assert mailbox.new_uids(0) == []


def test_check_and_run_with_a_non_ascii_password(
    tmp_path: Path, dovecot: Dovecot, non_ascii_account: ImapAccount
) -> None:
    dovecot.append(non_ascii_account.username, "INBOX", creator_email(61))
    config = imap_config(tmp_path, non_ascii_account)
    env = {"TEST_IMAP_PASSWORD": NON_ASCII_PASSWORD}
    checked = sparkcodes("check", "--config", str(config), env=env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "ok    imap: logged in" in checked.stdout
    ran = sparkcodes("run", "--config", str(config), env=env)
    assert ran.returncode == 0, ran.stderr
    assert _codes(tmp_path / "out" / "spark_codes.csv") == [code_for(61)]


@pytest.fixture(scope="module")
def login_only_server() -> Iterator[Dovecot]:
    """A server that offers only the LOGIN mechanism: nothing that carries UTF-8."""
    dovecot_fixtures.require_dovecot()
    with Dovecot(extra_config="auth_mechanisms = login\n") as server:
        yield server


def test_a_non_ascii_password_the_server_cannot_take_is_one_sentence(
    login_only_server: Dovecot,
) -> None:
    server = login_only_server
    server.add_user("utf8-user", NON_ASCII_PASSWORD)
    account = ImapAccount(
        "utf8-user", NON_ASCII_PASSWORD, server.host, server.port, server.ssl_port,
        server.ca_file, "",
    )  # fmt: skip
    with pytest.raises(ImapAuthError, match=r"non-ASCII characters.*no AUTH=PLAIN"):
        Mailbox(settings_for(account), NON_ASCII_PASSWORD).open()


def test_ssl_on_a_plaintext_port_is_a_config_error(
    tmp_path: Path, imap_account: ImapAccount
) -> None:
    config = imap_config(tmp_path, imap_account)
    text = config.read_text().replace(
        f"port = {imap_account.ssl_port}", f"port = {imap_account.port}"
    )
    config.write_text(text)
    result = sparkcodes("run", "--config", str(config), env={"TEST_IMAP_PASSWORD": "x"})
    assert result.returncode == 2
    message = result.stderr.strip()
    assert "does not speak TLS" in message
    assert "imap.port" in message and "imap.security" in message
    assert "temporary" not in message and "retry" not in message
    assert len(message.splitlines()) == 1


class _NoStartTlsServer:
    """A bare IMAP greeting without STARTTLS, as some old or internal servers answer."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn, conn.makefile("rb") as lines, contextlib.suppress(OSError):
                conn.settimeout(5)
                conn.sendall(b"* OK plain only\r\n")
                for line in lines:
                    tag, _, command = line.strip().partition(b" ")
                    if command.upper() == b"CAPABILITY":
                        conn.sendall(
                            b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n"
                        )
                    elif command.upper() == b"LOGOUT":
                        conn.sendall(b"* BYE\r\n" + tag + b" OK done\r\n")
                        break
                    else:
                        conn.sendall(tag + b" BAD not here\r\n")

    def close(self) -> None:
        self.listener.close()


def test_starttls_against_a_server_without_it_is_a_config_error() -> None:
    server = _NoStartTlsServer()
    try:
        settings = settings_for(
            ImapAccount("u", "p", "127.0.0.1", server.port, server.port, "", ""),
            security="starttls",
            ca_file="",
        )
        with pytest.raises(ImapTlsError) as caught:
            Mailbox(settings, "p").open()
    finally:
        server.close()
    assert isinstance(caught.value, TerminalError)
    assert "does not offer STARTTLS" in str(caught.value)
    assert "imap.security" in str(caught.value)


@given(failures=st.integers(min_value=1, max_value=100), cap=st.floats(0.1, 3600))
def test_backoff_starts_within_a_second_and_never_passes_the_cap(failures: int, cap: float) -> None:
    delay = backoff(failures, cap)
    assert 0 <= delay <= min(cap, 2.0 ** (failures - 1))
    if failures == 1:
        assert delay <= 1
