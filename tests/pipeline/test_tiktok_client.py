"""The TikTok client, verdicts, limiter and authorize protocol, against the local emulator."""

from __future__ import annotations

import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.tiktok import (
    AdvertiserError,
    ApiUnavailable,
    Client,
    CodeToCheck,
    EndpointError,
    MemoryJournal,
    MissingScope,
    PostInfo,
    RateLimited,
    RateLimiter,
    Refusal,
    RetryPolicy,
    TerminalException,
    TikTokStatus,
    TokenError,
    TransientException,
    Unchecked,
    authorize_one,
    judge,
    parse_time,
    verify_codes,
    verify_one,
)
from pipeline.tiktok.authorize import ADDED, ATTEMPTED, authorize_codes
from tests.tiktok_emulator.server import TikTokEmulator
from tests.tiktok_emulator.state import (
    CODE_DELETED,
    EXPIRED,
    VIDEO_DELETED,
    VIDEO_PRIVATE,
    VIDEO_UNDER_REVIEW,
)


@pytest.fixture
def emu() -> Iterator[TikTokEmulator]:
    """A running TikTok emulator holding no codes."""
    with TikTokEmulator() as running:
        yield running


NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
FAST = RetryPolicy(
    attempts=4, backoff=0.01, max_backoff=0.05, rate_attempts=40, rate_wait=0.2, timeout=5
)


def client_for(emu: TikTokEmulator, **kwargs: Any) -> Client:
    kwargs.setdefault("retry", FAST)
    kwargs.setdefault("limiter", RateLimiter(per_second=emu.qps))
    return Client(emu.advertiser_id, emu.token, endpoint=emu.base_url, **kwargs)


def post(item_id: str = "7351234567890123456", **auth: str) -> PostInfo:
    data = {
        "auth_info": {
            "ad_auth_status": "AUTHORIZED",
            "auth_end_time": "2026-06-23 07:09:07",
            **auth,
        },
        "item_info": {"item_id": item_id, "status": "HESITATE_RECOMMEND", "auth_code": "#x"},
        "user_info": {"tiktok_name": "mia"},
    }
    return PostInfo.from_data(data)


def with_item_status(status: str) -> PostInfo:
    base = post()
    return PostInfo(**{**{f: getattr(base, f) for f in base.__slots__}, "item_status": status})  # type: ignore[attr-defined]


# ---------------------------------------------------------------- verdicts (pure)


def test_active_code_for_the_linked_video() -> None:
    verdict = judge(post(), "7351234567890123456", NOW)
    assert verdict.tiktok_status is TikTokStatus.ACTIVE
    assert verdict.tiktok_detail == ""
    assert verdict.tiktok_item_id == "7351234567890123456"
    assert verdict.tiktok_name == "mia"
    assert verdict.auth_end_time == datetime(2026, 6, 23, 7, 9, 7, tzinfo=UTC)
    assert verdict.checked_at == NOW


def test_no_linked_video_cannot_be_the_wrong_video() -> None:
    assert judge(post(), None, NOW).tiktok_status is TikTokStatus.ACTIVE


def test_wrong_video() -> None:
    verdict = judge(post("7351234567890123456"), "7000000000000000042", NOW)
    assert verdict.tiktok_status is TikTokStatus.WRONG_VIDEO
    assert (
        "7351234567890123456" in verdict.tiktok_detail
        and "7000000000000000042" in verdict.tiktok_detail
    )


def test_expired_by_status_and_by_end_time_in_both_formats() -> None:
    assert judge(post(ad_auth_status="EXPIRED"), None, NOW).tiktok_status is TikTokStatus.EXPIRED
    past_iso = post(auth_end_time="2026-05-31T23:59:59Z")
    assert past_iso.auth_end_time == datetime(2026, 5, 31, 23, 59, 59, tzinfo=UTC)
    assert judge(past_iso, None, NOW).tiktok_status is TikTokStatus.EXPIRED
    # an expired code for the wrong video is expired first: nothing else matters then
    assert (
        judge(post(ad_auth_status="EXPIRED"), "7000000000000000042", NOW).tiktok_status
        is TikTokStatus.EXPIRED
    )


