"""Pacing for TikTok requests: evenly spaced, never more than N per sliding window.

TikTok's default tier allows 10 requests per second and 600 per minute per developer app, and
says so only by answering code 40100 (no headers, no Retry-After). How TikTok counts a
"second" is not documented, so this limiter assumes the strictest reading, a sliding window
measured where the request arrives:

- a token bucket of capacity 1 refilled at ``per_second``: requests leave evenly spaced
  (1/rate apart), never in a burst at a window's edge;
- a sliding-window log per limit (``per_second`` in 1 s, ``per_minute`` in 60 s): the k-th
  request is held until the request k places before it is ``window + margin`` old, so arrival
  jitter up to ``margin`` between client and server cannot put k+1 requests in one window.

At 10/s with the default 30 ms margin, 1,000 requests take about 103 s (the floor is 100 s).

Every caller of one ``RateLimiter`` shares it (threads included): ``acquire`` hands out the
next free send time under a lock and sleeps outside it, so waiting threads leave in order.
A general limiter library (pyrate-limiter, limits) answers "may I send now?" per window; what
is needed here is a reservation of evenly spaced send times with a jitter margin, which is
these forty lines.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """Thread-safe pacer: ``acquire()`` blocks until this caller may send one request."""

    def __init__(
        self,
        per_second: float = 10.0,
        per_minute: int | None = 600,
        *,
        margin: float = 0.03,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not per_second > 0:
            raise ValueError("max_requests_per_second must be greater than 0")
        if per_minute is not None and per_minute < 1:
            raise ValueError("requests per minute must be at least 1")
        if margin < 0:
            raise ValueError("margin must not be negative")
        self.per_second = per_second
        self.per_minute = per_minute
        self.interval = 1.0 / per_second
        self.margin = margin
        windows: list[tuple[int, float]] = []
        if per_second >= 1:
            windows.append((math.floor(per_second), 1.0))
        if per_minute is not None:
            windows.append((per_minute, 60.0))
        self._windows = windows
        self._sent: deque[list[float]] = deque(maxlen=max((n for n, _ in windows), default=1))
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()

    def reserve(self) -> float:
        """Book the next free send time and return it (on this limiter's clock)."""
        return self._book()[0]

    def _book(self) -> list[float]:
        with self._lock:
            now = self._clock()
            at = now
            if self._sent:
                at = max(at, self._sent[-1][0] + self.interval)
            for limit, window in self._windows:
                if len(self._sent) >= limit:
                    at = max(at, self._sent[-limit][0] + window + self.margin)
            slot = [at]
            self._sent.append(slot)
            return slot

    def acquire(self) -> float:
        """Wait for this caller's turn; return how long it waited, in seconds.

        A caller that wakes late (a busy machine) moves its slot to when it really left, so
        the windows of later bookings count from there.
        """
        slot = self._book()
        wait = slot[0] - self._clock()
        if wait > 0:
            self._sleep(wait)
        woke = self._clock()
        with self._lock:
            slot[0] = max(slot[0], woke)
        return max(wait, 0.0)

    def __repr__(self) -> str:
        return f"RateLimiter(per_second={self.per_second}, per_minute={self.per_minute})"
