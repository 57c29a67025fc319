"""What can stop a TikTok check, split the house way: retry later vs needs a person.

A per-code refusal (unknown, deleted, malformed or expired code) is not an exception: it is
a verdict on that code (see ``verdicts.py``). Exceptions here are about the run as a whole.

``TransientException`` and ``TerminalException`` are markers mixed into concrete classes (the
dlt pattern), so a caller decides retry-or-stop by ``isinstance`` in one place; the concrete
classes also subclass a standard exception (ConnectionError, PermissionError) so code that
knows nothing of TikTok still handles them sensibly. The two markers are aliases of the
house's own (``config/errors.py``), so the CLI and ``watch`` treat TikTok errors like any other.

Messages never carry the access token: they are built from TikTok's ``code``, ``message`` and
``request_id`` and from the endpoint path, and the client scrubs the token from any text it
did not write itself (``client.Client._scrub``).
"""

from __future__ import annotations

from config.errors import TerminalError, TransientError

__all__ = [
    "AdvertiserError",
    "ApiUnavailable",
    "EndpointError",
    "MissingScope",
    "RateLimited",
    "TerminalException",
    "TikTokError",
    "TokenError",
    "TransientException",
]


# Marker: the same call may succeed later unchanged (network, quota, maintenance).
TransientException = TransientError
# Marker: retrying cannot help; a person has to change something first.
TerminalException = TerminalError


class TikTokError(Exception):
    """A TikTok Business API call failed for the whole run, not for one code.

    ``code``, ``tiktok_message`` and ``request_id`` are TikTok's own (0 / "" when the failure
    happened before TikTok answered, e.g. a network error).
    """

    def __init__(
        self, sentence: str, *, code: int = 0, tiktok_message: str = "", request_id: str = ""
    ) -> None:
        super().__init__(sentence)
        self.code = code
        self.tiktok_message = tiktok_message
        self.request_id = request_id

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r}, code={self.code})"


class RateLimited(TikTokError, ConnectionError, TransientException):
    """Codes 40100/40016 (app rate limit) or 40133 (advertiser QPS) outlasted every retry."""


class ApiUnavailable(TikTokError, ConnectionError, TransientException):
    """Network failure, HTTP 5xx, or TikTok codes 50000/50002/60001 outlasted every retry.

    ``maybe_applied`` is True when a non-idempotent request (authorize) may have reached
    TikTok and taken effect although no answer came back.
    """

    maybe_applied: bool = False


class EndpointError(TikTokError, ConnectionError, TerminalException):
    """The endpoint answered, but not as TikTok's API does (HTTP 3xx/4xx): a wrong base URL."""


class TokenError(TikTokError, PermissionError, TerminalException):
    """Codes 40102/40104/40105: the access token is expired, missing or revoked."""


class MissingScope(TikTokError, PermissionError, TerminalException):
    """Code 40001: the token lacks a permission scope (690 for info, 691 for authorize/list)."""

    def __init__(
        self,
        sentence: str,
        *,
        scope: int,
        code: int = 40001,
        tiktok_message: str = "",
        request_id: str = "",
    ) -> None:
        super().__init__(sentence, code=code, tiktok_message=tiktok_message, request_id=request_id)
        self.scope = scope


class AdvertiserError(TikTokError, ValueError, TerminalException):
    """TikTok refused the advertiser_id itself (a config mistake, not a bad Spark code)."""