@pytest.mark.parametrize(
    "status",
    [
        "USER_DELETE",
        "AUDIT_DELETE",
        "ONLY_AUTHOR_SEE",
        "ONLY_FRIEND_SEE",
        "REVIEW_PENDING",
        "ITEM_STATUS_USER_DELETE",
    ],
)
def test_post_unavailable(status: str) -> None:
    verdict = judge(with_item_status(status), None, NOW)
    assert verdict.tiktok_status is TikTokStatus.VIDEO_UNAVAILABLE
    assert status in verdict.tiktok_detail


def test_an_undocumented_post_status_counts_as_available_and_is_kept() -> None:
    verdict = judge(with_item_status("ITEM_STATUS_HESITATE_RECOMMEND"), None, NOW)
    assert verdict.tiktok_status is TikTokStatus.ACTIVE
    assert verdict.item_status == "ITEM_STATUS_HESITATE_RECOMMEND"


def test_undocumented_or_cancelled_authorization_status() -> None:
    odd = judge(post(ad_auth_status="AUTHORIZING"), None, NOW)
    assert odd.tiktok_status is TikTokStatus.UNVERIFIED and "AUTHORIZING" in odd.tiktok_detail
    assert judge(post(ad_auth_status="CANCELLED"), None, NOW).tiktok_status is TikTokStatus.REJECTED


@pytest.mark.parametrize(
    ("message", "status"),
    [
        (
            "auth_code_not_found: the auth code does not exist or has been deleted",
            TikTokStatus.REJECTED,
        ),
        ("auth_code_format_error: auth_code is invalid", TikTokStatus.REJECTED),
        ("Invalid auth code.", TikTokStatus.REJECTED),
        ("auth_code_expired", TikTokStatus.EXPIRED),
        ("The video has been deleted by the creator.", TikTokStatus.VIDEO_UNAVAILABLE),
        ("", TikTokStatus.REJECTED),
    ],
)
def test_refusals_are_verdicts_with_tiktoks_code_and_message(
    message: str, status: TikTokStatus
) -> None:
    verdict = judge(Refusal(40002, message, "rid"), "7351234567890123456", NOW)
    assert verdict.tiktok_status is status
    assert verdict.tiktok_detail.startswith("40002")
    assert message in verdict.tiktok_detail
    assert verdict.checked_at == NOW


def test_not_checked_and_temporary_failure_are_unverified() -> None:
    assert judge(None, None, NOW).tiktok_status is TikTokStatus.UNVERIFIED
    verdict = judge(Unchecked("TikTok is not answering"), None, NOW)
    assert verdict.tiktok_status is TikTokStatus.UNVERIFIED
    assert verdict.checked_at is None and verdict.tiktok_detail == "TikTok is not answering"


def test_times() -> None:
    assert parse_time("2026-05-24 07:09:07") == datetime(2026, 5, 24, 7, 9, 7, tzinfo=UTC)
    assert parse_time("2026-05-24T07:09:07Z") == datetime(2026, 5, 24, 7, 9, 7, tzinfo=UTC)
    assert parse_time("2026-05-24T09:09:07+02:00") == datetime(2026, 5, 24, 7, 9, 7, tzinfo=UTC)
    assert parse_time(1779606547) == datetime(2026, 5, 24, 7, 9, 7, tzinfo=UTC)
    assert parse_time("soon") is None and parse_time(None) is None and parse_time(True) is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=15), inner, max_size=4)
    ),
    max_leaves=12,
)
keys = st.sampled_from(["auth_info", "item_info", "user_info", "video_info", "x"])
fields = st.sampled_from(
    ["ad_auth_status", "auth_end_time", "item_id", "status", "tiktok_name", "auth_code"]
)


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(
        json_values,
        st.dictionaries(keys, st.dictionaries(fields, json_values, max_size=6), max_size=4),
    ),
    linked=st.none() | st.text(max_size=20),
)
def test_any_answer_gives_a_verdict_never_an_exception(data: object, linked: str | None) -> None:
    verdict = judge(PostInfo.from_data(data), linked, NOW)
    assert verdict.tiktok_status in set(TikTokStatus)


