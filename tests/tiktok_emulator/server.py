"""A local, stateful TikTok Business API v1.3 emulator for the Spark-code endpoints.

Usage::

    with TikTokEmulator() as emu:
        code = emu.add_code()                       # an active code, with '+' and '/'
        client = Client(emu.advertiser_id, emu.token, endpoint=emu.base_url)
        client.info(code.auth_code)

``emu.base_url`` (``http://127.0.0.1:<port>``) replaces ``https://business-api.tiktok.com``.
Endpoints (under ``/open_api/v1.3``): ``GET /tt_video/info/``, ``POST /tt_video/authorize/``,
``GET /tt_video/list/``, and ``POST /oauth2/access_token/`` (``issue_auth_code``). Like TikTok: every answer is HTTP 200 with ``code``, ``message``,
``request_id`` and ``data``; the ``Access-Token`` header is checked (40104 missing, 40105
unknown or revoked, 40102 expired); scopes 690 (info) and 691 (authorize, list) answer 40001
when missing; more than ``qps`` requests in any sliding second, or ``per_minute`` in any
sliding minute, answer 40100 (refused requests do not count). Injected faults (:meth:`inject`)
give HTTP 5xx, TikTok codes (50000, 50002, 60001, ...), slow answers, and answers lost after
the request took effect.

The query string is parsed the way a web server does (``+`` means a space): a client that
does not percent-encode a Spark code's ``+`` gets the code refused as malformed.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .state import (
    ACTIVE,
    ALREADY,
    FORMAT_ERROR,
    NOT_FOUND,
    WELL_FORMED,
    EmulatedCode,
    Json,
    spark_code,
)

__all__ = ["Fault", "RecordedRequest", "TikTokEmulator"]

PREFIX = "/open_api/v1.3"
INFO = "/tt_video/info/"
AUTHORIZE = "/tt_video/authorize/"
LIST = "/tt_video/list/"
OAUTH = "/oauth2/access_token/"
SCOPE = {INFO: 690, AUTHORIZE: 691, LIST: 691}
METHOD = {INFO: "GET", AUTHORIZE: "POST", LIST: "GET"}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it arrived. ``token_ok`` instead of the token itself."""

    at: float  # time.monotonic() on arrival
    method: str
    path: str  # without the /open_api/v1.3 prefix
    raw_query: str
    query: dict[str, list[str]]
    body: Any
    token_ok: bool
    code: int = -1  # the TikTok code answered (-1: HTTP error or none)


@dataclass
class Fault:
    """An injected failure for the next ``count`` matching requests; see ``inject``."""

    count: int
    path_contains: str | None = None
    code: int | None = None  # a TikTok error code in an HTTP 200 envelope
    message: str = ""
    http_status: int | None = None  # an HTTP error instead (e.g. 502 from a gateway)
    location: str | None = None  # with a 3xx http_status: where it redirects to
    delay: float = 0.0  # answer this much later (then normally, unless code/http set)
    after_apply: bool = False  # carry the request out, then answer with the fault
    hits: int = 0

    def matches(self, path: str) -> bool:
        return self.count > 0 and (self.path_contains is None or self.path_contains in path)


@dataclass
class _Token:
    scopes: set[int] = field(default_factory=lambda: {690, 691})
    revoked: bool = False
    expired: bool = False


@dataclass
class _Answer:
    status: int
    body: Any
    delay: float = 0.0
    location: str | None = None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    emulator: TikTokEmulator

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def close_connections(self) -> None:
        with self.connections_lock:
            for conn in self.connections:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            self.connections.clear()

    def handle_error(self, request: Any, client_address: Any) -> None:  # quiet
        pass


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _serve(self) -> None:
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        answer = self.server.emulator._handle(
            arrived, self.command, self.path, self.headers.get("Access-Token"), raw
        )
        if answer.delay:
            time.sleep(answer.delay)
        if isinstance(answer.body, bytes):
            payload, ctype = answer.body, "text/html; charset=UTF-8"
        else:
            payload, ctype = json.dumps(answer.body).encode(), "application/json"
        self.send_response(answer.status)
        self.send_header("Content-Type", ctype)
        if answer.location:
            self.send_header("Location", answer.location)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve


