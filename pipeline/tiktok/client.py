"""A small client for the three TikTok Business API v1.3 endpoints Spark codes need.

``GET /tt_video/info/`` (is this code good?), ``POST /tt_video/authorize/`` (add the post to
the ad account) and ``GET /tt_video/list/`` (posts already in it). Every answer is HTTP 200
with ``{"code", "message", "request_id", "data"}``; the ``code`` decides:

- 0: success;
- 40100, 40016, 40133 (rate limits): wait ``RetryPolicy.rate_wait`` and retry, up to
  ``rate_attempts`` times, then :class:`RateLimited`;
- 50000, 50002, 60001 and any other code >= 50000, HTTP 5xx/429, network errors, answers that
  are not JSON: retry with capped exponential backoff, up to ``attempts`` times, then
  :class:`ApiUnavailable` (the code stays ``unverified``; the next run retries);
- 40102, 40104, 40105: :class:`TokenError` ("get a new token");
- 40001: :class:`MissingScope` naming scope 690 (info) or 691 (authorize, list);
- a parameter error about the advertiser itself: :class:`AdvertiserError`;
- any other code: a :class:`Refusal` of that one Spark code (returned, not raised).

``authorize`` is not idempotent, so it retries only what surely did not reach TikTok (rate
refusals, connections never opened); anything else raises ``ApiUnavailable`` with
``maybe_applied = True`` and the caller looks the post up (see ``authorize.py``).

Every request first waits for the shared :class:`RateLimiter`. The access token travels only
in the ``Access-Token`` header, never in a URL, an exception, a repr or a log record;
redirects are not followed (``requests`` would resend a custom header to any host).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type

from .answers import PostInfo, PostPage, Refusal
from .errors import (
    AdvertiserError,
    ApiUnavailable,
    EndpointError,
    MissingScope,
    RateLimited,
    TokenError,
)
from .ratelimit import RateLimiter

__all__ = [
    "DEFAULT_ENDPOINT",
    "RATE_LIMIT_CODES",
    "SERVER_ERROR_CODES",
    "TOKEN_ERROR_CODES",
    "Client",
    "RetryPolicy",
]

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://business-api.tiktok.com"
API_PREFIX = "/open_api/v1.3"
INFO_PATH = "/tt_video/info/"
AUTHORIZE_PATH = "/tt_video/authorize/"
LIST_PATH = "/tt_video/list/"

RATE_LIMIT_CODES = frozenset({40100, 40016, 40133})
SERVER_ERROR_CODES = frozenset({50000, 50002, 60001})
TOKEN_ERROR_CODES = frozenset({40102, 40104, 40105})
MISSING_SCOPE_CODE = 40001
# Scopes TikTok asks for, per endpoint (TIKTOK_API.md: 690 info; 691 authorize, list, unbind).
SCOPES = {INFO_PATH: 690, AUTHORIZE_PATH: 691, LIST_PATH: 691}


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long to keep trying. Defaults: a rate refusal waits a second (the limit is per
    second), up to 30 times; a server error backs off 0.5, 1, 2, 4 s (jittered, capped at
    ``max_backoff``) over 5 attempts in all."""

    attempts: int = 5
    backoff: float = 0.5
    max_backoff: float = 8.0
    rate_attempts: int = 30
    rate_wait: float = 1.0
    timeout: float = 30.0


class _Retry(Exception):
    """Internal: one failed attempt worth another try."""

    def __init__(
        self,
        sentence: str,
        *,
        rate: bool,
        code: int = 0,
        message: str = "",
        request_id: str = "",
        sent: bool = True,
    ) -> None:
        super().__init__(sentence)
        self.rate = rate
        self.code = code
        self.message = message
        self.request_id = request_id
        self.sent = sent  # False: the request surely never reached TikTok


@dataclass(frozen=True, slots=True)
class _Envelope:
    code: int
    message: str
    request_id: str
    data: Any


