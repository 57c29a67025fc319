"""The IMAP side: connect, find new messages by UID, fetch them unread, mark them done.

imapclient does the protocol. This module adds what a scheduled job needs around it:
certificates verified by default, secrets read from the environment or files, BODY.PEEK so the
shared inbox keeps its unread state, batched fetches, and every failure turned into one of a
few exceptions that say whether to retry later or to ask a person.
"""

from __future__ import annotations

import contextlib
import select
import shlex
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, cast

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError
from imapclient.imapclient import _parse_untagged_response

from config.errors import SparkcodesError, TerminalError, TransientError
from config.settings import ImapSettings, Settings
from sources import Pending, RawMessage, SourceBatch

# OpenSSL's reasons when the other end answers a TLS handshake with something else: a
# plaintext IMAP greeting, for one. A wrong port or security setting, never temporary.
_NOT_TLS = frozenset(
    {"WRONG_VERSION_NUMBER", "UNKNOWN_PROTOCOL", "HTTP_REQUEST", "RECORD_LAYER_FAILURE",
     "PACKET_LENGTH_TOO_LONG", "UNEXPECTED_RECORD", "WRONG_SSL_VERSION"}
)  # fmt: skip


class ImapError(SparkcodesError):
    """Base of the IMAP errors; each concrete one is transient or terminal."""


class ImapUnavailable(ImapError, ConnectionError, TransientError):
    """The server cannot be reached or dropped the connection: retry later."""


class ImapAuthError(ImapError, PermissionError, TerminalError):
    """The server refused the credentials: a person must fix them."""


class ImapTlsError(ImapError, ConnectionError, TerminalError):
    """The server's certificate is not trusted: a person must fix the config."""


class ImapConfigError(ImapError, ValueError, TerminalError):
    """A folder that does not exist, a secret that cannot be read."""


def read_secret(settings: ImapSettings) -> str:
    """The password or OAuth2 token, from the environment, a file or a command; never logged."""
    import os

    if settings.auth == "oauth2":
        if settings.oauth2_token_command:
            try:
                argv = shlex.split(settings.oauth2_token_command)
                done = subprocess.run(argv, capture_output=True, text=True, timeout=60)
            except ValueError as exc:
                raise ImapConfigError(f"imap.oauth2_token_command cannot be parsed: {exc}") from exc
            except (OSError, subprocess.SubprocessError) as exc:
                # Name the program only: the rest of the line may hold a client secret.
                program = argv[0] if argv else ""
                raise ImapConfigError(
                    f"imap.oauth2_token_command ({program}) could not run: "
                    f"{getattr(exc, 'strerror', None) or type(exc).__name__}"
                ) from exc
            if done.returncode != 0:
                said = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
                raise ImapConfigError(
                    f"imap.oauth2_token_command ({argv[0]}) exited with {done.returncode}: "
                    f"{said[0][:200]}"
                )
            token = done.stdout.strip()
        else:
            assert settings.oauth2_token_file is not None
            token = _read_file(settings.oauth2_token_file, "imap.oauth2_token_file")
        if not token:
            raise ImapConfigError("the OAuth2 token is empty")
        return token
    if settings.password_env:
        value = os.environ.get(settings.password_env)
        if value:
            return value
        if not settings.password_file:
            state = "is not set" if value is None else "is set but empty"
            raise ImapConfigError(
                f"environment variable {settings.password_env} (imap.password_env) {state}"
            )
    assert settings.password_file is not None
    return _read_file(settings.password_file, "imap.password_file")