class TikTokEmulator:
    """The emulator, in a background thread. Every request and helper runs under one lock."""

    def __init__(
        self,
        *,
        advertiser_id: str = "7000000000000000001",
        token: str = "act.emulator-token-3f9c2b7e5d1a",
        qps: int = 10,
        per_minute: int = 600,
        seed: int = 0,
    ) -> None:
        self.advertiser_id = advertiser_id
        self.token = token
        self.qps = qps
        self.per_minute = per_minute
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._tokens: dict[str, _Token] = {token: _Token()}
        self._codes: dict[str, EmulatedCode] = {}
        self._account: list[str] = []  # auth codes whose posts are in the ad account, in order
        self._authorize_calls: dict[str, int] = {}
        self._authorize_applied: dict[str, int] = {}
        self._faults: list[Fault] = []
        self._log: list[RecordedRequest] = []
        self._accepted: deque[float] = deque()
        self.throttled: list[float] = []  # arrival times of requests refused with 40100
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        # The developer app and the consent redirect's auth codes (oauth2/access_token).
        self.app_id = "7100000000000000042"
        self.app_secret = "emulator-app-secret-9d2c"
        self._auth_codes: dict[str, bool] = {}  # auth code -> already exchanged

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> TikTokEmulator:
        if self._server is None:
            server = _Server(("127.0.0.1", 0), _Handler)
            server.emulator = self
            self._server = server
            self._thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.01},
                name="tiktok-emulator",
                daemon=True,
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> TikTokEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running; use start() or a with-block")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # ------------------------------------------------------------------ seeding

    def new_item_id(self) -> str:
        with self._lock:
            return str(self._rng.randrange(7_300_000_000_000_000_000, 7_499_999_999_999_999_999))

    def add_code(
        self,
        state: str = ACTIVE,
        *,
        auth_code: str | None = None,
        item_id: str | None = None,
        **fields: Any,
    ) -> EmulatedCode:
        """A code TikTok knows, in ``state`` (see ``state.STATES``); extra fields as in
        ``EmulatedCode`` (``auth_end``, ``tiktok_name``, ``iso_times``, ``ad_auth_status``...)."""
        with self._lock:
            code = EmulatedCode(
                auth_code=auth_code or spark_code(self._rng),
                item_id=item_id or self.new_item_id(),
                state=state,
                **fields,
            )
            self._codes[code.auth_code] = code
            return code

    def unknown_code(self) -> str:
        """A well-formed code TikTok has never issued."""
        with self._lock:
            return spark_code(self._rng)

    def set_state(self, auth_code: str, state: str) -> None:
        """Change a code's state later (a creator deleting the video, an expiry)."""
        with self._lock:
            self._codes[auth_code].state = state

    def add_to_account(self, auth_code: str) -> None:
        """Seed the ad account with a post added earlier (by Ads Manager, say)."""
        with self._lock:
            if auth_code not in self._account:
                self._account.append(auth_code)

    # ------------------------------------------------------------------ tokens and faults

    def issue_auth_code(self) -> str:
        """An auth code as the consent redirect carries it: exchanged once for ``token``."""
        with self._lock:
            code = f"{self._rng.getrandbits(160):040x}"
            self._auth_codes[code] = False
            return code

    def revoke_token(self, token: str | None = None) -> None:
        with self._lock:
            self._tokens[token or self.token].revoked = True

    def expire_token(self, token: str | None = None) -> None:
        with self._lock:
            self._tokens[token or self.token].expired = True

    def set_scopes(self, scopes: Collection[int], token: str | None = None) -> None:
        with self._lock:
            self._tokens[token or self.token].scopes = set(scopes)

    def inject(
        self,
        *,
        code: int | None = None,
        http_status: int | None = None,
        delay: float = 0.0,
        count: int = 1,
        path_contains: str | None = None,
        message: str | None = None,
        after_apply: bool = False,
        location: str | None = None,
    ) -> Fault:
        """Make the next ``count`` requests matching ``path_contains`` (e.g. ``"authorize"``)
        fail: with TikTok ``code`` (50000, 50002, 60001, 40100...) in an HTTP 200 envelope,
        with HTTP ``http_status`` (an HTML gateway page; a 3xx redirects to ``location``), or
        just ``delay`` seconds late.
        ``after_apply`` carries the request out first and loses its answer."""
        default = {
            50000: "System error",
            50002: "Service is busy, please try again later",
            60001: "The system is under maintenance",
            40100: "Too many requests",
        }
        fault = Fault(
            count=count,
            path_contains=path_contains,
            code=code,
            message=message if message is not None else default.get(code or 0, "Injected failure"),
            http_status=http_status,
            location=location,
            delay=delay,
            after_apply=after_apply,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    # ------------------------------------------------------------------ inspection

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._log)

    def count(self, path_contains: str = "") -> int:
        with self._lock:
            return sum(1 for r in self._log if path_contains in r.path)

    def authorize_calls(self, auth_code: str) -> int:
        """POSTs to authorize for this code that got past the token and rate checks."""
        with self._lock:
            return self._authorize_calls.get(auth_code, 0)

    def authorize_applied(self, auth_code: str) -> int:
        """Times the post was actually added (exactly-once means this is 0 or 1)."""
        with self._lock:
            return self._authorize_applied.get(auth_code, 0)

    def in_account(self, auth_code: str) -> bool:
        with self._lock:
            return auth_code in self._account

    # ------------------------------------------------------------------ request handling

    def _envelope(self, code: int, message: str, data: Json | None = None) -> _Answer:
        request_id = f"{self._rng.getrandbits(128):032x}"
        return _Answer(
            200,
            {
                "code": code,
                "message": message,
                "request_id": request_id,
                "data": data if data is not None else {},
            },
        )

    def _handle(
        self, arrived: float, method: str, raw_path: str, token: str | None, raw: bytes
    ) -> _Answer:
        parts = urlsplit(raw_path)
        path = parts.path[len(PREFIX) :] if parts.path.startswith(PREFIX) else parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        with self._lock:
            answer = self._dispatch(arrived, method, path, query, token, body)
            code = answer.body.get("code", -1) if isinstance(answer.body, dict) else -1
            self._log.append(
                RecordedRequest(
                    arrived, method, path, parts.query, query, body, token == self.token, code
                )
            )
            return answer

    def _dispatch(
        self,
        arrived: float,
        method: str,
        path: str,
        query: dict[str, list[str]],
        token: str | None,
        body: Any,
    ) -> _Answer:
        if path == OAUTH and method == "POST":
            return self._exchange(body)
        if path not in METHOD:
            return _Answer(404, b"<html><body>404 Not Found</body></html>")
        if METHOD[path] != method:
            return self._envelope(40002, f"method {method} is not allowed for {path}")
        # App-level QPS: a sliding second and a sliding minute; refused requests do not count.
        while self._accepted and self._accepted[0] <= arrived - 60.0:
            self._accepted.popleft()
        last_second = sum(1 for t in self._accepted if t > arrived - 1.0)
        if last_second >= self.qps or len(self._accepted) >= self.per_minute:
            self.throttled.append(arrived)
            return self._envelope(40100, "Too many requests. Please retry in some time.")
        self._accepted.append(arrived)
        fault = next((f for f in self._faults if f.matches(path)), None)
        if fault is not None:
            fault.count -= 1
            fault.hits += 1
            if not fault.after_apply and (fault.code is not None or fault.http_status is not None):
                return self._fault_answer(fault)
        answer = self._authorized(method, path, query, token, body)
        if fault is not None:
            return self._fault_answer(fault, answer)
        return answer

    def _fault_answer(self, fault: Fault, normal: _Answer | None = None) -> _Answer:
        if fault.http_status is not None:
            page = f"<html><body>{fault.http_status} Bad Gateway</body></html>".encode()
            return _Answer(fault.http_status, page, fault.delay, fault.location)
        if fault.code is not None:
            answer = self._envelope(fault.code, fault.message)
            answer.delay = fault.delay
            return answer
        answer = normal if normal is not None else _Answer(200, None)
        answer.delay = fault.delay
        return answer

    def _authorized(
        self, method: str, path: str, query: dict[str, list[str]], token: str | None, body: Any
    ) -> _Answer:
        if not token:
            return self._envelope(40104, "Access token is null, please check it.")
        state = self._tokens.get(token)
        if state is None or state.revoked:
            return self._envelope(40105, "Access token is incorrect or has been revoked.")
        if state.expired:
            return self._envelope(40102, "Access token has expired.")
        if SCOPE[path] not in state.scopes:
            return self._envelope(
                40001, f"advertiser does not grant you {path}:{method} permission"
            )
        params = {k: v[0] for k, v in query.items()} if method == "GET" else (body or {})
        if not isinstance(params, dict):
            return self._envelope(40002, "Invalid JSON body")
        advertiser = str(params.get("advertiser_id") or "")
        if not advertiser:
            return self._envelope(40002, "advertiser_id: Missing data for required field.")
        if advertiser != self.advertiser_id:
            return self._envelope(40001, f"No permission to operate advertiser {advertiser}")
        if path == INFO:
            return self._info(str(params.get("auth_code") or ""))
        if path == AUTHORIZE:
            return self._authorize(str(params.get("auth_code") or ""))
        return self._list(params)

    def _exchange(self, body: Any) -> _Answer:
        """POST /oauth2/access_token/ {app_id, secret, auth_code}: no Access-Token header."""
        if not isinstance(body, dict):
            return self._envelope(40002, "Invalid JSON body")
        if str(body.get("app_id") or "") != self.app_id or body.get("secret") != self.app_secret:
            return self._envelope(40001, "app_id or secret is invalid")
        code = str(body.get("auth_code") or "")
        if self._auth_codes.get(code) is not False:
            return self._envelope(40002, "auth_code is invalid or has been used")
        self._auth_codes[code] = True
        return self._envelope(
            0,
            "OK",
            {
                "access_token": self.token,
                "advertiser_ids": [self.advertiser_id],
                "scope": sorted(self._tokens[self.token].scopes),
            },
        )

    def _lookup(self, auth_code: str) -> EmulatedCode | _Answer:
        if not auth_code:
            return self._envelope(40002, "auth_code: Missing data for required field.")
        if not WELL_FORMED.match(auth_code):
            return self._envelope(*FORMAT_ERROR)
        code = self._codes.get(auth_code)
        return code if code is not None else self._envelope(*NOT_FOUND)

    def _info(self, auth_code: str) -> _Answer:
        code = self._lookup(auth_code)
        if isinstance(code, _Answer):
            return code
        refusal = code.refusal()
        if refusal is not None:
            return self._envelope(*refusal)
        return self._envelope(0, "OK", code.info())

    def _authorize(self, auth_code: str) -> _Answer:
        if auth_code:
            self._authorize_calls[auth_code] = self._authorize_calls.get(auth_code, 0) + 1
        code = self._lookup(auth_code)
        if isinstance(code, _Answer):
            return code
        refusal = code.authorize_refusal()
        if refusal is not None:
            return self._envelope(*refusal)
        if auth_code in self._account:
            return self._envelope(*ALREADY)
        self._account.append(auth_code)
        self._authorize_applied[auth_code] = self._authorize_applied.get(auth_code, 0) + 1
        return self._envelope(0, "OK", {})

    def _list(self, params: dict[str, Any]) -> _Answer:
        try:
            page = int(params.get("page") or 1)
            size = int(params.get("page_size") or 20)
        except ValueError:
            return self._envelope(40002, "page: Not a valid integer.")
        if page < 1 or not 1 <= size <= 50:
            return self._envelope(40002, "page_size: Must be between 1 and 50.")
        keyword = str(params.get("keyword") or "")
        posts = [self._codes[c] for c in self._account if c in self._codes]
        if keyword.isdigit() and len(keyword) >= 19:
            posts = [p for p in posts if p.item_id == keyword]
        elif keyword:
            posts = [p for p in posts if keyword in p.text]
        total_page = max(1, -(-len(posts) // size))
        chunk = posts[(page - 1) * size : page * size]
        return self._envelope(
            0,
            "OK",
            {
                "list": [p.info() for p in chunk],
                "page_info": {
                    "page": page,
                    "page_size": size,
                    "total_number": len(posts),
                    "total_page": total_page,
                },
            },
        )
