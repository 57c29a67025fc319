"""Problems an ops trial of the TikTok check found, each pinned by the test that showed it.

The real CLI (in-process, or as cron runs it) against the emulator, as a brand's ops team
would use it."""

# Fixtures are imported from their modules, so their parameters shadow the imports.
# ruff: noqa: F811

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.pipeline.cli_helpers import sparkcodes
from tests.pipeline.mailgen import code_for
from tests.pipeline.tiktok_helpers import (  # noqa: F401 (fixtures)
    TOKEN_ENV,
    Project,
    fast_retries,
    project,
    write_config,
)
from tests.tiktok_emulator.conftest import tiktok_emulator  # noqa: F401
from tests.tiktok_emulator.server import TikTokEmulator


def _token_file_config(project: Project) -> Path:
    text = project.config.read_text(encoding="utf-8")
    text = text.replace(f'access_token_env = "{TOKEN_ENV}"', 'access_token_file = "token.txt"')
    project.config.write_text(text, encoding="utf-8")
    return project.root / "token.txt"


def test_a_token_file_saved_with_a_bom_works(project: Project) -> None:
    """Windows Notepad saves UTF-8 with a byte-order mark; the run used to end in
    "unexpected error (UnicodeEncodeError ...); this is a bug"."""
    token_file = _token_file_config(project)
    token_file.write_bytes(b"\xef\xbb\xbf" + project.emu.token.encode() + b"\r\n")
    project.code(0)
    project.mail(0)
    result = project.cli("run")
    assert result.exit_code == 0, result.output
    assert project.codes().loc[code_for(0), "tiktok_status"] == "active"


@pytest.mark.parametrize("token", ["act.tok\u20acn", "act.tok\u00e9n", "act.\u201ctoken\u201d"])
def test_a_token_with_characters_no_token_has_is_one_sentence(
    tmp_path: Path, tiktok_emulator: TikTokEmulator, token: str
) -> None:
    """A pasted token with a smart quote or a euro sign: one sentence naming the setting,
    exit 2, no traceback, no request, and the token itself never shown."""
    (tmp_path / "inbox").mkdir()
    config = write_config(tmp_path, tiktok_emulator)
    for command in ("run", "check"):
        result = sparkcodes(
            command, "--config", str(config), env={TOKEN_ENV: token, "SPARKCODES_DEBUG": ""}
        )
        out = result.stdout + result.stderr
        assert result.returncode == 2, (command, out)
        assert "this is a bug" not in out and "Traceback" not in out
        assert "access token" in out
        assert token not in out
    assert tiktok_emulator.requests == []


def test_tiktok_saying_expired_before_its_end_time_is_expired_everywhere(project: Project) -> None:
    """TikTok answered ``ad_auth_status: EXPIRED`` with an ``auth_end_time`` still ahead (the
    emulator's default for an expired code). The row said tiktok_status expired but
    expiry_status active, `expiring` did not list it, and no review item asked for a new
    code: the end time TikTok gave is not when the code ended."""
    code = project.code(0, "expired")  # auth_end defaults to 29 days from now
    project.mail(0)
    result = project.cli("run")
    assert result.exit_code == 1, result.output
    row = project.codes().loc[code]
    assert (row["tiktok_status"], row["expiry_status"]) == ("expired", "expired")
    assert row["duration_source"] == "tiktok"
    assert list(project.failures()["reason"]) == ["expired_on_arrival"]
    listed = project.cli("expiring", "--format", "json")
    assert code in listed.stdout


def test_the_end_of_an_expired_code_does_not_move_at_each_verify(project: Project) -> None:
    """With its end unknown, an expired code ends at the check: a later `verify --all` must
    not move that end forward (`expiring` would show it expiring later and later)."""
    code = project.code(0, "expired")
    project.mail(0)
    project.cli("run")
    first = project.codes().loc[code, "expires_at"]
    time.sleep(1.1)  # rows keep whole seconds
    result = project.cli("verify", "--all")
    assert result.exit_code == 0, result.output
    row = project.codes().loc[code]
    assert row["checked_at"] > first
    assert (row["tiktok_status"], row["expires_at"]) == ("expired", first)


