"""`verify`, `check`, `tiktok-token`, the config section, and the token kept out of all output
(subprocess, as cron runs it)."""

# Fixtures are imported from their modules, so their parameters shadow the imports.
# ruff: noqa: F811

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import config
from config.settings import ConfigError
from config.settings import parse as parse_settings
from pipeline.cli import main
from tests.pipeline.cli_helpers import sparkcodes
from tests.pipeline.mailgen import code_for
from tests.pipeline.tiktok_helpers import (  # noqa: F401 (fixtures)
    TOKEN_ENV,
    Project,
    fast_retries,
    project,
    write_config,
)
from tests.sheets_emulator.server import SheetsEmulator
from tests.tiktok_emulator.conftest import tiktok_emulator  # noqa: F401
from tests.tiktok_emulator.server import TikTokEmulator
from tests.tiktok_emulator.state import CODE_DELETED, EXPIRED, VIDEO_DELETED


@pytest.mark.parametrize("command", [["verify"], ["tiktok-token"]])
def test_the_new_commands_have_help(command: list[str]) -> None:
    result = CliRunner().invoke(main, [*command, "--help"])
    assert result.exit_code == 0
    assert len(result.stdout.split("\n\n")[1].strip()) > 20


def test_a_deleted_video_shows_at_the_next_verify(project: Project) -> None:
    code = project.code(0)
    project.mail(0)
    assert project.cli("run").exit_code == 0
    project.emu.set_state(code, VIDEO_DELETED)
    result = project.cli("verify")
    assert result.exit_code == 1, result.output  # a person should ask for a new code
    assert "video_unavailable 1" in result.stdout
    row = project.codes().loc[code]
    assert row["tiktok_status"] == "video_unavailable"
    assert row["tiktok_detail"] == "post status USER_DELETE"
    assert row["subject"] == "Spark code for video 0"  # the email's facts stay
    failures = project.failures()
    assert list(failures["reason"]) == ["video_unavailable"]
    assert list(failures["status"]) == ["open"]
    # Checked again with nothing new: no second item, and the row stays.
    again = project.cli("verify", "--all")
    assert again.exit_code == 0, again.output
    assert len(project.failures()) == 1


def test_a_code_that_simply_ran_out_is_not_sent_to_review(project: Project) -> None:
    code = project.code(0)
    project.mail(0)
    assert project.cli("run").exit_code == 0
    project.emu.set_state(code, EXPIRED)
    result = project.cli("verify")
    assert "expired 1" in result.stdout, result.output
    assert project.codes().loc[code, "tiktok_status"] == "expired"
    assert project.failures().empty


def test_verify_rechecks_active_and_unverified_and_all_with_all(project: Project) -> None:
    good = project.code(0)
    bad = project.code(1, CODE_DELETED)
    project.mail(0, 1)
    assert project.cli("run").exit_code == 1  # the rejected one is for review
    review = project.failures()
    before = project.emu.count("info")
    assert project.cli("verify").exit_code == 0
    asked = [r.query["auth_code"][0] for r in project.emu.requests[before:]]
    assert asked == [good]  # a rejected code stays rejected unless --all
    before = project.emu.count("info")
    assert project.cli("verify", "--all").exit_code == 0
    asked = [r.query["auth_code"][0] for r in project.emu.requests[before:]]
    assert sorted(asked) == sorted([good, bad])
    assert project.failures().equals(review)  # verify leaves the review queue alone


def test_verify_during_an_outage_keeps_what_tiktok_said_last(project: Project) -> None:
    code = project.code(0)
    project.mail(0)
    assert project.cli("run").exit_code == 0
    checked = project.codes().loc[code, "checked_at"]
    project.emu.inject(code=50000, count=1000, path_contains="info")
    result = project.cli("verify")
    assert result.exit_code == 0, result.output
    row = project.codes().loc[code]
    assert (row["tiktok_status"], row["checked_at"]) == ("active", checked)