def _read_file(path: Path, key: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ImapConfigError(f"cannot read {key} {path}: {exc.strerror or exc}") from exc


class Mailbox:
    """One logged-in connection with the configured folder selected."""

    def __init__(self, settings: ImapSettings, secret: str) -> None:
        self.settings = settings
        self._secret = secret
        self._client: IMAPClient | None = None
        self.uidvalidity = 0
        self.uidnext: int | None = None
        self.commands = 0  # IMAP commands sent, for the round-trip budget of a quiet poll

    @property
    def key(self) -> str:
        s = self.settings
        return f"imap://{s.username}@{s.host}:{s.effective_port}/{s.folder}"

    def __enter__(self) -> Mailbox:
        self.open()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def client(self) -> IMAPClient:
        if self._client is None:
            raise ImapUnavailable("not connected")
        return self._client

    def open(self) -> None:
        s = self.settings
        where = f"{s.host}:{s.effective_port}"
        context = self._tls_context()
        try:
            client = IMAPClient(
                s.host,
                port=s.effective_port,
                ssl=s.security == "ssl",
                ssl_context=context if s.security == "ssl" else None,
                timeout=s.timeout_seconds,
            )
            self._client = client
            client.normalise_times = False
            if s.security == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise ImapTlsError(
                        f'{where} does not offer STARTTLS, so imap.security = "starttls" '
                        "cannot protect the password; check imap.port and imap.security "
                        '(implicit TLS, usually port 993, is security = "ssl")'
                    )
                self._call(client.starttls, context)
            if s.auth == "oauth2":
                self._call(client.oauth2_login, s.username, self._secret)
            else:
                self._login(client, where)
            info = self._call(client.select_folder, s.folder)
        except ImapError:
            self._drop()
            raise
        except ssl.SSLCertVerificationError as exc:
            self._drop()
            raise ImapTlsError(
                f"the certificate of {where} is not trusted ({exc.verify_message}); "
                "if the server uses its own CA, set imap.ca_file to it"
            ) from exc
        except ssl.SSLError as exc:
            self._drop()
            if exc.reason in _NOT_TLS:
                raise ImapTlsError(
                    f"{where} does not speak TLS ({exc.reason}); check imap.port and "
                    'imap.security (security = "ssl" needs an implicit-TLS port, usually 993; '
                    'port 143 takes "starttls")'
                ) from exc
            raise ImapUnavailable(f"TLS with {where} failed: {_os_reason(exc)}") from exc
        except LoginError as exc:
            self._drop()
            raise ImapAuthError(
                f"{where} refused the login for {s.username} ({_said(exc)}); "
                "check the password (many providers need an app password) or the token"
            ) from exc
        except IMAPClientAbortError as exc:
            self._drop()
            raise ImapUnavailable(f"{where} dropped the connection: {_said(exc)}") from exc
        except IMAPClientError as exc:
            self._drop()
            said = _said(exc)
            if "select" in str(exc).lower() or "mailbox" in said.lower():
                raise ImapConfigError(
                    f"cannot open folder '{s.folder}' on {where} ({said}); check imap.folder"
                ) from exc
            raise ImapUnavailable(f"{where}: {said}") from exc
        except OSError as exc:
            self._drop()
            raise ImapUnavailable(f"cannot reach {where}: {_os_reason(exc)}") from exc
        self._selected(info)

    def _login(self, client: IMAPClient, where: str) -> None:
        """LOGIN, or AUTHENTICATE PLAIN when the name or password is not ASCII.

        IMAP's LOGIN command carries ASCII only (imaplib refuses anything else); SASL PLAIN
        carries UTF-8 (RFC 4616), which is how servers store such passwords.
        """
        username, secret = self.settings.username, self._secret
        if username.isascii() and secret.isascii():
            self._call(client.login, username, secret)
        elif client.has_capability("AUTH=PLAIN"):
            self._call(client.plain_login, username, secret)
        else:
            raise ImapAuthError(
                f"the {'password' if username.isascii() else 'username'} has non-ASCII "
                f"characters and {where} offers no login that can carry them (no AUTH=PLAIN); "
                "use an ASCII password (or an app password) for this account"
            )

    def _selected(self, info: dict[bytes, Any]) -> None:
        self.uidvalidity = int(info.get(b"UIDVALIDITY", 0))
        uidnext = info.get(b"UIDNEXT")
        self.uidnext = int(uidnext) if uidnext is not None else None

    def refresh(self) -> None:
        """SELECT again: fresh UIDVALIDITY and UIDNEXT for the next pass of a long session."""
        self._selected(self.guarded(self.client.select_folder, self.settings.folder))

    def close(self) -> None:
        if self._client is None:
            return
        try:
            self._client.logout()
        except Exception:  # the connection is going away anyway
            self._drop()
        self._client = None

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):  # already dead
                client.shutdown()

    def _tls_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        ca = self.settings.ca_file
        if ca is not None and str(ca):
            try:
                context.load_verify_locations(cafile=str(ca))
            except (OSError, ssl.SSLError) as exc:
                raise ImapConfigError(f"cannot load imap.ca_file {ca}: {exc}") from exc
        return context

    def _call(self, method: Any, *args: Any) -> Any:
        self.commands += 1
        return method(*args)

    def guarded(self, method: Any, *args: Any) -> Any:
        """Run one command on the open connection, with errors mapped to ImapError types."""
        where = f"{self.settings.host}:{self.settings.effective_port}"
        try:
            return self._call(method, *args)
        except IMAPClientAbortError as exc:
            self._drop()
            raise ImapUnavailable(f"{where} dropped the connection: {_said(exc)}") from exc
        except IMAPClientError as exc:
            raise ImapUnavailable(f"{where}: {_said(exc)}") from exc
        except (OSError, ssl.SSLError) as exc:
            self._drop()
            raise ImapUnavailable(f"lost the connection to {where}: {_os_reason(exc)}") from exc

    def new_uids(self, after: int) -> list[int]:
        """UIDs above `after`, ascending. No command at all when UIDNEXT says nothing is new."""
        uidnext, self.uidnext = self.uidnext, None  # only fresh right after SELECT
        if uidnext is not None and uidnext <= after + 1:
            return []
        found = self.guarded(self.client.search, ["UID", f"{after + 1}:*"])
        return sorted(int(u) for u in found if int(u) > after)

    def fetch(self, uids: Sequence[int]) -> Iterator[tuple[int, RawMessage]]:
        """Whole messages, without setting \\Seen, in UID order."""
        if not uids:
            return
        data = self.guarded(self.client.fetch, list(uids), ["BODY.PEEK[]", "INTERNALDATE"])
        for uid in uids:
            item = data.get(uid)
            if item is None:
                continue  # expunged between SEARCH and FETCH: nothing to account for
            raw = item.get(b"BODY[]") or b""
            when = item.get(b"INTERNALDATE")
            received = _utc(when) if isinstance(when, datetime) else None
            source = f"{self.key};UIDVALIDITY={self.uidvalidity};UID={uid}"
            yield uid, RawMessage(bytes(raw), source, received)

    def mark(self, uids: Sequence[int]) -> None:
        """Tell people (and other tools) which messages are done: a keyword or a move."""
        if not uids:
            return
        s = self.settings
        if s.mark == "keyword":
            self.guarded(self.client.add_flags, list(uids), [s.keyword.encode()], True)
        elif s.mark == "move":
            assert s.move_to is not None
            self._move(uids, s.move_to)

    def hand_off(self, uids: Sequence[int], keyword: str | None, folder: str | None) -> None:
        """Show ops the emails that need review in their mail client: a keyword, a folder."""
        if not uids:
            return
        if keyword:
            self.guarded(self.client.add_flags, list(uids), [keyword.encode()], True)
        if folder:
            self._move(uids, folder)

    def take_back(self, keyword: str, folder: str, message_ids: Sequence[str]) -> int:
        """Remove the hand-off `keyword` from these messages in `folder`; how many had it.

        Found by Message-ID (with the keyword, so nothing else is touched), not by UID:
        a message moved to the review folder or a folder with a new UIDVALIDITY has
        another UID now. Ends with the configured folder selected again.
        """
        if not message_ids:
            return 0
        self.guarded(self.client.select_folder, folder)
        try:
            found: set[int] = set()
            for mid in message_ids:
                bare = mid.strip().strip("<>")
                if bare:
                    criteria = ["KEYWORD", keyword, "HEADER", "Message-ID", bare]
                    found.update(self.guarded(self.client.search, criteria))
            if found:
                self.guarded(self.client.remove_flags, sorted(found), [keyword.encode()], True)
            return len(found)
        finally:
            if folder != self.settings.folder and self._client is not None:
                self.refresh()

    def _move(self, uids: Sequence[int], folder: str) -> None:
        """MOVE where the server has it, else COPY, flag deleted and expunge just those."""
        self.ensure_folder(folder)
        if self.client.has_capability("MOVE"):
            self.guarded(self.client.move, list(uids), folder)
        else:
            self.guarded(self.client.copy, list(uids), folder)
            self.guarded(self.client.delete_messages, list(uids), True)
            self.guarded(self.client.uid_expunge, list(uids))

    def ensure_folder(self, name: str) -> None:
        if not self.guarded(self.client.folder_exists, name):
            self.guarded(self.client.create_folder, name)

    def supports_idle(self) -> bool:
        return bool(self.client.has_capability("IDLE"))

    def wait_for_mail(self, seconds: float, stop: Callable[[], bool]) -> bool:
        """IDLE until the server reports new mail, `seconds` pass, or `stop()` turns true.

        IDLE is ended and re-issued at least every `seconds` (at most 10 minutes, well inside
        the 29 minutes servers allow); ending it waits for the server's answer under the socket
        timeout, which is how a connection that died silently is noticed.
        """
        client = self.client
        self.guarded(client.idle)
        deadline = time.monotonic() + seconds
        news = False
        try:
            while not news and not stop() and time.monotonic() < deadline:
                responses = self.guarded(_idle_check, client, 1.0)
                news = any(len(r) > 1 and r[1] in (b"EXISTS", b"RECENT") for r in responses or ())
        finally:
            if self._client is not None:
                self.guarded(client.idle_done)
        return news