def test_verify_with_a_dead_token_does_not_say_nothing_to_check(project: Project) -> None:
    """`verify` printed "tiktok: nothing to check" above the token error although every
    stored code was waiting for a check; ops reading the cron mail took it as all fine."""
    project.code(0)
    project.code(1)
    project.mail(0, 1)
    assert project.cli("run").exit_code == 0
    project.emu.revoke_token()
    result = project.cli("verify")
    assert result.exit_code == 2
    assert "nothing to check" not in result.stdout
    assert "0 of 2" in result.stdout
    assert "get a new token" in result.stderr


@pytest.mark.parametrize("key", ["access_token_env", "advertiser_id"])
def test_a_token_pasted_into_the_config_is_never_echoed(
    tmp_path: Path, tiktok_emulator: TikTokEmulator, key: str
) -> None:
    """A first-time user pastes the token itself where the variable's name (or the
    advertiser id) goes; `check` and `run` printed it back in their error."""
    (tmp_path / "inbox").mkdir()
    config = write_config(tmp_path, tiktok_emulator)
    token = tiktok_emulator.token
    text = config.read_text(encoding="utf-8")
    if key == "access_token_env":
        text = text.replace(f'access_token_env = "{TOKEN_ENV}"', f'access_token_env = "{token}"')
    else:
        text = text.replace(
            f'advertiser_id = "{tiktok_emulator.advertiser_id}"', f'advertiser_id = "{token}"'
        )
    config.write_text(text, encoding="utf-8")
    for command in ("check", "run"):
        result = sparkcodes(command, "--config", str(config), env={TOKEN_ENV: token})
        out = result.stdout + result.stderr
        assert result.returncode == 2, (command, out)
        assert token not in out
        assert f"tiktok.{key}" in out
    assert tiktok_emulator.requests == []


@pytest.mark.parametrize("endpoint", ["127.0.0.1:8080", "notaurl", "ftp://127.0.0.1/"])
def test_an_endpoint_that_is_not_a_url_is_a_config_error_not_an_outage(
    project: Project, endpoint: str
) -> None:
    """`endpoint = "127.0.0.1:8080"` (no scheme) was taken for a TikTok outage: `check` said
    "the next run tries again", and every run left the codes unverified with exit 1."""
    text = project.config.read_text(encoding="utf-8")
    project.config.write_text(
        text.replace(f'endpoint = "{project.emu.base_url}"', f'endpoint = "{endpoint}"'),
        encoding="utf-8",
    )
    project.mail(0)
    for command in ("check", "run"):
        result = project.cli(command)
        assert result.exit_code == 2, (command, result.output)
        assert "tiktok.endpoint" in result.output
        assert "tries again" not in result.output


def test_the_environment_endpoint_is_checked_the_same_way(project: Project) -> None:
    text = project.config.read_text(encoding="utf-8")
    project.config.write_text(
        text.replace(f'endpoint = "{project.emu.base_url}"\n', ""), encoding="utf-8"
    )
    project.mail(0)
    result = project.cli("run", env={"SPARKCODES_TIKTOK_ENDPOINT": "localhost:1"})
    assert result.exit_code == 2, result.output
    assert "SPARKCODES_TIKTOK_ENDPOINT" in result.output


def test_an_endpoint_written_with_the_api_prefix_still_works(project: Project) -> None:
    """The docs show URLs as `https://business-api.tiktok.com/open_api/v1.3/...`; a base URL
    copied with that prefix answered HTTP 404 on every request."""
    text = project.config.read_text(encoding="utf-8")
    base = project.emu.base_url
    project.config.write_text(
        text.replace(f'endpoint = "{base}"', f'endpoint = "{base}/open_api/v1.3/"'),
        encoding="utf-8",
    )
    project.code(0)
    project.mail(0)
    result = project.cli("run")
    assert result.exit_code == 0, result.output
    assert project.codes().loc[code_for(0), "tiktok_status"] == "active"


def _token_command(
    emu: TikTokEmulator, auth_code: str, secret: str
) -> subprocess.CompletedProcess[str]:
    env = {"SPARKCODES_TIKTOK_APP_SECRET": secret, "SPARKCODES_TIKTOK_ENDPOINT": emu.base_url}
    return sparkcodes("tiktok-token", "--app-id", emu.app_id, "--auth-code", auth_code, env=env)


