"""Tests of the Dovecot harness itself, driven with plain imapclient.

If these fail, every IMAP integration test would be testing the harness rather
than sparkcodes, so they pin down exactly what the harness promises.
"""

from __future__ import annotations

import contextlib
import imaplib
import secrets
import ssl
from collections.abc import Iterator

import pytest
from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from tests.servers import dovecot_fixtures as _fixtures
from tests.servers.dovecot import Dovecot, DovecotError
from tests.servers.dovecot_fixtures import ImapAccount, missing_server

pytestmark = pytest.mark.dovecot
# The dovecot / imap_account fixtures come from tests/conftest.py (dovecot_fixtures).


def _message(n: int, body: str = "Spark code: #ABC123") -> bytes:
    return (
        f"From: Creator {n} <creator{n}@example.com>\r\n"
        f"To: ads@example.com\r\n"
        f"Subject: Spark code {n}\r\n"
        f"Message-ID: <spark-{n}@example.com>\r\n"
        f"Date: Tue, 05 Mar 2024 10:00:00 +0000\r\n"
        f"\r\n"
        f"{body}\r\n"
    ).encode()


@pytest.fixture(scope="module")
def private_server() -> Iterator[Dovecot]:
    """Own instance for tests that stop or freeze the server."""
    _fixtures.require_dovecot()
    with Dovecot() as server:
        yield server


# -- login and TLS -----------------------------------------------------------------


def test_plain_login_offers_starttls(imap_account: ImapAccount) -> None:
    with IMAPClient(imap_account.host, imap_account.port, ssl=False, timeout=5) as client:
        assert b"STARTTLS" in client.capabilities()
        client.login(imap_account.username, imap_account.password)
        assert client.select_folder("INBOX")[b"EXISTS"] == 0


def test_imaps_login_verifies_certificate(imap_account: ImapAccount) -> None:
    context = imap_account.ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    with IMAPClient(
        imap_account.host, imap_account.ssl_port, ssl=True, ssl_context=context, timeout=5
    ) as client:
        client.login(imap_account.username, imap_account.password)
        sock = client.socket()
        assert isinstance(sock, ssl.SSLSocket)
        assert sock.version() in ("TLSv1.2", "TLSv1.3")
        assert sock.getpeercert()  # only populated for a verified peer


def test_starttls_login_verifies_certificate(imap_account: ImapAccount) -> None:
    with IMAPClient(imap_account.host, imap_account.port, ssl=False, timeout=5) as client:
        client.starttls(imap_account.ssl_context())
        client.login(imap_account.username, imap_account.password)
        assert isinstance(client.socket(), ssl.SSLSocket)


def test_tls_without_the_test_ca_fails_verification(imap_account: ImapAccount) -> None:
    system_trust = ssl.create_default_context()
    with pytest.raises(ssl.SSLCertVerificationError):
        IMAPClient(
            imap_account.host, imap_account.ssl_port, ssl=True, ssl_context=system_trust, timeout=5
        )
    client = IMAPClient(imap_account.host, imap_account.port, ssl=False, timeout=5)
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(system_trust)
    finally:
        with contextlib.suppress(OSError):  # the failed handshake already closed it
            client.shutdown()


def test_wrong_password_is_rejected(dovecot: Dovecot, imap_account: ImapAccount) -> None:
    with pytest.raises(LoginError):
        dovecot.client(imap_account.username, "not-the-password")


def test_xoauth2_accepts_the_static_token_only(dovecot: Dovecot, imap_account: ImapAccount) -> None:
    with dovecot.client(imap_account.username, oauth2_token=imap_account.oauth2_token) as client:
        assert client.select_folder("INBOX")[b"EXISTS"] == 0
    with pytest.raises(LoginError):
        dovecot.client(imap_account.username, oauth2_token=imap_account.password)


# -- mail ------------------------------------------------------------------------