def _idle_check(client: IMAPClient, timeout: float) -> list[Any]:
    """IDLE responses that arrive within `timeout`; EOF and BYE are a dropped connection.

    imapclient's idle_check reads with a non-blocking socket, where "no more data" and "the
    server closed the connection" look alike, and it takes both for silence: a watcher whose
    server died kept polling a half-closed socket until the next IDLE renewal (up to 10
    minutes). Here a line is read only when the socket or a buffer holds something, in
    blocking mode, so EOF raises imaplib's abort at once (and the server's BYE does too).
    """
    imap = client._imap
    sock = client.socket()
    poller = select.poll()
    poller.register(sock.fileno(), select.POLLIN)
    responses: list[Any] = []
    wait = timeout
    while poller.poll(wait * 1000) or _buffered(imap.file, sock):
        line = imap._get_line()
        if line.startswith(b"* BYE"):
            raise IMAPClientAbortError(f"the server said {line[2:].decode(errors='replace')}")
        responses.append(_parse_untagged_response(line))
        wait = 0
    return responses


def _buffered(file: Any, sock: socket.socket) -> bool:
    """Whether bytes already read off the socket wait in imaplib's or TLS's buffers."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        return bool(file.peek(1))  # only the buffer: the socket itself has nothing to read
    except (BlockingIOError, ssl.SSLWantReadError):
        return False
    finally:
        sock.settimeout(timeout)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _said(exc: BaseException) -> str:
    text = str(exc)
    if text.startswith("b'") or text.startswith('b"'):
        text = text[2:-1]
    return text.strip() or type(exc).__name__


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, socket.timeout | TimeoutError):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


class ImapSource:
    """The configured folder as a Source. Its cursor, "uidvalidity:last_uid", is read only
    here: a changed UIDVALIDITY means old UIDs mean nothing now, so the folder is read again
    (the Message-IDs in the state keep every message from being written twice)."""

    def __init__(
        self, mailbox: Mailbox, review_keyword: str | None = None, review_folder: str | None = None
    ) -> None:
        self.mailbox = mailbox
        self.review_keyword = review_keyword  # hand-off of failed messages to ops
        self.review_folder = review_folder

    @property
    def key(self) -> str:
        return self.mailbox.key

    def pending(self, cursor: str | None, *, full: bool = False) -> Pending:
        mailbox = self.mailbox
        known = _parse_cursor(cursor)
        same_folder = known is not None and known[0] == mailbox.uidvalidity
        after = known[1] if same_folder and known is not None and not full else 0
        uids = mailbox.new_uids(after)
        if not uids:
            # Nothing new; a folder seen for the first time (or anew) still stores its cursor.
            first = [] if same_folder else [SourceBatch((), _cursor(mailbox.uidvalidity, after))]
            return Pending(iter(first), 0)
        return Pending(self._batches(uids), len(uids))

    def _batches(self, uids: list[int]) -> Iterator[SourceBatch]:
        size = self.mailbox.settings.batch_size
        for start in range(0, len(uids), size):
            chunk = uids[start : start + size]
            fetched = list(self.mailbox.fetch(chunk))
            yield SourceBatch(
                [m for _, m in fetched],
                _cursor(self.mailbox.uidvalidity, chunk[-1]),
                [uid for uid, _ in fetched],
            )

    def done(self, batch: SourceBatch, failed: Sequence[int]) -> None:
        uids = cast(Sequence[int], batch.handles)  # ours: the UIDs _batches put there
        handed = [uids[i] for i in failed]
        self.mailbox.hand_off(handed, self.review_keyword, self.review_folder)
        moved = set(handed) if self.review_folder else set()
        self.mailbox.mark([uid for uid in uids if uid not in moved])


def _cursor(uidvalidity: int, last_uid: int) -> str:
    return f"{uidvalidity}:{last_uid}"


def _parse_cursor(cursor: str | None) -> tuple[int, int] | None:
    if not cursor:
        return None
    uidvalidity, _, last_uid = cursor.partition(":")
    try:
        return int(uidvalidity), int(last_uid)
    except ValueError:
        return None  # not ours (or damaged): read the folder again, nothing is written twice


def take_back(settings: Settings, items: Iterable[Mapping[str, Any]]) -> str | None:
    """Remove `review.imap_keyword` from the messages of these review items, once they are
    handled (`reprocess` now parses them, `resolve` closes them), so ops' mail client stops
    listing them as waiting for review.

    Returns one sentence for the user, or None when there was nothing to do (no IMAP, the
    keyword turned off, items read from local files). Works without the server: when it
    cannot be reached the keyword stays, and the sentence says so.
    """
    imap, keyword = settings.imap, settings.review.imap_keyword
    if imap is None or not keyword:
        return None
    ids = [
        str(item["message_id"])
        for item in items
        if str(item.get("source") or "").startswith("imap://") and item.get("message_id")
    ]
    if not ids:
        return None
    folder = settings.review.imap_move_to or imap.folder
    try:
        with Mailbox(imap, read_secret(imap)) as mailbox:
            done = mailbox.take_back(keyword, folder, ids)
    except ImapError as exc:
        return (
            f"{keyword} stays on {len(ids)} message(s) in '{folder}': the server could not be "
            f"reached ({exc}); remove it in a mail client, or run this again later"
        )
    return f"removed {keyword} from {done} message(s) in '{folder}' on the server"
