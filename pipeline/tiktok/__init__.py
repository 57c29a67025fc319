"""TikTok Business API: check Spark codes (``/tt_video/info/``) and add good posts to the ad
account (``/tt_video/authorize/``, ``/tt_video/list/``). Standalone pieces the run wires in:

- ``client.Client``: the three endpoints, envelopes, retries, the token kept out of all text;
- ``ratelimit.RateLimiter``: evenly spaced requests under 10/s and 600/min, shared per run;
- ``verdicts.judge``: answer + linked video + now -> ``Verdict`` (pure);
- ``verify.verify_codes``: many codes at the rate limit, a few in flight;
- ``authorize.authorize_one``/``authorize_codes``: exactly-once authorize via a journal;
- ``errors``: run-wide failures, transient vs terminal;
- ``enricher.TikTokCheck``: the run's enricher and ``verify``'s engine (verdicts onto rows,
  review items, screenshot candidates, authorize through the state's journal);
- ``access``: the access token from the config, and ``tiktok-token``'s auth-code exchange.
"""

from .answers import PostInfo, PostPage, Refusal, Unchecked, parse_time
from .authorize import (
    AuthorizeJournal,
    AuthorizeOutcome,
    MemoryJournal,
    authorize_codes,
    authorize_one,
)
from .client import DEFAULT_ENDPOINT, Client, RetryPolicy
from .errors import (
    AdvertiserError,
    ApiUnavailable,
    EndpointError,
    MissingScope,
    RateLimited,
    TerminalException,
    TikTokError,
    TokenError,
    TransientException,
)
from .ratelimit import RateLimiter
from .verdicts import TikTokStatus, Verdict, judge
from .verify import CodeToCheck, verify_codes, verify_one

__all__ = [
    "DEFAULT_ENDPOINT",
    "AdvertiserError",
    "ApiUnavailable",
    "AuthorizeJournal",
    "AuthorizeOutcome",
    "Client",
    "CodeToCheck",
    "EndpointError",
    "MemoryJournal",
    "MissingScope",
    "PostInfo",
    "PostPage",
    "RateLimited",
    "RateLimiter",
    "Refusal",
    "RetryPolicy",
    "TerminalException",
    "TikTokError",
    "TikTokStatus",
    "TokenError",
    "TransientException",
    "Unchecked",
    "Verdict",
    "authorize_codes",
    "authorize_one",
    "judge",
    "parse_time",
    "verify_codes",
    "verify_one",
]