class Client:
    """One advertiser's view of the TikTok Business API; share one per run (and its limiter).

    Thread-safe: each thread gets its own ``requests.Session``; the limiter is shared.
    """

    def __init__(
        self,
        advertiser_id: str,
        access_token: str,
        *,
        endpoint: str | None = None,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        advertiser_id = str(advertiser_id).strip()
        if not advertiser_id:
            raise ValueError("the TikTok advertiser_id is empty")
        token = access_token.strip() if isinstance(access_token, str) else ""
        if not token:
            raise ValueError("the TikTok access token is empty")
        if not all(33 <= ord(ch) <= 126 for ch in token):
            # Checked here, not by the HTTP library: its error would be "a bug" to the user.
            raise ValueError(
                "the TikTok access token contains spaces, control characters or characters "
                "outside ASCII (a smart quote, a pasted symbol?); copy the token again"
            )
        self.advertiser_id = advertiser_id
        self.__token = token
        # A base URL copied from TikTok's docs may carry the API prefix the client appends.
        self.endpoint = (endpoint or DEFAULT_ENDPOINT).rstrip("/").removesuffix(API_PREFIX)
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            # Not an outage to retry next run: nothing could ever be sent there.
            raise EndpointError(
                f"the TikTok endpoint {self.endpoint!r} is not an http:// or https:// URL; "
                "check tiktok.endpoint or SPARKCODES_TIKTOK_ENDPOINT"
            )
        self.limiter = limiter if limiter is not None else RateLimiter()
        self.retry = retry if retry is not None else RetryPolicy()
        self._sleep = sleep
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"Client(advertiser_id={self.advertiser_id!r}, endpoint={self.endpoint!r})"

    # ------------------------------------------------------------------ endpoints

    def info(self, auth_code: str) -> PostInfo | Refusal:
        """TikTok's facts about one Spark code, or its refusal of the code."""
        env = self._call("GET", INFO_PATH, params={"auth_code": auth_code}, idempotent=True)
        if env.code != 0:
            return Refusal(env.code, env.message, env.request_id)
        return PostInfo.from_data(env.data, env.request_id)

    def authorize(self, auth_code: str) -> Refusal | None:
        """Add the code's post to the ad account: ``None`` when TikTok accepted it.

        Raises ``ApiUnavailable`` (``maybe_applied`` set when the request may have landed).
        """
        env = self._call(
            "POST",
            AUTHORIZE_PATH,
            json_body={"auth_code": auth_code},
            idempotent=False,
        )
        return Refusal(env.code, env.message, env.request_id) if env.code != 0 else None

    def list_posts(
        self, *, keyword: str | None = None, page: int = 1, page_size: int = 50
    ) -> PostPage | Refusal:
        """One page of the posts already in the ad account (``page`` from 1, size 1-50)."""
        params: dict[str, str] = {"page": str(page), "page_size": str(max(1, min(page_size, 50)))}
        if keyword:
            params["keyword"] = keyword
        env = self._call("GET", LIST_PATH, params=params, idempotent=True)
        if env.code != 0:
            return Refusal(env.code, env.message, env.request_id)
        data = env.data if isinstance(env.data, Mapping) else {}
        raw = data.get("list")
        posts = tuple(
            PostInfo.from_data(entry, env.request_id)
            for entry in (raw if isinstance(raw, list) else [])
        )
        info = data.get("page_info")
        info = info if isinstance(info, Mapping) else {}
        return PostPage(
            posts=posts,
            page=_int(info.get("page"), page),
            total_page=_int(info.get("total_page"), 1),
            total_number=_int(info.get("total_number"), len(posts)),
        )

    def iter_posts(self, *, keyword: str | None = None, max_pages: int = 100) -> Iterator[PostInfo]:
        """Every post in the ad account (or matching ``keyword``), page after page."""
        page = 1
        while page <= max_pages:
            answer = self.list_posts(keyword=keyword, page=page)
            if isinstance(answer, Refusal):
                raise ApiUnavailable(
                    f"TikTok refused to list the ad account's posts ({answer.detail})",
                    code=answer.code,
                    tiktok_message=answer.message,
                    request_id=answer.request_id,
                )
            yield from answer.posts
            if page >= answer.total_page or not answer.posts:
                return
            page += 1

    def find_post(self, item_id: str = "", auth_code: str = "") -> PostInfo | None:
        """The post already in the ad account with this item id (or Spark code), if any.

        With an item id of 19+ digits TikTok's ``keyword`` matches it exactly; otherwise
        every page is read.
        """
        keyword = item_id if item_id.isdigit() and len(item_id) >= 19 else None
        for post in self.iter_posts(keyword=keyword):
            if item_id and post.item_id == item_id:
                return post
            if auth_code and post.auth_code == auth_code:
                return post
        return None

    def check(self) -> None:
        """One read-only request that proves the token, its scope 690 and the advertiser.

        Raises the run-wide errors; a refusal of the probe code itself is the expected
        answer (the probe is not a real Spark code).
        """
        self._call("GET", INFO_PATH, params={"auth_code": "#sparkcodes-check"}, idempotent=True)

    def close(self) -> None:
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._local = threading.local()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.trust_env = True
            self._local.session = session
            with self._sessions_lock:
                self._sessions.append(session)
        return session

    def _scrub(self, text: str) -> str:
        """Any text not written here (library errors, TikTok's messages) minus the token."""
        return text.replace(self.__token, "[access token]")

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json_body: Mapping[str, str] | None = None,
        idempotent: bool,
    ) -> _Envelope:
        policy = self.retry
        failures = {"rate": 0, "server": 0}

        def stop(state: RetryCallState) -> bool:
            exc = state.outcome.exception() if state.outcome else None
            if not isinstance(exc, _Retry):
                return True
            if exc.rate:
                return failures["rate"] >= policy.rate_attempts
            if not idempotent and exc.sent:
                return True
            return failures["server"] >= policy.attempts

        def wait(state: RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, _Retry) and exc.rate:
                return policy.rate_wait
            step: float = policy.backoff * 2.0 ** max(failures["server"] - 1, 0)
            return min(policy.max_backoff, step) * random.uniform(0.8, 1.2)

        def attempt() -> _Envelope:
            try:
                return self._once(method, path, params, json_body)
            except _Retry as exc:
                failures["rate" if exc.rate else "server"] += 1
                log.debug("TikTok %s %s: %s (will retry if allowed)", method, path, exc)
                raise

        retrying = Retrying(
            retry=retry_if_exception_type(_Retry),
            stop=stop,
            wait=wait,
            sleep=self._sleep,
            reraise=True,
        )
        try:
            env = retrying(attempt)
        except _Retry as exc:
            last = exc
        else:
            return self._classify(env, path)
        return self._raise_exhausted(last, method, path, idempotent)

    def _raise_exhausted(self, last: _Retry, method: str, path: str, idempotent: bool) -> _Envelope:
        if last.rate:
            raise RateLimited(
                f"TikTok kept refusing {path} for rate ({last}); try again later",
                code=last.code,
                tiktok_message=last.message,
                request_id=last.request_id,
            )
        error = ApiUnavailable(
            f"TikTok is not answering {path} ({last}); the next run tries again",
            code=last.code,
            tiktok_message=last.message,
            request_id=last.request_id,
        )
        error.maybe_applied = not idempotent and last.sent
        raise error

    def _once(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        json_body: Mapping[str, str] | None,
    ) -> _Envelope:
        url = f"{self.endpoint}{API_PREFIX}{path}"
        query = {"advertiser_id": self.advertiser_id, **(params or {})} if method == "GET" else None
        body = {"advertiser_id": self.advertiser_id, **(json_body or {})} if json_body else None
        self.limiter.acquire()
        with self._sessions_lock:
            self.requests_sent += 1
        problem: str | None = None
        sent = True
        try:
            response = self._session().request(
                method,
                url,
                params=query,
                json=body,
                headers={"Access-Token": self.__token, "Accept": "application/json"},
                timeout=self.retry.timeout,
                allow_redirects=False,
            )
        except requests.exceptions.ConnectTimeout:
            problem, sent = "connection timed out", False
        except requests.exceptions.Timeout:
            problem = "no answer in time"
        except requests.exceptions.ConnectionError as exc:
            sent = not _never_connected(exc)
            problem = f"network error: {type(exc).__name__}"
        except requests.exceptions.RequestException as exc:
            # Build the sentence from the type only: the library's text may carry the URL.
            problem = f"request failed: {type(exc).__name__}"
        if problem is not None:
            # Raised outside the except blocks: no __context__ holding the library's request.
            raise _Retry(problem, rate=False, sent=sent)
        return self._read(response, path)

    def _read(self, response: requests.Response, path: str) -> _Envelope:
        status = response.status_code
        try:
            if status == 429:
                raise _Retry("HTTP 429", rate=True)
            if status >= 500:
                raise _Retry(f"HTTP {status}", rate=False)
            if status != 200:
                raise EndpointError(
                    f"the TikTok endpoint answered HTTP {status} to {path}, not TikTok's API; "
                    "check tiktok.endpoint"
                )
            try:
                payload = response.json()
            except ValueError:
                payload = None
        finally:
            response.close()
        if not isinstance(payload, Mapping) or not isinstance(payload.get("code"), int):
            raise _Retry("an answer that is not TikTok's JSON envelope", rate=False)
        code = int(payload["code"])
        message = self._scrub(str(payload.get("message") or ""))
        request_id = str(payload.get("request_id") or "")
        log.debug("TikTok %s: code %s, request_id %s", path, code, request_id)
        if code in RATE_LIMIT_CODES:
            raise _Retry(
                f"{code}: {message}", rate=True, code=code, message=message, request_id=request_id
            )
        if code in SERVER_ERROR_CODES or code >= 50000:
            raise _Retry(
                f"{code}: {message}", rate=False, code=code, message=message, request_id=request_id
            )
        return _Envelope(code, message, request_id, payload.get("data"))

    def _classify(self, env: _Envelope, path: str) -> _Envelope:
        code, message, rid = env.code, env.message, env.request_id
        if code in TOKEN_ERROR_CODES:
            raise TokenError(
                f"TikTok refused the access token ({code}: {message}); get a new token",
                code=code,
                tiktok_message=message,
                request_id=rid,
            )
        lowered = message.lower()
        about_scope = any(word in lowered for word in ("grant", "scope", "/tt_video/"))
        if code == MISSING_SCOPE_CODE and (about_scope or "advertiser" not in lowered):
            scope = SCOPES.get(path, 690)
            raise MissingScope(
                f"the access token lacks TikTok permission scope {scope} for {path} "
                f"({code}: {message}); grant it to the developer app and have the advertiser "
                "authorize the app again",
                scope=scope,
                tiktok_message=message,
                request_id=rid,
            )
        names_advertiser = "advertiser_id" in lowered or self.advertiser_id in message
        # A refusal that is about the code and merely names the advertiser ("auth_code does
        # not belong to advertiser ...") rejects that code; stopping the run would leave it
        # unverified and stop every later run the same way.
        about_code = path != LIST_PATH and any(w in lowered for w in ("auth_code", "auth code"))
        if code == MISSING_SCOPE_CODE or (code != 0 and names_advertiser and not about_code):
            raise AdvertiserError(
                f"TikTok refused advertiser_id {self.advertiser_id} ({code}: {message}); "
                "check tiktok.advertiser_id and that this advertiser authorized the app",
                code=code,
                tiktok_message=message,
                request_id=rid,
            )
        return env


def _never_connected(exc: requests.exceptions.ConnectionError) -> bool:
    """True when no byte of the request can have reached the server (refused, DNS)."""
    seen: set[int] = set()
    cur: BaseException | None = exc
    while cur is not None and id(cur) not in seen:
        seen.add(id(cur))
        name = type(cur).__name__
        if name in {"NewConnectionError", "NameResolutionError", "ConnectionRefusedError"}:
            return True
        reason = getattr(cur, "reason", None)
        nxt = reason if isinstance(reason, BaseException) else None
        if nxt is None and cur.args and isinstance(cur.args[0], BaseException):
            nxt = cur.args[0]
        cur = nxt or cur.__cause__ or cur.__context__
    return False


def _int(value: object, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return default
