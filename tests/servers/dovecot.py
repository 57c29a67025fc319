"""A throwaway, real Dovecot IMAP server on loopback for integration tests.

Why a real server: IMAP clients break on details that fakes get wrong (literals,
UIDVALIDITY changes, STARTTLS, dropped connections).  Dovecot is small, starts in
well under a second and is what many creators' mail providers run.

Each :class:`Dovecot` lives in its own temporary directory: generated config,
throwaway CA + server certificate, one passwd file per user, Maildir homes and
the log.  The master runs in the foreground (``dovecot -F``) as our child, in its
own process group, so stopping, pausing and cleaning up never touch any other
Dovecot on the machine.

    with Dovecot() as server:
        server.add_user("alice", "secret")
        uid = server.append("alice", "INBOX", raw_message)
        with server.client("alice") as imap:
            imap.select_folder("INBOX")

Written for Dovecot 2.3 (Debian 12 ships 2.3.19); the 2.4 config syntax differs.
"""

from __future__ import annotations

import base64
import contextlib
import ctypes
import grp
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from imapclient import IMAPClient

__all__ = [
    "Dovecot",
    "DovecotError",
    "DovecotNotInstalled",
    "dovecot_version",
    "find_executable",
    "missing_executables",
]

LOOPBACK = "127.0.0.1"
# Non-root PATHs usually lack the sbin dirs, where Debian puts the dovecot master.
_EXTRA_BIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin", "/usr/local/bin")
# Usernames become file names (passwd file, home dir), so keep them path-safe.
_USERNAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+@-]{0,99}$")
_APPENDUID_RE = re.compile(rb"APPENDUID \d+ ([0-9:,]+)")
# Unix socket paths under base_dir must stay below the kernel's 108-byte limit.
_MAX_PARENT_LEN = 48
_PR_SET_PDEATHSIG = 1
_EX_NOUSER = 68  # doveadm kick: the user had no connections


class DovecotError(RuntimeError):
    """Dovecot could not be started or did not do what the harness asked."""


class DovecotNotInstalled(DovecotError):
    """A required program is missing (the fixtures turn this into skip, or fail under CI)."""


def find_executable(name: str) -> str | None:
    """Locate *name* on PATH or in the sbin dirs, which a non-root PATH often lacks."""
    found = shutil.which(name)
    if found:
        return found
    for directory in _EXTRA_BIN_DIRS:
        candidate = os.path.join(directory, name)
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_executables() -> list[str]:
    """Programs the harness needs but cannot find; empty when the server can run."""
    return [name for name in ("dovecot", "doveadm", "openssl") if find_executable(name) is None]


def dovecot_version() -> str:
    """The installed version, e.g. ``2.3.19.1 (9b53102964)``, for reports and skips."""
    binary = _require("dovecot")
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def _require(name: str) -> str:
    path = find_executable(name)
    if path is None:
        raise DovecotNotInstalled(
            f"{name!r} not found; install it with: bash .ci/install-system-deps"
        )
    return path


@dataclass(frozen=True)
class _Identity:
    """Which OS accounts Dovecot's processes and the mail files use.

    As root, Dovecot refuses to run login/internal processes or mail access as
    root, so we use the accounts the Debian package creates (dovenull, dovecot)
    and nobody/nogroup for the mail files.  As an ordinary user everything runs
    as that user (Dovecot's "rootless" mode).
    """

    root: bool
    login_user: str
    internal_user: str
    internal_group: str
    mail_uid: int
    mail_gid: int

    @classmethod
    def detect(cls) -> _Identity:
        if os.geteuid() != 0:
            user = pwd.getpwuid(os.geteuid()).pw_name
            group = grp.getgrgid(os.getegid()).gr_name
            return cls(False, user, user, group, os.geteuid(), os.getegid())
        nobody = _first_user("nobody")
        return cls(
            root=True,
            login_user=_first_user("dovenull", "nobody").pw_name,
            internal_user=_first_user("dovecot", "nobody").pw_name,
            internal_group=_first_group("dovecot", "nogroup", "nobody"),
            mail_uid=nobody.pw_uid,
            mail_gid=grp.getgrnam(_first_group("nogroup", "nobody")).gr_gid,
        )


def _first_user(*names: str) -> pwd.struct_passwd:
    for name in names:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise DovecotError(f"none of the users {names} exist; Dovecot needs an unprivileged user")


