"""The one error rule: every error a person can act on is a `SparkcodesError` carrying one marker.

`TransientError`: the same step may succeed later unchanged (a network drop, a quota, a server
restart); `sparkcodes run` says "(temporary; the next run will retry)" and `watch` reconnects.
`TerminalError`: a person must change something first (credentials, a path, the config).
Both exit 2 ("could not run"); the marker only decides the hint and whether `watch` retries.

Modelled on dlt's TransientException/TerminalException mixins. It lives in `config` because
that is the package every other layer (sources, sinks, pipeline) may already import. Concrete
errors also subclass the standard exception they are (ConnectionError, PermissionError, OSError,
ValueError), as imapclient's do, so callers that know only the standard library still catch them.
"""

from __future__ import annotations

__all__ = ["SparkcodesError", "TerminalError", "TransientError", "is_transient"]


class SparkcodesError(Exception):
    """Base of every expected error: shown as one sentence, never a traceback."""


class TransientError(SparkcodesError):
    """Marker: a retry later may succeed unchanged."""


class TerminalError(SparkcodesError):
    """Marker: needs a person; retrying unchanged cannot help."""


def is_transient(exc: BaseException) -> bool:
    """True for an error that says a later retry may succeed."""
    return isinstance(exc, TransientError)