@settings(max_examples=200, deadline=None)
@given(code=st.integers(), message=st.text(max_size=120))
def test_any_refusal_is_a_refusal_verdict_with_its_code(code: int, message: str) -> None:
    verdict = judge(Refusal(code, message), "7351234567890123456", NOW)
    assert verdict.tiktok_status in {
        TikTokStatus.REJECTED,
        TikTokStatus.EXPIRED,
        TikTokStatus.VIDEO_UNAVAILABLE,
    }
    assert verdict.tiktok_detail.startswith(str(code))


# ---------------------------------------------------------------- rate limiter (fake clock)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now += seconds


def test_limiter_spaces_requests_evenly_with_a_margin_per_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, 600, margin=0.03, clock=clock, sleep=clock.sleep)
    times = [limiter.reserve() for _ in range(31)]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) == pytest.approx(0.1)
    assert not any(g < 0.1 - 1e-9 for g in gaps)
    for i in range(len(times) - 10):  # never 11 sends within a second plus the margin
        assert times[i + 10] - times[i] >= 1.03 - 1e-9
    assert times[-1] == pytest.approx(3 * 1.03)


def test_limiter_minute_window_binds_when_the_second_rate_is_higher() -> None:
    clock = FakeClock()
    limiter = RateLimiter(50, 600, margin=0.0, clock=clock, sleep=clock.sleep)
    times = [limiter.reserve() for _ in range(1201)]
    assert times[599] == pytest.approx(599 * 0.02 + 599 // 50 * 0.0, abs=0.5)
    for i in range(len(times) - 600):
        assert times[i + 600] - times[i] >= 60.0 - 1e-9


def test_limiter_acquire_sleeps_until_the_booked_time() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4, None, margin=0.0, clock=clock, sleep=clock.sleep)
    waits = [limiter.acquire() for _ in range(5)]
    assert waits[0] == 0 and all(w == pytest.approx(0.25) for w in waits[1:])
    assert clock.now == pytest.approx(1.0)


def test_a_caller_that_wakes_late_moves_the_windows_of_later_bookings() -> None:
    clock = FakeClock()

    def late_sleep(seconds: float) -> None:
        clock.sleep(seconds + 0.05)  # a busy machine wakes the thread late

    limiter = RateLimiter(10, None, margin=0.0, clock=clock, sleep=late_sleep)
    assert limiter.reserve() == 0.0  # another thread's slot
    limiter.acquire()  # booked for 0.1, left at 0.15
    assert clock.now == pytest.approx(0.15)
    later = [limiter.reserve() for _ in range(10)]
    assert later[0] == pytest.approx(0.25)
    assert later[-1] >= 0.15 + 1.0 - 1e-9  # ten after the late one: a full second after it


def test_limiter_below_one_a_second_and_bad_settings() -> None:
    clock = FakeClock()
    limiter = RateLimiter(0.5, None, clock=clock, sleep=clock.sleep)
    assert [limiter.reserve() for _ in range(3)] == [0.0, 2.0, 4.0]
    with pytest.raises(ValueError, match="greater than 0"):
        RateLimiter(0)