def test_append_then_body_peek_leaves_message_unseen(
    dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    raw = _message(1)
    uid = dovecot.append(imap_account.username, "INBOX", raw)
    seen_uid = dovecot.append(imap_account.username, "INBOX", _message(2), flags=[r"\Seen"])
    assert seen_uid == uid + 1
    with dovecot.client(imap_account.username, ssl=True) as client:
        client.select_folder("INBOX")
        fetched = client.fetch([uid], ["BODY.PEEK[]"])
        assert fetched[uid][b"BODY[]"] == raw
        flags = client.get_flags([uid, seen_uid])
        assert b"\\Seen" not in flags[uid]
        assert b"\\Seen" in flags[seen_uid]


def test_append_many_returns_uids_in_order(dovecot: Dovecot, imap_account: ImapAccount) -> None:
    dovecot.create_folder(imap_account.username, "Spark Codes/2024")
    uids = dovecot.append_many(
        imap_account.username, "Spark Codes/2024", (_message(n) for n in range(250)), batch_size=100
    )
    assert uids == list(range(1, 251))
    status = dovecot.folder_status(imap_account.username, "Spark Codes/2024")
    assert status["MESSAGES"] == 250 and status["UNSEEN"] == 250


@pytest.mark.parametrize("folder", ["INBOX", "Spark Codes/Ünïcode"])
def test_reset_uidvalidity_keeps_messages(
    dovecot: Dovecot, imap_account: ImapAccount, folder: str
) -> None:
    user = imap_account.username
    if folder != "INBOX":
        dovecot.create_folder(user, folder)
    dovecot.append_many(user, folder, [_message(n) for n in range(5)])
    dovecot.append(user, folder, _message(99), flags=[r"\Flagged"])
    before = dovecot.folder_status(user, folder)

    new_validity = dovecot.reset_uidvalidity(user, folder)

    after = dovecot.folder_status(user, folder)
    assert new_validity == after["UIDVALIDITY"] != before["UIDVALIDITY"]
    assert after["MESSAGES"] == before["MESSAGES"] == 6
    with dovecot.client(user) as client:
        client.select_folder(folder, readonly=True)
        flagged = client.search(["FLAGGED"])
        assert len(flagged) == 1
        body = client.fetch(flagged, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        assert (
            b"<spark-99@example.com>"
            in next(iter(body.values()))[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]
        )


def test_kick_drops_live_connection(dovecot: Dovecot, imap_account: ImapAccount) -> None:
    bystander_name = f"bystander-{secrets.token_hex(3)}"
    dovecot.add_user(bystander_name, "pw")
    client = dovecot.client(imap_account.username)
    bystander = dovecot.client(bystander_name)
    try:
        client.select_folder("INBOX")
        dovecot.kick(imap_account.username)
        with pytest.raises((imaplib.IMAP4.abort, OSError)):
            client.noop()
        bystander.noop()  # other users keep their sessions
    finally:
        client.shutdown()
        bystander.logout()
    with dovecot.client(imap_account.username) as again:
        again.noop()


# -- lifecycle (own server, so the session server is never disturbed) --------------


def test_restart_keeps_ports_users_and_mail(private_server: Dovecot) -> None:
    server = private_server
    server.add_user("restart-user", "pw")
    uid = server.append("restart-user", "INBOX", _message(1))
    ports = (server.port, server.ssl_port)
    live = server.client("restart-user")
    try:
        server.restart()
        with pytest.raises((imaplib.IMAP4.abort, OSError)):
            live.noop()
    finally:
        live.shutdown()
    assert (server.port, server.ssl_port) == ports
    with server.client("restart-user", ssl=True) as client:
        client.select_folder("INBOX")
        assert client.search() == [uid]
        assert client.fetch([uid], ["BODY.PEEK[]"])[uid][b"BODY[]"] == _message(1)


def test_kill_drops_clients_without_bye_then_start_brings_it_back(
    private_server: Dovecot,
) -> None:
    server = private_server
    server.add_user("kill-user", "pw")
    uid = server.append("kill-user", "INBOX", _message(2))
    ports = (server.port, server.ssl_port)
    live = server.client("kill-user")
    try:
        live.select_folder("INBOX")
        server.kill()
        assert not server.running
        with pytest.raises((imaplib.IMAP4.abort, OSError)):
            live.noop()
    finally:
        live.shutdown()
    server.start()
    assert (server.port, server.ssl_port) == ports
    with server.client("kill-user") as client:
        client.select_folder("INBOX")
        assert uid in client.search()


def test_pause_hangs_server_until_resume(private_server: Dovecot) -> None:
    server = private_server
    server.add_user("pause-user", "pw")
    live = server.client("pause-user", timeout=5)
    try:
        with server.paused():
            live.socket().settimeout(0.3)
            with pytest.raises(TimeoutError):
                live.noop()
            with pytest.raises(TimeoutError):
                server.client("pause-user", timeout=0.3)
    finally:
        live.shutdown()
    with server.client("pause-user") as client:
        client.noop()


def test_start_failure_reports_log_tail() -> None:
    _fixtures.require_dovecot()
    server = Dovecot(extra_config="no_such_setting = 1\n", startup_timeout=5)
    try:
        with pytest.raises(DovecotError, match=r"(?s)exited with status.*no_such_setting"):
            server.start()
        assert not server.running
    finally:
        server.close()


# -- skip versus fail ------------------------------------------------------------


def test_missing_server_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception):
        missing_server("dovecot not installed")


@pytest.mark.parametrize("value", ["true", "TRUE", "1"])
def test_missing_server_fails_under_ci(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="dovecot not installed"):
        missing_server("dovecot not installed")


def test_missing_binary_goes_through_missing_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_fixtures, "missing_executables", lambda: ["dovecot"])
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="dovecot not found"):
        _fixtures.require_dovecot()
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception, match="dovecot not found"):
        _fixtures.require_dovecot()