def _first_group(*names: str) -> str:
    for name in names:
        with contextlib.suppress(KeyError):
            return grp.getgrnam(name).gr_name
    raise DovecotError(f"none of the groups {names} exist")


def _world_traversable(path: str) -> bool:
    """True when every ancestor lets other users in (dovenull/nobody must reach our files)."""
    current = Path(path).resolve()
    return all(os.stat(part).st_mode & 0o001 for part in (current, *current.parents))


def _workdir_parent() -> str:
    parent = tempfile.gettempdir()
    if len(parent) > _MAX_PARENT_LEN:
        return "/tmp"
    if os.geteuid() == 0 and not _world_traversable(parent):
        return "/tmp"
    return parent


def _free_ports(host: str, count: int) -> list[int]:
    """Ask the kernel for *count* distinct free ports (all held open until chosen)."""
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind((host, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _port_bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM dovecot if the test process dies.

    Without this a killed pytest (SIGKILL, OOM) would leave a master running.
    """
    with contextlib.suppress(Exception):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _proc_stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (state is [0], pgrp is [2])."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            data = stat.read()
    except OSError:
        return None
    return data[data.rindex(b")") + 2 :].decode().split()


def _live_group_members(pgid: int) -> set[int]:
    """PIDs of the non-zombie processes in process group *pgid* (Linux /proc)."""
    members: set[int] = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _proc_stat(int(entry))
            if fields and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
                members.add(int(entry))
    return members


def _process_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _terminate_group(proc: subprocess.Popen[bytes]) -> None:
    """Last-resort cleanup (garbage collection / interpreter exit)."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGCONT)
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)


def _make_certificates(directory: Path) -> tuple[Path, Path, Path]:
    """Create a throwaway CA and a server cert for 127.0.0.1/localhost.

    Uses the ``openssl`` CLI (a dependency of dovecot-core) so the tests need no
    extra Python package.  The extensions satisfy strict verifiers (Python 3.13's
    VERIFY_X509_STRICT): CA basicConstraints, SAN, AKI/SKI.
    Returns (ca_pem, server_cert_pem, server_key_pem).
    """
    openssl = _require("openssl")
    ca_key, ca_pem = directory / "ca.key", directory / "ca.pem"
    key, csr, cert = directory / "server.key", directory / "server.csr", directory / "server.pem"
    ext = directory / "server.ext"
    ext.write_text(
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n"
        "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
        "subjectKeyIdentifier = hash\n"
        "authorityKeyIdentifier = keyid:always\n"
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    commands = [
        [openssl, "req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(ca_pem),
         "-days", "30", "-subj", "/CN=sparkcodes test CA",
         "-addext", "basicConstraints = critical, CA:TRUE",
         "-addext", "keyUsage = critical, keyCertSign, cRLSign",
         "-addext", "subjectKeyIdentifier = hash"],
        [openssl, "req", "-new", *ec, "-keyout", str(key), "-out", str(csr),
         "-subj", "/CN=localhost"],
        [openssl, "x509", "-req", "-in", str(csr), "-CA", str(ca_pem), "-CAkey", str(ca_key),
         "-set_serial", f"0x{secrets.token_hex(8)}", "-days", "30",
         "-extfile", str(ext), "-out", str(cert)],
    ]  # fmt: skip
    for command in commands:
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise DovecotError(f"openssl failed: {' '.join(command)}\n{result.stderr}")
    for path in (ca_key, key):
        path.chmod(0o600)
    return ca_pem, cert, key


def _parse_uid_set(uid_set: bytes) -> list[int]:
    uids: list[int] = []
    for part in uid_set.split(b","):
        low, _, high = part.partition(b":")
        start, stop = int(low), int(high or low)
        uids.extend(range(min(start, stop), max(start, stop) + 1))
    return uids


def _appended_uids(response: Any) -> list[int]:
    """UIDs from an APPEND response's ``[APPENDUID validity uid-set]`` (RFC 4315)."""
    text = response if isinstance(response, bytes) else repr(response).encode()
    match = _APPENDUID_RE.search(text)
    if match is None:
        raise DovecotError(f"APPEND response without APPENDUID: {response!r}")
    return _parse_uid_set(match.group(1))


def _passwd_line(username: str, secret: str) -> str:
    # base64 so passwords may contain ':' or anything else the passwd-file format reserves.
    encoded = base64.b64encode(secret.encode()).decode()
    return f"{username}:{{PLAIN.B64}}{encoded}::::::\n"


def _write_atomic(path: Path, text: str, mode: int = 0o644) -> None:
    """Auth must never see a half-written passwd file."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    tmp.write_text(text)
    tmp.chmod(mode)
    os.replace(tmp, path)


class Dovecot:
    """One Dovecot instance: plain/STARTTLS port, implicit-TLS port, users, Maildirs.

    Ports are chosen once and kept across :meth:`restart`, so clients can
    reconnect to the same address the way they would after a real server restart.
    """

    def __init__(
        self,
        *,
        host: str = LOOPBACK,
        startup_timeout: float = 10.0,
        keep_workdir: bool = False,
        extra_config: str = "",
    ) -> None:
        """*keep_workdir* leaves the temp dir (config, log, Maildirs) behind for debugging.

        *extra_config* is appended to the generated dovecot.conf, for tests that
        need a server configured differently (later settings override earlier).
        """
        self._extra_config = extra_config
        self._host = host
        self._startup_timeout = startup_timeout
        self._keep_workdir = keep_workdir
        self._identity = _Identity.detect()
        self._dovecot_bin = _require("dovecot")
        self._doveadm_bin = _require("doveadm")
        self._workdir: Path | None = None
        self._ports: tuple[int, int] | None = None
        self._ca_file: Path | None = None
        self._cert: Path | None = None
        self._key: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._paused = False
        self._passwords: dict[str, str] = {}
        self.startup_seconds: float | None = None
        """How long the last start took until the IMAP greeting arrived."""

    # -- lifecycle -------------------------------------------------------------

    def __enter__(self) -> Dovecot:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<Dovecot {state} imap={self._host}:{self._ports} dir={self._workdir}>"

    @property
    def running(self) -> bool:
        """Whether the master process is alive (paused counts as running)."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Start the server and block until it sends an IMAP greeting.

        The first start creates the temp dir, certificates and ports; later
        starts (see :meth:`restart`) reuse them, so mail and users survive.
        """
        if self.running:
            raise DovecotError("Dovecot is already running")
        first_start = self._workdir is None
        if first_start:
            self._create_workdir()
        attempts = 3 if first_start else 1
        for attempt in range(attempts):
            if first_start and attempt:
                self._ports = None  # someone grabbed a port between choosing and binding
            try:
                self._start_once()
                return
            except DovecotError as error:
                if attempt + 1 == attempts or "Address already in use" not in str(error):
                    raise

    def stop(self) -> None:
        """Stop every Dovecot process; clients get ``* BYE`` and then EOF.

        Users, mail and ports are kept, so :meth:`start` brings the same server back.
        """
        proc = self._proc
        if proc is None:
            return
        if self._paused:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGCONT)
            self._paused = False
        self._shutdown(proc)
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        self._proc = None

    def restart(self) -> None:
        """Stop and start again on the same ports; live connections are dropped."""
        self.stop()
        self.start()

    def kill(self) -> None:
        """SIGKILL every Dovecot process at once, as a crash or ``kill -9`` would.

        Unlike :meth:`stop`, clients get no ``* BYE``: their sockets just reach EOF.
        :meth:`start` brings the same server back on the same ports.
        """
        proc = self._running_proc()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        self.stop()  # the bookkeeping; nothing is left to signal

    def close(self) -> None:
        """Stop and delete the temp dir (unless ``keep_workdir``)."""
        self.stop()
        if self._workdir is not None and not self._keep_workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    def pause(self) -> None:
        """Freeze every Dovecot process (SIGSTOP to the group) to simulate a hung server.

        The kernel still completes TCP handshakes on the listening sockets, so new
        connections "succeed" but never get a greeting, and live sessions stop
        answering - exactly what a client's timeouts must handle.
        """
        proc = self._running_proc()
        os.killpg(proc.pid, signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        """Undo :meth:`pause`; queued connections and commands are then served."""
        proc = self._running_proc()
        os.killpg(proc.pid, signal.SIGCONT)
        self._paused = False

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """``with server.paused(): ...`` - the server hangs inside the block."""
        self.pause()
        try:
            yield
        finally:
            self.resume()

    # -- addresses and files ---------------------------------------------------

    @property
    def host(self) -> str:
        """Address both listeners are bound to (loopback)."""
        return self._host

    @property
    def port(self) -> int:
        """Plain IMAP port; STARTTLS is offered and plaintext login allowed."""
        return self._started_ports()[0]

    @property
    def ssl_port(self) -> int:
        """Implicit-TLS (IMAPS) port."""
        return self._started_ports()[1]

    @property
    def ca_file(self) -> str:
        """PEM of the throwaway CA that signed the server cert (127.0.0.1 and localhost)."""
        if self._ca_file is None:
            raise DovecotError("server was never started")
        return str(self._ca_file)

    @property
    def workdir(self) -> Path:
        """The temp dir holding config, certs, passwd files, homes and the log."""
        if self._workdir is None:
            raise DovecotError("server was never started")
        return self._workdir

    @property
    def config_path(self) -> Path:
        """The generated dovecot.conf (usable with ``doveadm -c``/``doveconf -c``)."""
        return self.workdir / "dovecot.conf"

    @property
    def log_path(self) -> Path:
        """Dovecot's log file (all processes, info level and above)."""
        return self.workdir / "dovecot.log"

    @property
    def log(self) -> str:
        """The whole log so far, for debugging failed tests."""
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_tail(self, lines: int = 40) -> str:
        """The last *lines* of the log, after the tail of the master's stderr.

        Config errors go to stderr (before log_path is in effect), so both matter.
        """
        stderr_path = self.workdir / "dovecot.stderr"
        stderr = stderr_path.read_text(errors="replace") if stderr_path.exists() else ""
        parts = []
        if stderr.strip():
            parts.append("--- dovecot stderr ---\n" + "\n".join(stderr.splitlines()[-10:]))
        parts.append(f"--- {self.log_path} ---\n" + "\n".join(self.log.splitlines()[-lines:]))
        return "\n".join(parts)

    @property
    def pid(self) -> int:
        """PID of the master (also the process-group id of all Dovecot processes)."""
        return self._running_proc().pid

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts only our CA and checks the host name."""
        return ssl.create_default_context(cafile=self.ca_file)

    # -- users and clients ------------------------------------------------------

    def add_user(self, username: str, password: str, *, oauth2_token: str | None = None) -> None:
        """Create (or re-password) a mailbox user.

        One passwd file per user: Dovecot re-reads passwd files at most once a
        second, so a shared file would race with users added in quick succession.
        *oauth2_token* enables AUTHENTICATE XOAUTH2/OAUTHBEARER with that static
        token (checked like a password; no real OAuth2 provider is involved).
        Usernames are case-insensitive, as on most providers (Dovecot's
        default ``auth_username_format = %Lu``); files use the lowercase form.
        """
        if not _USERNAME_RE.match(username):
            raise ValueError(f"username {username!r} must match {_USERNAME_RE.pattern}")
        username = username.lower()
        workdir = self.workdir
        home = workdir / "home" / username
        home.mkdir(mode=0o700, exist_ok=True)
        os.chown(home, self._identity.mail_uid, self._identity.mail_gid)
        _write_atomic(workdir / "passwd" / username, _passwd_line(username, password))
        tokens = workdir / "tokens" / username
        if oauth2_token is not None:
            _write_atomic(tokens, _passwd_line(username, oauth2_token))
        else:
            tokens.unlink(missing_ok=True)
        self._passwords[username] = password

    def client(
        self,
        username: str,
        password: str | None = None,
        ssl: bool = False,
        *,
        starttls: bool = False,
        oauth2_token: str | None = None,
        timeout: float = 10.0,
    ) -> IMAPClient:
        """A logged-in IMAPClient (caller closes it, e.g. ``with server.client(u) as c``).

        ``ssl=True`` uses the IMAPS port, ``starttls=True`` upgrades the plain
        port; both verify the server against :attr:`ca_file`.  *password*
        defaults to the one given to :meth:`add_user`.  With *oauth2_token*
        the login is AUTHENTICATE XOAUTH2 instead of LOGIN; a password that is not
        ASCII goes by AUTHENTICATE PLAIN, which carries UTF-8.
        """
        if ssl and starttls:
            raise ValueError("use either ssl=True or starttls=True")
        port = self.ssl_port if ssl else self.port
        context = self.ssl_context() if ssl else None
        client = IMAPClient(self._host, port, ssl=ssl, ssl_context=context, timeout=timeout)
        try:
            if starttls:
                client.starttls(self.ssl_context())
            if oauth2_token is not None:
                client.oauth2_login(username, oauth2_token)
            elif (secret := self._password(username, password)).isascii():
                client.login(username, secret)
            else:  # LOGIN carries ASCII only; SASL PLAIN carries UTF-8
                client.plain_login(username, secret)
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        return client

    def kick(self, username: str) -> None:
        """Drop every live connection of *username* (``doveadm kick``).

        The user's imap processes exit, so a client's next command fails with
        ``imaplib.IMAP4.abort`` (EOF), like a provider terminating sessions.
        """
        self._doveadm("kick", username, ok_codes=(0, _EX_NOUSER))
        deadline = time.monotonic() + 5
        while self._doveadm("who", "-1", username).strip().count("\n") > 0:
            if time.monotonic() > deadline:
                raise DovecotError(f"connections of {username!r} survived doveadm kick")
            time.sleep(0.01)

    # -- mail --------------------------------------------------------------------

    def create_folder(self, username: str, folder: str, *, subscribe: bool = True) -> None:
        """Create *folder* ('/' separates levels, e.g. ``Spark Codes/2024``)."""
        with self.client(username) as imap:
            imap.create_folder(folder)
            if subscribe:
                imap.subscribe_folder(folder)

    def append(
        self,
        username: str,
        folder: str,
        raw: bytes,
        flags: Sequence[str | bytes] = (),
        msg_time: datetime | None = None,
    ) -> int:
        """Deliver one RFC 5322 message via IMAP APPEND; returns its UID.

        APPEND rather than writing Maildir files, so Dovecot's indexes stay
        consistent and the UID is known.  For many messages use :meth:`append_many`.
        """
        with self.client(username) as imap:
            response = imap.append(folder, raw, flags=tuple(flags), msg_time=msg_time)
        return _appended_uids(response)[0]

    def append_many(
        self,
        username: str,
        folder: str,
        messages: Iterable[bytes],
        flags: Sequence[str | bytes] = (),
        *,
        batch_size: int = 500,
    ) -> list[int]:
        """Deliver many messages over one connection; returns their UIDs in order.

        Uses MULTIAPPEND (RFC 3502) in batches: one Dovecot transaction per batch
        is ~10x faster than one APPEND per message.
        """
        uids: list[int] = []
        batch: list[dict[str, Any]] = []
        with self.client(username) as imap:

            def flush() -> None:
                if batch:
                    uids.extend(_appended_uids(imap.multiappend(folder, batch)))
                    batch.clear()

            for raw in messages:
                batch.append({"msg": raw, "flags": tuple(flags)})
                if len(batch) >= batch_size:
                    flush()
            flush()
        return uids

    def folder_status(self, username: str, folder: str) -> dict[str, int]:
        """MESSAGES, UIDNEXT, UIDVALIDITY and UNSEEN of *folder* via IMAP STATUS."""
        with self.client(username) as imap:
            status = imap.folder_status(folder, ["MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"])
        return {key.decode(): int(value) for key, value in status.items()}

    def uidvalidity(self, username: str, folder: str) -> int:
        """The folder's current UIDVALIDITY."""
        return self.folder_status(username, folder)["UIDVALIDITY"]

    def mailbox_path(self, username: str, folder: str) -> Path:
        """Directory of *folder* on disk (Maildir; INBOX is the Maildir root)."""
        return Path(self._doveadm("mailbox", "path", "-u", username, folder).strip())

    def reset_uidvalidity(self, username: str, folder: str, *, kick: bool = True) -> int:
        """Give *folder* a new UIDVALIDITY while keeping its messages; returns it.

        Simulates a server that rebuilt its index (a real-world reason clients
        must re-sync from scratch).  Deletes the folder's ``dovecot-uidlist``
        and index files plus the mailbox-list index, so Dovecot rescans the
        Maildir, assigns fresh UIDs and a new UIDVALIDITY.  *kick* first drops
        the user's sessions so no process writes the old state back; the
        result is verified and :class:`DovecotError` raised if it did not change.
        """
        before = self.folder_status(username, folder)
        if kick:
            self.kick(username)
        mail_dir = self.mailbox_path(username, folder)
        root = self.mailbox_path(username, "INBOX")
        for directory in {mail_dir, root}:
            for entry in directory.iterdir():
                name = entry.name
                stale_list_index = name.startswith("dovecot.list.index")
                stale_folder_state = directory == mail_dir and (
                    name == "dovecot-uidlist" or name.startswith("dovecot.index")
                )
                if entry.is_file() and (stale_list_index or stale_folder_state):
                    entry.unlink()
        after = self.folder_status(username, folder)
        if after["UIDVALIDITY"] == before["UIDVALIDITY"]:
            raise DovecotError(f"UIDVALIDITY of {folder!r} did not change: {after}")
        if after["MESSAGES"] != before["MESSAGES"]:
            raise DovecotError(f"{folder!r} lost messages: {before} -> {after}")
        return after["UIDVALIDITY"]

    # -- internals ---------------------------------------------------------------

    def _password(self, username: str, password: str | None) -> str:
        if password is not None:
            return password
        try:
            return self._passwords[username.lower()]
        except KeyError:
            raise DovecotError(f"unknown user {username!r}; call add_user first") from None

    def _running_proc(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            raise DovecotError("Dovecot is not running")
        return self._proc

    def _started_ports(self) -> tuple[int, int]:
        if self._ports is None:
            raise DovecotError("server was never started")
        return self._ports

    def _create_workdir(self) -> None:
        workdir = Path(tempfile.mkdtemp(prefix="dovecot-", dir=_workdir_parent()))
        # 0711: dovenull (login chroot) and nobody (mail) must traverse it as root.
        workdir.chmod(0o711)
        for name, mode in (("passwd", 0o755), ("tokens", 0o755), ("home", 0o755)):
            (workdir / name).mkdir(mode=mode)
        self._workdir = workdir
        self._ca_file, self._cert, self._key = _make_certificates(workdir)

    def _start_once(self) -> None:
        workdir = self.workdir
        restarting = self._ports is not None
        if self._ports is None:
            plain, tls = _free_ports(self._host, 2)
            self._ports = (plain, tls)
        else:
            self._wait_ports_free()
        # Stale sockets from a previous run would be connected to (and refused).
        shutil.rmtree(workdir / "run", ignore_errors=True)
        self.config_path.write_text(self._render_config())
        began = time.perf_counter()
        with open(workdir / "dovecot.stderr", "ab") as stderr:
            self._proc = subprocess.Popen(
                [self._dovecot_bin, "-F", "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=subprocess.STDOUT,
                cwd=workdir,
                start_new_session=True,  # own process group: pause/stop touch only ours
                preexec_fn=_die_with_parent,
            )
        self._finalizer = weakref.finalize(self, _terminate_group, self._proc)
        self._paused = False
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            if not restarting:
                self._ports = None
            raise
        self.startup_seconds = time.perf_counter() - began

    def _shutdown(self, proc: subprocess.Popen[bytes]) -> None:
        """Stop every process of the group, letting clients see ``* BYE``.

        A plain SIGTERM to the master is not enough: Dovecot 2.3's master leaves
        logged-in imap processes running (their clients would survive a
        "restart"), respawns pre-forked processes while others exit, and then
        idles ~1 s for its log process.  So: freeze the master (no respawns),
        SIGTERM every other process except the logger (imap sessions send BYE
        and exit), give stragglers 2 s before SIGKILL, then SIGKILL the master
        and the logger, which have nothing left to do.
        """
        master = proc.pid
        if proc.poll() is None:
            os.kill(master, signal.SIGSTOP)
        workers = {pid for pid in _live_group_members(master) if _process_name(pid) != "log"}
        workers.discard(master)
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 2
        while workers := workers & _live_group_members(master):
            if time.monotonic() > deadline:
                for pid in workers:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            time.sleep(0.002)
        time.sleep(0.01)  # let the logger drain the exited processes' last lines
        with contextlib.suppress(ProcessLookupError):
            os.killpg(master, signal.SIGKILL)
        proc.wait(timeout=10)

    def _wait_ports_free(self) -> None:
        """After a stop, exiting login processes may hold the listeners briefly."""
        host, ports = self._host, self._started_ports()
        deadline = time.monotonic() + 5
        while not all(_port_bindable(host, port) for port in ports):
            if time.monotonic() > deadline:
                raise DovecotError(f"ports {ports} still in use after stopping Dovecot")
            time.sleep(0.01)

    def _wait_ready(self) -> None:
        # Not _running_proc(): a bad config can make dovecot exit before the first look, and
        # that must be reported with its log, below.
        proc = self._proc
        if proc is None:
            raise DovecotError("Dovecot was not started")
        deadline = time.monotonic() + self._startup_timeout
        plain, tls = self._started_ports()
        while True:
            if proc.poll() is not None:
                raise DovecotError(
                    f"dovecot exited with status {proc.returncode} during startup; "
                    f"log tail:\n{self.log_tail()}"
                )
            if self._greeting_ok(plain) and self._accepts(tls):
                return
            if time.monotonic() > deadline:
                raise DovecotError(
                    f"no IMAP greeting on {self._host}:{plain} within "
                    f"{self._startup_timeout}s; log tail:\n{self.log_tail()}"
                )
            time.sleep(0.01)

    def _greeting_ok(self, port: int) -> bool:
        try:
            with socket.create_connection((self._host, port), timeout=1) as sock:
                data = b""
                while b"\n" not in data and len(data) < 4096:
                    chunk = sock.recv(4096)
                    if not chunk:
                        break
                    data += chunk
                return data.startswith(b"* OK")
        except OSError:
            return False

    def _accepts(self, port: int) -> bool:
        try:
            with socket.create_connection((self._host, port), timeout=1):
                return True
        except OSError:
            return False

    def _doveadm(self, *args: str, ok_codes: tuple[int, ...] = (0,)) -> str:
        command = [self._doveadm_bin, "-c", str(self.config_path), *args]
        result = subprocess.run(command, capture_output=True, text=True, timeout=30)
        if result.returncode not in ok_codes:
            raise DovecotError(
                f"{' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}"
            )
        return result.stdout

    def _render_config(self) -> str:
        workdir = self.workdir
        ident = self._identity
        plain, tls = self._started_ports()
        # Rootless: processes cannot chroot, so the login/anvil chroots must be off.
        no_chroot = "" if ident.root else "  chroot =\n"
        return f"""\
# Generated by tests/servers/dovecot.py for one test run. Not for production use.
instance_name = sparkcodes-test-{workdir.name}
base_dir = {workdir}/run
state_dir = {workdir}/state
log_path = {workdir}/dovecot.log
protocols = imap
listen = {self._host}
shutdown_clients = yes

ssl = yes
ssl_cert = <{self._cert}
ssl_key = <{self._key}
ssl_min_protocol = TLSv1.2
# Loopback tests log in over plain IMAP too (real providers would refuse).
disable_plaintext_auth = no
auth_mechanisms = plain login xoauth2 oauthbearer
# Fail wrong passwords fast (Dovecot still batches failures every ~0.5 s).
auth_failure_delay = 0
auth_cache_size = 0

default_login_user = {ident.login_user}
default_internal_user = {ident.internal_user}
default_internal_group = {ident.internal_group}
first_valid_uid = {ident.mail_uid}
first_valid_gid = {ident.mail_gid}

mail_location = maildir:~/Maildir
# Test mail is disposable: skipping fsync roughly doubles APPEND throughput.
mail_fsync = never
mail_max_userip_connections = 1000
namespace inbox {{
  inbox = yes
  separator = /
}}

# LOGIN / AUTHENTICATE PLAIN|LOGIN check the password file ...
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN {workdir}/passwd/%u
}}
# ... XOAUTH2 / OAUTHBEARER check a static per-user token like a password.
passdb {{
  driver = passwd-file
  mechanisms = xoauth2 oauthbearer
  args = scheme=PLAIN {workdir}/tokens/%u
}}
userdb {{
  driver = static
  args = uid={ident.mail_uid} gid={ident.mail_gid} home={workdir}/home/%u allow_all_users=yes
}}

service imap-login {{
  inet_listener imap {{
    address = {self._host}
    port = {plain}
  }}
  inet_listener imaps {{
    address = {self._host}
    port = {tls}
    ssl = yes
  }}
  # One long-lived login process instead of a fork per connection (faster connects).
  service_count = 0
  process_min_avail = 1
{no_chroot}}}
service imap {{
  # Pre-forked imap processes make LOGIN faster.
  process_min_avail = 4
}}
service anvil {{
  # No auth-penalty socket => no 2..15 s delays after failed logins in tests.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
{no_chroot}}}
service stats {{
  # imap processes run as the mail user and must reach the stats socket.
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
{self._extra_config}
"""
