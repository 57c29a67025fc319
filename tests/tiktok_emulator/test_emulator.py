"""The emulator answers like TikTok's API: envelopes, token and scope checks, throttling,
faults, code states, authorize state and the list. Driven with plain ``requests`` so these
tests do not depend on the client under test."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from .server import TikTokEmulator
from .state import (
    CODE_DELETED,
    EXPIRED,
    VIDEO_DELETED,
    VIDEO_PRIVATE,
    VIDEO_UNDER_REVIEW,
)

BASE = "/open_api/v1.3/tt_video"


def get(emu: TikTokEmulator, endpoint: str, token: str | None = "", **params: str) -> Any:
    headers = {} if token is None else {"Access-Token": token or emu.token}
    query = {"advertiser_id": emu.advertiser_id, **params}
    answer = requests.get(
        f"{emu.base_url}{BASE}/{endpoint}/", params=query, headers=headers, timeout=10
    )
    assert answer.status_code == 200
    return answer.json()


def post(emu: TikTokEmulator, code: str, token: str = "") -> Any:
    answer = requests.post(
        f"{emu.base_url}{BASE}/authorize/",
        json={"advertiser_id": emu.advertiser_id, "auth_code": code},
        headers={"Access-Token": token or emu.token},
        timeout=10,
    )
    assert answer.status_code == 200
    return answer.json()


def test_info_answers_an_envelope_with_the_four_objects(tiktok_emulator: TikTokEmulator) -> None:
    code = tiktok_emulator.add_code(tiktok_name="glowwithmia")
    body = get(tiktok_emulator, "info", auth_code=code.auth_code)
    assert set(body) == {"code", "message", "request_id", "data"}
    assert body["code"] == 0 and body["request_id"]
    data = body["data"]
    assert data["auth_info"]["ad_auth_status"] == "AUTHORIZED"
    assert data["item_info"]["item_id"] == code.item_id
    assert data["item_info"]["auth_code"] == code.auth_code
    assert data["user_info"]["tiktok_name"] == "glowwithmia"
    assert "+" in code.auth_code and "/" in code.auth_code and code.auth_code.startswith("#")


def test_a_raw_plus_in_the_query_arrives_as_a_space_and_is_refused(
    tiktok_emulator: TikTokEmulator,
) -> None:
    code = tiktok_emulator.add_code()
    raw = code.auth_code.replace("#", "%23")  # '+' left raw, as a careless client would
    url = f"{tiktok_emulator.base_url}{BASE}/info/?advertiser_id={tiktok_emulator.advertiser_id}&auth_code={raw}"
    body = requests.get(url, headers={"Access-Token": tiktok_emulator.token}, timeout=10).json()
    assert body["code"] == 40002
    assert get(tiktok_emulator, "info", auth_code=code.auth_code)["code"] == 0


@pytest.mark.parametrize(
    ("state", "auth_status", "item_status"),
    [
        (EXPIRED, "EXPIRED", "HESITATE_RECOMMEND"),
        (VIDEO_DELETED, "AUTHORIZED", "USER_DELETE"),
        (VIDEO_PRIVATE, "AUTHORIZED", "ONLY_AUTHOR_SEE"),
        (VIDEO_UNDER_REVIEW, "AUTHORIZED", "REVIEW_PENDING"),
    ],
)
def test_codes_in_each_state(
    tiktok_emulator: TikTokEmulator, state: str, auth_status: str, item_status: str
) -> None:
    code = tiktok_emulator.add_code(state)
    data = get(tiktok_emulator, "info", auth_code=code.auth_code)["data"]
    assert data["auth_info"]["ad_auth_status"] == auth_status
    assert data["item_info"]["status"] == item_status


def test_unknown_deleted_and_malformed_codes_are_refused(tiktok_emulator: TikTokEmulator) -> None:
    deleted = tiktok_emulator.add_code(CODE_DELETED)
    assert get(tiktok_emulator, "info", auth_code=deleted.auth_code)["code"] == 40007
    assert get(tiktok_emulator, "info", auth_code=tiktok_emulator.unknown_code())["code"] == 40007
    assert get(tiktok_emulator, "info", auth_code="#abc def")["code"] == 40002
    assert get(tiktok_emulator, "info", auth_code="")["code"] == 40002


def test_token_checks(tiktok_emulator: TikTokEmulator) -> None:
    code = tiktok_emulator.add_code()
    assert get(tiktok_emulator, "info", token=None, auth_code=code.auth_code)["code"] == 40104
    assert (
        get(tiktok_emulator, "info", token="act.other", auth_code=code.auth_code)["code"] == 40105
    )
    tiktok_emulator.expire_token()
    assert get(tiktok_emulator, "info", auth_code=code.auth_code)["code"] == 40102


def test_revoked_token(tiktok_emulator: TikTokEmulator) -> None:
    code = tiktok_emulator.add_code()
    tiktok_emulator.revoke_token()
    assert get(tiktok_emulator, "info", auth_code=code.auth_code)["code"] == 40105


def test_scopes_690_and_691(tiktok_emulator: TikTokEmulator) -> None:
    code = tiktok_emulator.add_code()
    tiktok_emulator.set_scopes({690})
    assert get(tiktok_emulator, "info", auth_code=code.auth_code)["code"] == 0
    body = post(tiktok_emulator, code.auth_code)
    assert body["code"] == 40001 and "/tt_video/authorize/" in body["message"]
    assert get(tiktok_emulator, "list")["code"] == 40001
    tiktok_emulator.set_scopes({691})
    assert get(tiktok_emulator, "info", auth_code=code.auth_code)["code"] == 40001


def test_another_advertiser_is_refused(tiktok_emulator: TikTokEmulator) -> None:
    body = get(tiktok_emulator, "list", advertiser_id="7000000000000000999")
    assert body["code"] == 40001 and "7000000000000000999" in body["message"]


def test_more_than_ten_a_second_answers_40100_and_refusals_do_not_count(
    tiktok_emulator: TikTokEmulator,
) -> None:
    codes = [get(tiktok_emulator, "list")["code"] for _ in range(14)]
    assert codes[:10] == [0] * 10
    assert set(codes[10:]) == {40100}
    assert len(tiktok_emulator.throttled) == 4
    first = tiktok_emulator.requests[0].at
    time.sleep(max(0.0, first + 1.05 - time.monotonic()))
    assert get(tiktok_emulator, "list")["code"] == 0


def test_per_minute_limit() -> None:
    with TikTokEmulator(qps=1000, per_minute=5) as emu:
        codes = [get(emu, "list")["code"] for _ in range(7)]
    assert codes == [0] * 5 + [40100] * 2


def test_injected_codes_http_errors_and_delays(tiktok_emulator: TikTokEmulator) -> None:
    code = tiktok_emulator.add_code()
    tiktok_emulator.inject(code=50002, path_contains="info")
    tiktok_emulator.inject(code=60001, path_contains="info")
    assert get(tiktok_emulator, "list")["code"] == 0  # faults match their path only
    assert get(tiktok_emulator, "info", auth_code=code.auth_code)["code"] == 50002
    assert get(tiktok_emulator, "info", auth_code=code.auth_code)["code"] == 60001
    assert get(tiktok_emulator, "info", auth_code=code.auth_code)["code"] == 0
    tiktok_emulator.inject(http_status=502)
    answer = requests.get(f"{tiktok_emulator.base_url}{BASE}/list/", timeout=10)
    assert answer.status_code == 502 and answer.text.startswith("<html>")
    tiktok_emulator.inject(delay=0.4)
    started = time.monotonic()
    assert get(tiktok_emulator, "info", auth_code=code.auth_code)["code"] == 0
    assert time.monotonic() - started >= 0.4


def test_authorize_adds_once_and_a_second_try_says_already(tiktok_emulator: TikTokEmulator) -> None:
    code = tiktok_emulator.add_code()
    assert post(tiktok_emulator, code.auth_code)["code"] == 0
    second = post(tiktok_emulator, code.auth_code)
    assert second["code"] == 40002 and "already" in second["message"]
    assert tiktok_emulator.authorize_calls(code.auth_code) == 2
    assert tiktok_emulator.authorize_applied(code.auth_code) == 1
    expired = tiktok_emulator.add_code(EXPIRED)
    assert post(tiktok_emulator, expired.auth_code)["code"] == 40002
    assert not tiktok_emulator.in_account(expired.auth_code)


def test_a_lost_answer_after_the_authorize_took_effect(tiktok_emulator: TikTokEmulator) -> None:
    code = tiktok_emulator.add_code()
    tiktok_emulator.inject(code=50000, path_contains="authorize", after_apply=True)
    assert post(tiktok_emulator, code.auth_code)["code"] == 50000
    assert tiktok_emulator.in_account(code.auth_code)


def test_list_pages_and_keyword(tiktok_emulator: TikTokEmulator) -> None:
    codes = [tiktok_emulator.add_code(text=f"caption {i}") for i in range(5)]
    for code in codes:
        tiktok_emulator.add_to_account(code.auth_code)
    first = get(tiktok_emulator, "list", page="1", page_size="2")["data"]
    assert first["page_info"] == {"page": 1, "page_size": 2, "total_number": 5, "total_page": 3}
    last = get(tiktok_emulator, "list", page="3", page_size="2")["data"]
    assert [p["item_info"]["item_id"] for p in last["list"]] == [codes[4].item_id]
    exact = get(tiktok_emulator, "list", keyword=codes[2].item_id)["data"]["list"]
    assert [p["item_info"]["auth_code"] for p in exact] == [codes[2].auth_code]
    assert get(tiktok_emulator, "list", page_size="51")["code"] == 40002


def test_unknown_path_is_an_http_404(tiktok_emulator: TikTokEmulator) -> None:
    answer = requests.get(f"{tiktok_emulator.base_url}/open_api/v1.2/tt_video/info/", timeout=10)
    assert answer.status_code == 404


def test_the_request_log_never_holds_the_token(tiktok_emulator: TikTokEmulator) -> None:
    get(tiktok_emulator, "list")
    assert tiktok_emulator.requests[0].token_ok
    assert tiktok_emulator.token not in repr(tiktok_emulator.requests)
