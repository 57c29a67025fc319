"""Check many codes with ``/tt_video/info/`` at the rate limit, a few requests in flight.

One request at a time would cap a run at 1/latency requests per second (about 3/s against
TikTok from far away), so a small thread pool shares the client's limiter: the limiter sets
the pace, the threads only hide the latency.

A temporary failure of one code (rate or server errors that outlasted the retries) makes that
code ``unverified`` and the run goes on; a run-wide error (token, scope, advertiser, endpoint)
stops the pool and is raised to the caller, who still writes what the emails gave.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime

from .answers import Unchecked
from .client import Client
from .errors import TransientException
from .verdicts import Verdict, judge

__all__ = ["CodeToCheck", "verify_codes"]


@dataclass(frozen=True, slots=True)
class CodeToCheck:
    spark_code: str
    video_id: str | None = None


def _utcnow() -> datetime:
    return datetime.now(UTC)


# Codes in a row that outlasted their retries before the rest of a batch is left unchecked:
# during an outage each costs its full backoff (about 7 s), so 1,000 codes would hold the
# run, and the rows the sinks are waiting for, for half an hour.
GIVE_UP_AFTER = 8


def verify_one(client: Client, item: CodeToCheck, now: Callable[[], datetime] = _utcnow) -> Verdict:
    """The verdict on one code; run-wide (terminal) errors propagate."""
    return _verify_one(client, item, now)[0]


def _verify_one(
    client: Client, item: CodeToCheck, now: Callable[[], datetime]
) -> tuple[Verdict, bool]:
    """The verdict, and whether it is a temporary failure that outlasted the retries."""
    try:
        answer = client.info(item.spark_code)
    except TransientException as exc:
        return judge(Unchecked(str(exc)), item.video_id, now()), True
    return judge(answer, item.video_id, now()), False


def verify_codes(
    client: Client,
    items: Iterable[CodeToCheck],
    *,
    workers: int = 4,
    now: Callable[[], datetime] = _utcnow,
    give_up_after: int = GIVE_UP_AFTER,
) -> Iterator[tuple[CodeToCheck, Verdict]]:
    """Yield ``(item, verdict)`` as answers come back (not in input order).

    Raises the first terminal error (``TokenError``, ``MissingScope``, ...) after cancelling
    what has not started; verdicts yielded before it stay valid. After ``give_up_after``
    temporary failures in a row (an outage), the codes not yet asked are yielded unverified
    without a request.
    """
    pending = list(items)
    if not pending:
        return
    failed_in_a_row = 0
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="tiktok") as pool:
        futures: dict[Future[tuple[Verdict, bool]], CodeToCheck] = {
            pool.submit(_verify_one, client, item, now): item for item in pending
        }
        remaining = set(futures)
        try:
            while remaining:
                done, remaining = wait(remaining, return_when=FIRST_COMPLETED)
                errors = [f.exception() for f in done if f.exception() is not None]
                for future in done:
                    if future.exception() is None:
                        verdict, failed = future.result()
                        failed_in_a_row = failed_in_a_row + 1 if failed else 0
                        yield futures[future], verdict
                if errors:
                    raise errors[0]  # type: ignore[misc]
                if failed_in_a_row >= give_up_after > 0:
                    skipped = {f for f in remaining if f.cancel()}
                    remaining -= skipped
                    reason = (
                        f"not checked: TikTok failed {failed_in_a_row} codes in a row; "
                        "the next run tries again"
                    )
                    for future in skipped:
                        item = futures[future]
                        yield item, judge(Unchecked(reason), item.video_id, now())
        finally:
            for future in remaining:
                future.cancel()