def test_tiktok_token_with_a_wrong_secret_says_so(tiktok_emulator: TikTokEmulator) -> None:
    """A wrong app secret was reported as a bad auth code ("authorize the app again"), so
    ops burned fresh consents instead of fixing the secret."""
    result = _token_command(tiktok_emulator, tiktok_emulator.issue_auth_code(), "wrong-secret-1")
    assert result.returncode == 2
    assert "secret" in result.stderr and "authorize the app again" not in result.stderr
    assert "wrong-secret-1" not in result.stdout + result.stderr


def test_tiktok_token_takes_the_whole_redirect_url(tiktok_emulator: TikTokEmulator) -> None:
    """People paste the address bar after consent, not the bare auth_code parameter."""
    code = tiktok_emulator.issue_auth_code()
    url = f"https://brand.example/callback?auth_code={code}&code={code}&state=s1"
    result = _token_command(tiktok_emulator, url, tiktok_emulator.app_secret)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == tiktok_emulator.token


def test_a_code_refusal_that_names_the_advertiser_rejects_that_code_only(
    project: Project,
) -> None:
    """TikTok refusing one code with a message that names the advertiser ("auth_code does
    not belong to advertiser ...") stopped the whole run as a wrong advertiser_id (exit 2),
    and every later run again, with the code forever unverified."""
    project.code(0)
    project.code(1)
    project.mail(0, 1)
    message = f"auth_code does not belong to advertiser {project.emu.advertiser_id}"
    project.emu.inject(code=40002, message=message, path_contains="info", count=1)
    result = project.cli("run")
    assert result.exit_code == 1, result.output
    statuses = sorted(project.codes()["tiktok_status"])
    assert statuses == ["active", "rejected"]
    assert list(project.failures()["reason"]) == ["tiktok_rejected"]


def test_a_refusal_of_the_advertiser_itself_still_stops_the_run(project: Project) -> None:
    project.code(0)
    project.mail(0)
    message = "advertiser_id is invalid"
    project.emu.inject(code=40002, message=message, path_contains="info", count=1)
    result = project.cli("run")
    assert result.exit_code == 2, result.output
    assert "tiktok.advertiser_id" in result.output


