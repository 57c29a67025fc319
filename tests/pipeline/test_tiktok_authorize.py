"""`authorize = true` through the real command: only active codes, each exactly once, also
when the run is killed between TikTok's answer and the state's record of it."""

# Fixtures are imported from their modules, so their parameters shadow the imports.
# ruff: noqa: F811

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import config
from pipeline.state import State
from tests.pipeline.cli_helpers import SPARKCODES
from tests.pipeline.mailgen import code_for
from tests.pipeline.tiktok_helpers import (  # noqa: F401 (fixtures)
    Project,
    fast_retries,
    write_config,
)
from tests.tiktok_emulator.conftest import tiktok_emulator  # noqa: F401
from tests.tiktok_emulator.server import TikTokEmulator
from tests.tiktok_emulator.state import CODE_DELETED, EXPIRED, VIDEO_DELETED


@pytest.fixture
def adding(
    tmp_path: Path, tiktok_emulator: TikTokEmulator, fast_retries: None
) -> Iterator[Project]:
    (tmp_path / "inbox").mkdir()
    yield Project(
        tmp_path, tiktok_emulator, write_config(tmp_path, tiktok_emulator, authorize=True)
    )


def test_only_active_codes_are_added_and_each_only_once(adding: Project) -> None:
    active = [adding.code(0), adding.code(1)]
    others = [
        adding.code(2, EXPIRED),
        adding.code(3, VIDEO_DELETED),
        adding.code(4, item_id="7399999999999999999"),
        adding.code(5, CODE_DELETED),
    ]
    adding.mail(*range(6))
    result = adding.cli("run")
    assert result.exit_code == 1, result.output  # the bad ones are for review
    codes = adding.codes()
    for code in active:
        assert codes.loc[code, "ad_account"] == "added"
        assert adding.emu.authorize_calls(code) == 1 and adding.emu.in_account(code)
    for code in others:
        assert codes.loc[code, "ad_account"] == ""
        assert adding.emu.authorize_calls(code) == 0

    again = adding.cli("run", "--full")  # every email read and checked again
    assert again.exit_code == 1, again.output
    verify = adding.cli("verify", "--all")
    assert verify.exit_code == 0, verify.output
    for code in active:
        assert adding.emu.authorize_calls(code) == 1
        assert adding.codes().loc[code, "ad_account"] == "added"


def test_already_authorized_counts_as_added(adding: Project) -> None:
    code = adding.code(0)
    adding.emu.add_to_account(code)  # added earlier in Ads Manager
    adding.mail(0)
    assert adding.cli("run").exit_code == 0
    assert adding.codes().loc[code, "ad_account"] == "added"
    assert adding.emu.authorize_calls(code) == 1


def test_a_refused_authorize_is_recorded_and_not_retried(adding: Project) -> None:
    code = adding.code(0)
    adding.emu.inject(code=40002, message="identity is not eligible", path_contains="authorize")
    adding.mail(0)
    assert adding.cli("run").exit_code == 0
    assert adding.codes().loc[code, "ad_account"] == "failed: 40002: identity is not eligible"
    assert adding.cli("verify").exit_code == 0
    assert adding.emu.count("/tt_video/authorize/") == 1  # the injected refusal, only
    assert adding.codes().loc[code, "ad_account"].startswith("failed: ")


def test_an_unverified_code_is_added_once_tiktok_says_it_is_active(adding: Project) -> None:
    code = adding.code(0)
    adding.mail(0)
    adding.emu.inject(code=60001, count=1000, path_contains="info")
    assert adding.cli("run").exit_code == 1
    assert adding.emu.authorize_calls(code) == 0  # never for a code not known to be active
    adding.emu._faults.clear()
    assert adding.cli("run").exit_code == 0
    assert adding.codes().loc[code, "ad_account"] == "added"
    assert adding.emu.authorize_calls(code) == 1


def test_a_missing_authorize_scope_names_scope_691(adding: Project) -> None:
    code = adding.code(0)
    adding.emu.set_scopes({690})
    adding.mail(0)
    result = adding.cli("run")
    assert result.exit_code == 2
    assert "scope 691" in result.stderr
    codes = adding.codes()
    assert codes.loc[code, "tiktok_status"] == "active"  # the check itself went through
    assert codes.loc[code, "ad_account"] == ""


def test_sigkill_between_the_authorize_and_the_state_commit(adding: Project) -> None:
    """The run is killed after TikTok added the post and before the state recorded it; the
    next run finds the post in the ad account (/tt_video/list/) instead of posting again."""
    code = adding.code(0)
    adding.mail(0)
    # TikTok carries the authorize out, then answers 20 s late: the kill lands in between.
    adding.emu.inject(delay=20.0, path_contains="authorize")
    run = subprocess.Popen(
        [SPARKCODES, "run", "--config", str(adding.config)],
        env={**os.environ, **adding.env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while adding.emu.authorize_applied(code) == 0:
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline, "the run never reached the authorize"
            time.sleep(0.02)
        os.kill(run.pid, signal.SIGKILL)
        out, err = run.communicate(timeout=30)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == -signal.SIGKILL
    assert adding.emu.token not in out + err
    settings = config.load(adding.config)
    with State(settings.state_path) as state:
        assert state.journal_state(code) == "attempted"  # the attempt was recorded before

    again = adding.cli("run")  # the email was not committed: it is read and checked again
    assert again.exit_code == 0, again.output
    assert adding.emu.authorize_calls(code) == 1
    assert adding.emu.authorize_applied(code) == 1
    assert adding.emu.count("/tt_video/list/") >= 1  # the doubt was settled by the list
    assert adding.codes().loc[code, "ad_account"] == "added"
    assert list(adding.codes()["spark_code"]) == [code_for(0)]