def test_verify_needs_tiktok(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    result = CliRunner().invoke(main, ["verify", "--config", str(write_config(tmp_path, None))])
    assert result.exit_code == 2
    assert "[tiktok]" in result.stderr


def test_a_bad_token_never_appears_in_any_output(
    tmp_path: Path, tiktok_emulator: TikTokEmulator
) -> None:
    (tmp_path / "inbox").mkdir()
    project = Project(tmp_path, tiktok_emulator, write_config(tmp_path, tiktok_emulator))
    project.code(0)
    project.mail(0)
    wrong = "act.not-the-right-token-77c1e0"
    env = {TOKEN_ENV: wrong, "SPARKCODES_DEBUG": ""}
    for command in ("run", "verify", "check"):
        result = sparkcodes(command, "--config", str(project.config), env=env)
        assert result.returncode == 2, (command, result.stdout, result.stderr)
        assert wrong not in result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        assert "get a new token" in result.stdout + result.stderr
    assert list(project.codes()["spark_code"]) == [code_for(0)]


def test_check_makes_one_read_only_request(project: Project) -> None:
    result = project.cli("check")
    assert result.exit_code == 0, result.output
    assert any(line.startswith("ok    tiktok:") for line in result.stdout.splitlines())
    assert [r.path for r in project.emu.requests] == ["/tt_video/info/"]
    project.emu.set_scopes({691})
    failed = project.cli("check")
    assert failed.exit_code == 2
    assert "FAIL  tiktok:" in failed.stdout and "scope 690" in failed.stdout


def test_a_missing_token_variable_stops_before_any_mail_is_read(project: Project) -> None:
    project.mail(0)
    result = CliRunner().invoke(
        main, ["run", "--config", str(project.config)], env={TOKEN_ENV: None}
    )
    assert result.exit_code == 2
    assert f"{TOKEN_ENV} (tiktok.access_token_env) is not set" in result.stderr
    assert not (project.root / "out" / "spark_codes.csv").exists()


def test_tiktok_token_exchanges_the_auth_code(tiktok_emulator: TikTokEmulator) -> None:
    auth_code = tiktok_emulator.issue_auth_code()
    env = {"SPARKCODES_TIKTOK_APP_SECRET": tiktok_emulator.app_secret}
    args = ["tiktok-token", "--app-id", tiktok_emulator.app_id, "--auth-code", auth_code]
    args += ["--endpoint", tiktok_emulator.base_url]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout == tiktok_emulator.token + "\n"  # the token alone, on stdout
    assert f'advertiser_id = "{tiktok_emulator.advertiser_id}"' in result.stderr
    assert tiktok_emulator.token not in result.stderr
    again = CliRunner().invoke(main, args, env=env)  # an auth code works once
    assert again.exit_code == 2
    assert "authorize the app again" in again.stderr
    assert auth_code not in again.stderr and tiktok_emulator.app_secret not in again.stderr


def test_tiktok_token_needs_the_secret(tiktok_emulator: TikTokEmulator) -> None:
    result = CliRunner().invoke(
        main,
        ["tiktok-token", "--app-id", "1", "--auth-code", "x"],
        env={"SPARKCODES_TIKTOK_APP_SECRET": None},
    )
    assert result.exit_code == 2
    assert "SPARKCODES_TIKTOK_APP_SECRET" in result.stderr


def test_the_section_is_validated_key_by_key(tmp_path: Path) -> None:
    base = '[local]\npaths = ["inbox"]\n[tiktok]\n'
    cases = {
        'advertiser_id = "1"\naccess_token_env = "X"\nautorize = true\n': "unknown key "
        "'tiktok.autorize'",
        'advertiser_id = "1"\n': "set one of access_token_env",
        'advertiser_id = "1"\naccess_token_env = "X"\naccess_token_file = "t"\n': "set one of",
        'advertiser_id = "abc"\naccess_token_env = "X"\n': "advertiser id (digits)",
        'advertiser_id = "1"\naccess_token_env = "X"\nmax_requests_per_second = "10"\n': (
            "max_requests_per_second"
        ),
        'access_token_env = "X"\n': "missing key 'tiktok.advertiser_id'",
    }
    for body, expected in cases.items():
        path = tmp_path / "c.toml"
        path.write_text(base + body)
        with pytest.raises(ConfigError, match=expected.replace("(", r"\(").replace(")", r"\)")):
            config.load(path)
    path.write_text(base + 'advertiser_id = 7000000000000000001\naccess_token_file = "t.txt"\n')
    settings = config.load(path)
    assert settings.tiktok is not None
    assert settings.tiktok.advertiser_id == "7000000000000000001"
    assert settings.tiktok.access_token_file == tmp_path / "t.txt"  # read against the file
    assert settings.tiktok.max_requests_per_second == 10 and not settings.tiktok.authorize


def test_the_demo_config_stays_offline_and_the_example_shows_tiktok() -> None:
    repo = Path(__file__).resolve().parents[2]
    assert config.load(repo / "config" / "sample.toml").tiktok is None
    example = (repo / "config" / "example.toml").read_text()
    block = example[example.index("# [tiktok]") :].split("\n\n")[0]
    section = "\n".join(
        line.removeprefix("# ") for line in block.splitlines() if "access_token_file" not in line
    )
    settings = parse_settings(tomllib.loads('[local]\npaths = ["x"]\n' + section))
    assert settings.tiktok is not None and settings.tiktok.authorize is False


def test_the_columns_land_in_the_sheet(
    project: Project, emulator: SheetsEmulator, tmp_path: Path
) -> None:
    key = emulator.create_spreadsheet("Campaign")
    creds = tmp_path / "service-account.json"
    creds.write_text(json.dumps({"type": "service_account", "client_email": "s@x.iam.example"}))
    project.config.write_text(
        project.config.read_text()
        + f'\n[sheets]\nspreadsheet = "{key}"\ncredentials_file = "{creds}"\n'
        f'endpoint = "{emulator.base_url}"\n'
    )
    code = project.code(0, tiktok_name="mia")
    project.mail(0)
    result = project.cli("run")
    assert result.exit_code == 0, result.output
    header, *rows = emulator.values(key, "Spark codes", pad=True)
    row = dict(zip(header, rows[0], strict=True))
    assert row["spark_code"] == code
    assert (row["tiktok_status"], row["tiktok_name"], row["duration_source"]) == (
        "active",
        "mia",
        "tiktok",
    )
    assert row["checked_at"] and row["tiktok_item_id"] == "7300000000000000000"
    assert {"tiktok_detail", "code_source", "ad_account"} <= set(header)


def test_watch_rechecks_once_a_day(project: Project, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.state import State
    from pipeline.verify import LAST_VERIFY, daily_verify
    from pipeline.wiring import make_job

    code = project.code(0)
    project.code(1)
    project.mail(0, 1)
    assert project.cli("run").exit_code == 0
    monkeypatch.setenv(TOKEN_ENV, project.emu.token)
    settings = config.load(project.config)
    project.emu.set_state(code, VIDEO_DELETED)
    with State(settings.state_path) as state:
        job = make_job(settings, state)
        line = daily_verify(state, job)  # never verified yet: due
        assert line is not None and "active 1, video_unavailable 1" in line
        sent = len(project.emu.requests)
        assert daily_verify(state, job) is None  # done today
        assert len(project.emu.requests) == sent
        state.set_meta(LAST_VERIFY, "2026-01-01T00:00:00+00:00")  # a day (and more) later
        project.emu.revoke_token()
        with pytest.raises(Exception, match="get a new token"):
            daily_verify(state, job)
    assert project.codes().loc[code, "tiktok_status"] == "video_unavailable"


def test_commands_that_only_read_the_sinks_need_no_token(project: Project) -> None:
    project.code(0)
    project.mail(0)
    assert project.cli("run").exit_code == 0
    result = CliRunner().invoke(
        main,
        ["expiring", "--within", "60d", "--config", str(project.config)],
        env={TOKEN_ENV: None},
    )
    assert result.exit_code == 0, result.output
    assert code_for(0) in result.stdout


def test_an_older_state_file_gains_the_tiktok_tables_on_open(tmp_path: Path) -> None:
    import sqlite3

    from pipeline.state import State, StateJournal

    path = tmp_path / "state.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE cursors (source TEXT PRIMARY KEY, cursor TEXT NOT NULL,"
        " updated_at TEXT NOT NULL);"
        "CREATE TABLE messages (message_id TEXT PRIMARY KEY, processed_at TEXT NOT NULL);"
        "INSERT INTO messages VALUES ('<m@x> abc', '2026-11-01T00:00:00+00:00');"
    )
    old.commit()
    old.close()
    with State(path) as state:
        assert state.has_processed()
        assert state.tiktok_rows() == [] and state.meta("tiktok_seeded") is None
        state.tiktok_record([{"spark_code": "#abc", "tiktok_status": "active"}])
        journal = StateJournal(state)
        journal.record_attempt("#abc")
        assert journal.state("#abc") == "attempted"
    with State(path) as state:  # durable across opens
        assert StateJournal(state).state("#abc") == "attempted"
        assert state.tiktok_count("active") == 1