def test_limiter_is_shared_by_threads_without_double_booking() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, 600, margin=0.0, clock=clock, sleep=lambda s: None)
    booked: list[float] = []
    lock = threading.Lock()

    def book() -> None:
        for _ in range(50):
            at = limiter.reserve()
            with lock:
                booked.append(at)

    threads = [threading.Thread(target=book) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    booked.sort()
    assert len(set(booked)) == 200
    assert all(b - a >= 0.1 - 1e-9 for a, b in itertools.pairwise(booked))


# ---------------------------------------------------------------- client against the emulator


@pytest.mark.parametrize(
    ("state", "linked_same", "expected"),
    [
        ("active", True, TikTokStatus.ACTIVE),
        (EXPIRED, True, TikTokStatus.EXPIRED),
        (VIDEO_DELETED, True, TikTokStatus.VIDEO_UNAVAILABLE),
        (VIDEO_PRIVATE, True, TikTokStatus.VIDEO_UNAVAILABLE),
        (VIDEO_UNDER_REVIEW, True, TikTokStatus.VIDEO_UNAVAILABLE),
        (CODE_DELETED, True, TikTokStatus.REJECTED),
        ("active", False, TikTokStatus.WRONG_VIDEO),
    ],
)
def test_every_status_end_to_end(
    emu: TikTokEmulator, state: str, linked_same: bool, expected: TikTokStatus
) -> None:
    end = datetime.now(UTC) + (timedelta(days=-2) if state == EXPIRED else timedelta(days=20))
    code = emu.add_code(state, auth_end=end.replace(microsecond=0), tiktok_name="mia")
    linked = code.item_id if linked_same else emu.new_item_id()
    with client_for(emu) as client:
        verdict = verify_one(client, CodeToCheck(code.auth_code, linked))
    assert verdict.tiktok_status is expected
    if expected is not TikTokStatus.REJECTED:
        assert verdict.tiktok_item_id == code.item_id
        assert verdict.auth_end_time == end.replace(microsecond=0)
    else:
        assert verdict.tiktok_detail.startswith("40007")


def test_unknown_and_malformed_codes_are_rejected(emu: TikTokEmulator) -> None:
    with client_for(emu) as client:
        unknown = verify_one(client, CodeToCheck(emu.unknown_code()))
        malformed = verify_one(client, CodeToCheck("#abc"))
    assert unknown.tiktok_status is TikTokStatus.REJECTED
    assert malformed.tiktok_status is TikTokStatus.REJECTED and "40002" in malformed.tiktok_detail


def test_iso_times_and_codes_with_plus_slash_and_equals_are_encoded(
    emu: TikTokEmulator,
) -> None:
    code = emu.add_code(auth_code="#ab+cd/ef+gh/ij+kl/mn+op/qr+st/uv+wx==", iso_times=True)
    with client_for(emu) as client:
        answer = client.info(code.auth_code)
    assert isinstance(answer, PostInfo) and answer.auth_code == code.auth_code
    raw = emu.requests[-1].raw_query
    assert "auth_code=%23ab%2Bcd%2Fef" in raw and raw.endswith("%3D%3D")
    assert answer.auth_end_time == code.auth_end.replace(microsecond=0)


def test_throttling_is_survived(emu: TikTokEmulator) -> None:
    codes = [emu.add_code() for _ in range(25)]
    # A client pacing itself far above TikTok's limit: 40100 answers, waits, retries.
    with client_for(emu, limiter=RateLimiter(200, None, margin=0)) as client:
        verdicts = list(
            verify_codes(client, [CodeToCheck(c.auth_code, c.item_id) for c in codes], workers=4)
        )
    assert len(verdicts) == 25
    assert {v.tiktok_status for _, v in verdicts} == {TikTokStatus.ACTIVE}
    assert emu.throttled, "the test must actually hit the limit"


def test_the_default_pace_is_not_throttled(emu: TikTokEmulator) -> None:
    codes = [emu.add_code() for _ in range(25)]
    with client_for(emu) as client:
        list(verify_codes(client, [CodeToCheck(c.auth_code) for c in codes], workers=4))
    assert emu.throttled == []


def test_server_errors_are_retried(emu: TikTokEmulator) -> None:
    code = emu.add_code()
    emu.inject(http_status=502, path_contains="info")
    emu.inject(code=50000, path_contains="info")
    emu.inject(code=60001, path_contains="info")
    with client_for(emu) as client:
        assert isinstance(client.info(code.auth_code), PostInfo)
    assert emu.count("info") == 4


def test_an_http_429_from_a_gateway_counts_as_a_rate_refusal(emu: TikTokEmulator) -> None:
    code = emu.add_code()
    emu.inject(http_status=429, path_contains="info")
    policy = RetryPolicy(attempts=1, rate_attempts=2, rate_wait=0.01, backoff=0.01)
    with client_for(emu, retry=policy) as client:
        assert isinstance(client.info(code.auth_code), PostInfo)
    assert emu.count("info") == 2


def test_server_errors_that_last_leave_the_code_unverified(emu: TikTokEmulator) -> None:
    code = emu.add_code()
    emu.inject(code=50002, count=10, path_contains="info")
    with client_for(emu) as client:
        with pytest.raises(ApiUnavailable) as caught:
            client.info(code.auth_code)
        assert isinstance(caught.value, TransientException) and isinstance(
            caught.value, ConnectionError
        )
        assert caught.value.code == 50002
        verdict = verify_one(client, CodeToCheck(code.auth_code))
    assert verdict.tiktok_status is TikTokStatus.UNVERIFIED and "50002" in verdict.tiktok_detail
    assert emu.count("info") == 2 * FAST.attempts


def test_rate_refusals_that_last_raise_rate_limited(emu: TikTokEmulator) -> None:
    emu.inject(code=40133, count=100, message="Advertiser QPS limit")
    policy = RetryPolicy(attempts=2, rate_attempts=3, rate_wait=0.01, backoff=0.01)
    with client_for(emu, retry=policy) as client, pytest.raises(RateLimited):
        client.info(emu.unknown_code())
    assert emu.count("info") == 3


def test_a_slow_answer_times_out_and_is_retried(emu: TikTokEmulator) -> None:
    code = emu.add_code()
    emu.inject(delay=1.0, path_contains="info")
    policy = RetryPolicy(attempts=3, backoff=0.01, timeout=0.3)
    with client_for(emu, retry=policy) as client:
        assert isinstance(client.info(code.auth_code), PostInfo)
    assert emu.count("info") == 2


@pytest.mark.parametrize("break_it", ["revoke", "expire"])
def test_token_errors_are_terminal_and_say_get_a_new_token(
    emu: TikTokEmulator, break_it: str
) -> None:
    getattr(emu, f"{break_it}_token")()
    with client_for(emu) as client, pytest.raises(TokenError) as caught:
        client.info(emu.unknown_code())
    assert isinstance(caught.value, TerminalException) and isinstance(caught.value, PermissionError)
    assert "get a new token" in str(caught.value)
    assert caught.value.code == (40105 if break_it == "revoke" else 40102)


def test_a_wrong_token_is_terminal_and_absent_from_everything(
    emu: TikTokEmulator,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "act.d3adb33fSECRETtoken0000000000000000"
    caplog.set_level(logging.DEBUG)
    client = Client(emu.advertiser_id, secret, endpoint=emu.base_url, retry=FAST)
    with pytest.raises(TokenError) as caught:
        client.info(emu.unknown_code())
    texts = [
        str(caught.value),
        repr(caught.value),
        "".join(traceback.format_exception(caught.value)),
        repr(client),
        caplog.text,
        *capsys.readouterr(),
    ]
    assert caught.value.code == 40105
    assert all(secret not in text for text in texts)


def test_the_token_never_leaks_from_network_errors(
    caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "act.NETWORKsecret99999999999999999"
    caplog.set_level(logging.DEBUG)
    with TikTokEmulator() as emu:
        dead = emu.base_url  # a port nobody listens on once the emulator stops
    client = Client("7000000000000000001", secret, endpoint=dead, retry=FAST)
    with pytest.raises(ApiUnavailable) as caught:
        client.info("#abc+def/ghi=")
    error = caught.value
    assert error.__cause__ is None and error.__context__ is None
    texts = [
        str(error),
        repr(error),
        "".join(traceback.format_exception(error)),
        caplog.text,
        *capsys.readouterr(),
    ]
    assert all(secret not in text for text in texts)


def test_an_authorize_that_never_connected_is_known_not_applied(emu: TikTokEmulator) -> None:
    with TikTokEmulator() as gone:
        dead = gone.base_url
    client = Client("7000000000000000001", "act.x", endpoint=dead, retry=FAST)
    with pytest.raises(ApiUnavailable) as caught:
        client.authorize("#abc+def/ghi=")
    assert caught.value.maybe_applied is False
    assert client.requests_sent == FAST.attempts  # retried: nothing can have landed
    code = emu.add_code()
    emu.inject(code=50000, path_contains="authorize", after_apply=True)
    with client_for(emu) as live, pytest.raises(ApiUnavailable) as lost:
        live.authorize(code.auth_code)
    assert lost.value.maybe_applied is True
    assert emu.authorize_calls(code.auth_code) == 1  # not retried blindly


def test_the_token_echoed_by_tiktok_is_scrubbed(emu: TikTokEmulator) -> None:
    emu.revoke_token()
    emu.inject(code=40105, message=f"Access token {emu.token} is revoked")
    with client_for(emu) as client, pytest.raises(TokenError) as caught:
        client.info(emu.unknown_code())
    assert emu.token not in str(caught.value)
    assert emu.token not in caught.value.tiktok_message
    assert "[access token]" in str(caught.value)


def test_bad_tokens_are_refused_before_any_request() -> None:
    for bad in ["", "   ", "act.abc\r\nX-Evil: 1"]:
        with pytest.raises(ValueError) as caught:
            Client("7000000000000000001", bad)
        assert "abc" not in str(caught.value)


def test_missing_scope_names_the_scope(emu: TikTokEmulator) -> None:
    code = emu.add_code()
    with client_for(emu) as client:
        emu.set_scopes({691})
        with pytest.raises(MissingScope) as info_error:
            client.info(code.auth_code)
        emu.set_scopes({690})
        with pytest.raises(MissingScope) as authorize_error:
            client.authorize(code.auth_code)
    assert info_error.value.scope == 690 and "690" in str(info_error.value)
    assert authorize_error.value.scope == 691 and "691" in str(authorize_error.value)
    assert emu.authorize_applied(code.auth_code) == 0


def test_another_advertiser_is_a_terminal_advertiser_error(emu: TikTokEmulator) -> None:
    client = Client("7000000000000000999", emu.token, endpoint=emu.base_url, retry=FAST)
    with pytest.raises(AdvertiserError, match="7000000000000000999"):
        client.check()


def test_check_passes_with_a_good_token(emu: TikTokEmulator) -> None:
    with client_for(emu) as client:
        client.check()
    assert emu.count("info") == 1


def test_a_wrong_endpoint_is_terminal(emu: TikTokEmulator) -> None:
    client = Client(
        emu.advertiser_id,
        emu.token,
        endpoint=emu.base_url + "/v9",
    )
    with pytest.raises(EndpointError, match="HTTP 404"):
        client.check()


def test_a_redirect_is_not_followed_so_the_token_stays_home(emu: TikTokEmulator) -> None:
    with TikTokEmulator() as elsewhere:
        emu.inject(http_status=302, location=f"{elsewhere.base_url}/open_api/v1.3/tt_video/info/")
        with client_for(emu) as client, pytest.raises(EndpointError, match="HTTP 302"):
            client.info(emu.unknown_code())
        assert elsewhere.requests == []


def test_a_terminal_error_stops_a_batch(emu: TikTokEmulator) -> None:
    codes = [emu.add_code() for _ in range(30)]
    emu.revoke_token()
    seen: list[object] = []
    with client_for(emu) as client, pytest.raises(TokenError):
        for item in verify_codes(client, [CodeToCheck(c.auth_code) for c in codes], workers=3):
            seen.append(item)
    assert seen == []
    assert emu.count("info") < 10


def test_a_batch_yields_answers_as_they_come(emu: TikTokEmulator) -> None:
    codes = [emu.add_code() for _ in range(12)]
    with client_for(emu) as client:
        batch = verify_codes(client, [CodeToCheck(c.auth_code) for c in codes], workers=2)
        next(batch)
        assert emu.count("info") < 6  # the first verdict comes before the rest are asked
        assert len(list(batch)) == 11


def test_list_pages_through_the_account(emu: TikTokEmulator) -> None:
    codes = [emu.add_code(text=f"summer {i}") for i in range(55)]
    for code in codes:
        emu.add_to_account(code.auth_code)
    with client_for(emu) as client:
        assert [p.item_id for p in client.iter_posts()] == [c.item_id for c in codes]
        assert client.find_post(auth_code=codes[53].auth_code) is not None
        found = client.find_post(codes[7].item_id)
        assert found is not None and found.auth_code == codes[7].auth_code
        assert client.find_post(emu.new_item_id()) is None


# ---------------------------------------------------------------- authorize, exactly once


def active_verdict(client: Client, auth_code: str) -> Any:
    return verify_one(client, CodeToCheck(auth_code))


def test_authorize_only_active_codes_and_each_once(emu: TikTokEmulator) -> None:
    good = [emu.add_code() for _ in range(3)]
    bad = [emu.add_code(s) for s in (EXPIRED, VIDEO_DELETED, CODE_DELETED)]
    journal = MemoryJournal()
    with client_for(emu) as client:
        verdicts = {c.auth_code: active_verdict(client, c.auth_code) for c in good + bad}
        for _ in range(2):  # a second run changes nothing and sends nothing
            outcomes = authorize_codes(client, verdicts.items(), journal)
            assert [o.ad_account for o in outcomes] == [ADDED] * 3 + [""] * 3
    for code in good:
        assert emu.authorize_calls(code.auth_code) == 1
        assert emu.in_account(code.auth_code)
    for code in bad:
        assert emu.authorize_calls(code.auth_code) == 0
    assert journal.attempts == [c.auth_code for c in good]


def test_already_authorized_counts_as_added(emu: TikTokEmulator) -> None:
    code = emu.add_code()
    emu.add_to_account(code.auth_code)  # added in Ads Manager by hand
    journal = MemoryJournal()
    with client_for(emu) as client:
        outcome = authorize_one(
            client, code.auth_code, active_verdict(client, code.auth_code), journal
        )
    assert outcome.ad_account == ADDED and journal.state(code.auth_code) == ADDED
    assert emu.authorize_applied(code.auth_code) == 0


def test_a_refusal_is_recorded_as_failed_and_not_retried(emu: TikTokEmulator) -> None:
    code = emu.add_code()
    journal = MemoryJournal()
    with client_for(emu) as client:
        verdict = active_verdict(client, code.auth_code)
        emu.set_state(code.auth_code, VIDEO_DELETED)  # deleted between check and add
        first = authorize_one(client, code.auth_code, verdict, journal)
        second = authorize_one(client, code.auth_code, verdict, journal)
    assert first.ad_account.startswith("failed: 40002")
    assert second.ad_account == first.ad_account
    assert emu.authorize_calls(code.auth_code) == 1


def test_a_lost_answer_is_settled_by_the_list_not_a_second_post(
    emu: TikTokEmulator,
) -> None:
    code = emu.add_code()
    journal = MemoryJournal()
    with client_for(emu) as client:
        verdict = active_verdict(client, code.auth_code)
        emu.inject(code=50002, path_contains="authorize", after_apply=True)
        outcome = authorize_one(client, code.auth_code, verdict, journal, backoff=0.01)
    assert outcome.ad_account == ADDED and outcome.detail == "found in the ad account"
    assert emu.authorize_calls(code.auth_code) == 1
    assert emu.count("list") == 1


def test_a_refused_maintenance_answer_is_tried_again(emu: TikTokEmulator) -> None:
    code = emu.add_code()
    journal = MemoryJournal()
    with client_for(emu) as client:
        verdict = active_verdict(client, code.auth_code)
        emu.inject(code=60001, path_contains="authorize")
        emu.inject(code=40100, path_contains="authorize")
        outcome = authorize_one(client, code.auth_code, verdict, journal, backoff=0.01)
    assert outcome.ad_account == ADDED
    assert emu.authorize_applied(code.auth_code) == 1


def test_doubt_with_an_unreadable_list_sends_nothing(emu: TikTokEmulator) -> None:
    code = emu.add_code()
    journal = MemoryJournal({code.auth_code: ATTEMPTED})
    with client_for(emu) as client:
        verdict = active_verdict(client, code.auth_code)
        emu.inject(code=50000, count=100, path_contains="list")
        outcome = authorize_one(client, code.auth_code, verdict, journal)
    assert outcome.ad_account == "" and journal.state(code.auth_code) == ATTEMPTED
    assert emu.authorize_calls(code.auth_code) == 0


def test_an_attempt_that_never_left_is_sent_once(emu: TikTokEmulator) -> None:
    code = emu.add_code()
    journal = MemoryJournal({code.auth_code: ATTEMPTED})  # crashed before the POST went out
    with client_for(emu) as client:
        outcome = authorize_one(
            client, code.auth_code, active_verdict(client, code.auth_code), journal
        )
    assert outcome.ad_account == ADDED
    assert emu.authorize_calls(code.auth_code) == 1


class FileJournal:
    """A durable journal as the state wiring would keep it: one JSON file, fsynced."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, str]:
        return json.loads(self.path.read_text()) if self.path.exists() else {}

    def state(self, spark_code: str) -> str | None:
        return self._load().get(spark_code)

    def _store(self, spark_code: str, value: str) -> None:
        entries = self._load()
        entries[spark_code] = value
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w") as fh:
            json.dump(entries, fh)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(self.path)

    def record_attempt(self, spark_code: str) -> None:
        self._store(spark_code, ATTEMPTED)

    def record_result(self, spark_code: str, ad_account: str) -> None:
        self._store(spark_code, ad_account)


def test_sigkill_between_the_authorize_and_the_state_commit(
    emu: TikTokEmulator, tmp_path: Path
) -> None:
    code = emu.add_code()
    journal_path = tmp_path / "authorize.json"
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})
        from pipeline.tiktok import Client, CodeToCheck, authorize_one, verify_one
        from tests.pipeline.test_tiktok_client import FileJournal
        from pathlib import Path

        class Dies(FileJournal):
            def record_result(self, spark_code, ad_account):
                os.kill(os.getpid(), signal.SIGKILL)  # after the POST, before the commit

        client = Client({emu.advertiser_id!r}, os.environ["TT_TOKEN"], endpoint={emu.base_url!r})
        verdict = verify_one(client, CodeToCheck({code.auth_code!r}))
        authorize_one(client, {code.auth_code!r}, verdict, Dies(Path({str(journal_path)!r})))
        """
    )
    env = {**os.environ, "TT_TOKEN": emu.token}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == -signal.SIGKILL, done.stderr
    assert emu.token not in done.stdout + done.stderr
    journal = FileJournal(journal_path)
    assert journal.state(code.auth_code) == ATTEMPTED
    assert emu.authorize_applied(code.auth_code) == 1
    with client_for(emu) as client:  # the next run
        outcome = authorize_one(
            client, code.auth_code, active_verdict(client, code.auth_code), journal
        )
    assert outcome.ad_account == ADDED and journal.state(code.auth_code) == ADDED
    assert emu.authorize_calls(code.auth_code) == 1