def test_watch_retries_unverified_codes_within_the_hour_not_the_day(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run` re-checks codes an outage left unverified at its next start; `watch` only did
    so in its daily re-check, so a short TikTok outage left rows unverified for up to a day."""
    import config
    from pipeline.state import State
    from pipeline.verify import LAST_UNVERIFIED, daily_verify, mark_done
    from pipeline.wiring import make_job

    project.code(0)
    project.code(1)
    project.emu.inject(code=50000, count=1000, path_contains="info")
    project.mail(0, 1)
    assert project.cli("run").exit_code == 1
    assert set(project.codes()["tiktok_status"]) == {"unverified"}
    project.emu._faults.clear()
    monkeypatch.setenv(TOKEN_ENV, project.emu.token)
    settings = config.load(project.config)
    with State(settings.state_path) as state:
        job = make_job(settings, state)
        mark_done(state)  # the daily re-check already ran today
        state.set_meta(LAST_UNVERIFIED, datetime.now(UTC).isoformat(timespec="seconds"))
        sent = len(project.emu.requests)
        assert daily_verify(state, job) is None  # retried less than an hour ago
        assert len(project.emu.requests) == sent
        an_hour_ago = datetime.now(UTC) - timedelta(hours=1, minutes=1)
        state.set_meta(LAST_UNVERIFIED, an_hour_ago.isoformat(timespec="seconds"))
        line = daily_verify(state, job)
        assert line is not None and "active 2" in line
        assert daily_verify(state, job) is None  # nothing left, and not due again
    assert set(project.codes()["tiktok_status"]) == {"active"}


def test_turning_authorize_on_adds_the_active_codes_at_the_next_run(project: Project) -> None:
    """With `authorize = true` added to a running setup, the codes already active were
    never added by `run` (only by a `verify`); the same after a run stopped by a missing
    scope 691 was fixed. `run` now adds every active code not yet added, once."""
    code = project.code(0)
    project.mail(0)
    assert project.cli("run").exit_code == 0
    assert project.codes().loc[code, "ad_account"] == ""
    text = project.config.read_text(encoding="utf-8")
    project.config.write_text(
        text.replace("authorize = false", "authorize = true"), encoding="utf-8"
    )
    result = project.cli("run")
    assert result.exit_code == 0, result.output
    assert project.codes().loc[code, "ad_account"] == "added"
    assert project.emu.authorize_calls(code) == 1
    sent = len(project.emu.requests)
    assert project.cli("run").exit_code == 0
    assert len(project.emu.requests) == sent  # a quiet rerun: nothing left to add


def test_an_authorize_stopped_by_a_missing_scope_is_done_once_it_is_granted(
    project: Project,
) -> None:
    text = project.config.read_text(encoding="utf-8")
    project.config.write_text(
        text.replace("authorize = false", "authorize = true"), encoding="utf-8"
    )
    code = project.code(0)
    project.mail(0)
    project.emu.set_scopes({690})
    first = project.cli("run")
    assert first.exit_code == 2 and "691" in first.output
    project.emu.set_scopes({690, 691})
    result = project.cli("run")
    assert result.exit_code == 0, result.output
    assert project.codes().loc[code, "ad_account"] == "added"
    assert project.emu.authorize_applied(code) == 1


def test_an_outage_stops_asking_after_a_few_codes_so_the_rows_are_not_held(
    project: Project,
) -> None:
    """During a TikTok outage every code spent its whole backoff (about 7 s at the default
    policy): 20 new codes held `run`, and the rows the sheet waits for, 41 s; 1,000 would
    hold it half an hour. After a few codes in a row fail, the rest wait for the next run."""
    for i in range(40):
        project.code(i)
    project.mail(*range(40))
    project.emu.inject(code=60001, count=100_000, path_contains="info")
    result = project.cli("run")
    assert result.exit_code == 1, result.output
    assert "40 unverified" in result.output
    assert set(project.codes()["tiktok_status"]) == {"unverified"}
    attempts = 3  # fast_retries
    # GIVE_UP_AFTER codes in a row, plus those that finished together with the 8th and those
    # the 4 workers had just started (without the stop: all 40 codes, 120 requests).
    assert project.emu.count("/tt_video/info/") <= (8 + 4 + 4) * attempts
    project.emu._faults.clear()
    assert project.cli("run").exit_code == 0
    assert set(project.codes()["tiktok_status"]) == {"active"}


def test_scattered_failures_do_not_stop_the_checks(project: Project) -> None:
    for i in range(30):
        project.code(i)
    project.mail(*range(30))
    # 8 failed requests: at most 2 codes can run out of their 3 attempts, never 8 in a row.
    project.emu.inject(code=50000, count=8, path_contains="info")
    project.cli("run")
    asked = {r.query["auth_code"][0] for r in project.emu.requests}
    assert asked == {code_for(i) for i in range(30)}
    assert not any("in a row" in d for d in project.codes()["tiktok_detail"])


def test_an_authorize_outage_stops_after_a_few_codes_and_the_next_run_adds_the_rest(
    project: Project,
) -> None:
    """With /tt_video/authorize/ down (info up), each active code cost 3 POSTs, 3 list
    look-ups and 6 s of backoff, one after another: 5 codes held `run` 33 s, 1,000 would
    hold the rows from the sheet for hours."""
    text = project.config.read_text(encoding="utf-8")
    project.config.write_text(
        text.replace("authorize = false", "authorize = true"), encoding="utf-8"
    )
    codes = [project.code(i) for i in range(10)]
    project.mail(*range(10))
    project.emu.inject(code=50000, count=100_000, path_contains="authorize")
    project.cli("run")
    assert set(project.codes()["ad_account"]) == {""}
    assert project.emu.count("/tt_video/authorize/") <= 3 * 3  # 3 codes, 3 POSTs each
    project.emu._faults.clear()
    result = project.cli("run")
    assert result.exit_code == 0, result.output
    assert set(project.codes()["ad_account"]) == {"added"}
    assert all(project.emu.authorize_applied(c) == 1 for c in codes)
