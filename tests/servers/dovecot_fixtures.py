"""Pytest fixtures for the real Dovecot server; tests/conftest.py re-exports them::

    from tests.servers.dovecot_fixtures import dovecot, imap_account  # noqa: F401

``dovecot`` is one server per test session (startup ~60 ms, but users and mail
accumulate); ``imap_account`` gives each test its own fresh user so tests never
see each other's mail.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import NoReturn

import pytest

from tests.servers.dovecot import Dovecot, missing_executables

__all__ = ["ImapAccount", "dovecot", "imap_account", "missing_server", "require_dovecot"]

_CI_TRUE = {"true", "1", "yes"}


def missing_server(reason: str) -> NoReturn:
    """The one place deciding what an unavailable server means.

    Locally a missing Dovecot skips the test (not everyone has it installed).
    Under CI (``CI=true``, as GitHub Actions and most CI systems set it) the
    test command installs Dovecot itself, so its absence is a broken pipeline
    and must fail loudly: a silently skipped IMAP suite looks green.
    """
    if os.environ.get("CI", "").strip().lower() in _CI_TRUE:
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def require_dovecot() -> None:
    """Skip (or fail under CI) unless every program the harness runs is installed."""
    missing = missing_executables()
    if missing:
        missing_server(
            f"Dovecot test server unavailable: {', '.join(missing)} not found "
            "(install with: bash .ci/install-system-deps)"
        )


class _SharedServer:
    """Reference-counted session server.

    A test module may register these fixtures as well as tests/conftest.py;
    pytest then keeps two session-scoped fixture definitions, and this makes
    both hand out the same server instead of starting a second one.
    """

    server: Dovecot | None = None
    users = 0

    @classmethod
    def acquire(cls) -> Dovecot:
        if cls.server is None:
            server = Dovecot()
            server.start()
            cls.server = server
        cls.users += 1
        return cls.server

    @classmethod
    def release(cls) -> None:
        cls.users -= 1
        if cls.users == 0 and cls.server is not None:
            cls.server.close()
            cls.server = None


@pytest.fixture(scope="session")
def dovecot() -> Iterator[Dovecot]:
    """The session's Dovecot server (started on first use, stopped at the end)."""
    require_dovecot()
    server = _SharedServer.acquire()
    try:
        yield server
    finally:
        _SharedServer.release()


@dataclass(frozen=True)
class ImapAccount:
    """Everything a client under test needs to reach one fresh mailbox."""

    username: str
    password: str
    host: str
    port: int
    """Plain IMAP with STARTTLS available."""
    ssl_port: int
    """Implicit TLS (IMAPS)."""
    ca_file: str
    """PEM of the CA that signed the server certificate (for verified TLS)."""
    oauth2_token: str
    """Static token accepted by AUTHENTICATE XOAUTH2 / OAUTHBEARER for this user."""

    def ssl_context(self) -> ssl.SSLContext:
        """Client context that verifies the test server's certificate."""
        return ssl.create_default_context(cafile=self.ca_file)


_account_numbers = itertools.count(1)


def _username_for(test_name: str) -> str:
    """Unique, path-safe, lowercase (Dovecot lowercases logins) and recognisable in
    the Dovecot log, e.g. ``u7-test_plain_login-3fa2``."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", test_name.lower()).strip("-.")[:40] or "test"
    return f"u{next(_account_numbers)}-{slug}-{secrets.token_hex(2)}"


@pytest.fixture
def imap_account(dovecot: Dovecot, request: pytest.FixtureRequest) -> ImapAccount:
    """A brand-new user with an empty INBOX on the session server."""
    username = _username_for(request.node.name)
    password = secrets.token_urlsafe(12)
    token = f"ya29.test-{secrets.token_urlsafe(16)}"
    dovecot.add_user(username, password, oauth2_token=token)
    return ImapAccount(
        username=username,
        password=password,
        host=dovecot.host,
        port=dovecot.port,
        ssl_port=dovecot.ssl_port,
        ca_file=dovecot.ca_file,
        oauth2_token=token,
    )
