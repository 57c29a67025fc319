"""`run`, `check` and `init` as a user runs them, with Dovecot and the Sheets emulator."""

from __future__ import annotations

import json
from pathlib import Path

import config
from tests.pipeline.cli_helpers import imap_config, sparkcodes
from tests.pipeline.mailgen import code_for, creator_email
from tests.servers.dovecot import Dovecot
from tests.servers.dovecot_fixtures import ImapAccount
from tests.sheets_emulator.server import SheetsEmulator

SERVICE_ACCOUNT = "sparkcodes-sync@brand-ops.iam.gserviceaccount.com"


def sheets_config(tmp: Path, account: ImapAccount, emulator: SheetsEmulator, key: str) -> Path:
    creds = tmp / "service-account.json"
    creds.write_text(json.dumps({"type": "service_account", "client_email": SERVICE_ACCOUNT}))
    extra = (
        f'\n[sheets]\nspreadsheet = "{key}"\ncredentials_file = "{creds}"\n'
        f'endpoint = "{emulator.base_url}"\n'
    )
    path = imap_config(tmp, account)
    path.write_text(path.read_text() + extra)
    return path


def test_run_syncs_imap_into_the_sheet_and_reruns_quietly(
    tmp_path: Path, dovecot: Dovecot, imap_account: ImapAccount, emulator: SheetsEmulator
) -> None:
    key = emulator.create_spreadsheet("Summer campaign")
    dovecot.append_many(
        imap_account.username,
        "INBOX",
        [creator_email(i) for i in range(3)] + [creator_email(9, with_code=False)],
    )
    config_path = sheets_config(tmp_path, imap_account, emulator, key)
    env = {"TEST_IMAP_PASSWORD": imap_account.password}
    result = sparkcodes("run", "--config", str(config_path), env=env)
    assert result.returncode == 1, result.stderr  # one email for review
    rows = emulator.values(key, "Spark codes")
    assert sorted(r[0] for r in rows[1:]) == sorted(code_for(i) for i in range(3))
    review = emulator.values(key, "Needs review", pad=True)
    ids = review[0].index("message_id")
    assert [r[ids] for r in review[1:]] == ["<creator-9@example.net>"]

    dovecot.append(imap_account.username, "INBOX", creator_email(3))
    emulator.reset_log()
    result = sparkcodes("run", "--config", str(config_path), env=env)
    assert result.returncode == 0, result.stderr
    assert len(emulator.requests) == 2  # one read, one batchUpdate
    assert len(emulator.values(key, "Spark codes")) == 5


def test_check_passes_on_a_good_setup(
    tmp_path: Path, dovecot: Dovecot, imap_account: ImapAccount, emulator: SheetsEmulator
) -> None:
    key = emulator.create_spreadsheet("Campaign")
    config_path = sheets_config(tmp_path, imap_account, emulator, key)
    emulator.reset_log()
    result = sparkcodes(
        "check", "--config", str(config_path), env={"TEST_IMAP_PASSWORD": imap_account.password}
    )
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == ["ok"] * len(lines)
    assert any(line.startswith("ok    imap: logged in") for line in lines)
    assert any("the first run will add Spark codes, Needs review" in line for line in lines)
    assert all(method == "GET" for method, *_ in emulator.requests)  # check changes nothing


def test_check_names_what_is_wrong(
    tmp_path: Path, dovecot: Dovecot, imap_account: ImapAccount, emulator: SheetsEmulator
) -> None:
    key = emulator.create_spreadsheet("Private", shared=False)
    config_path = sheets_config(tmp_path, imap_account, emulator, key)
    result = sparkcodes("check", "--config", str(config_path), env={"TEST_IMAP_PASSWORD": "wrong"})
    assert result.returncode == 2
    out = result.stdout
    assert "FAIL  imap:" in out and "refused the login" in out
    assert (
        f"FAIL  sheets: no permission on spreadsheet {key}: share it with {SERVICE_ACCOUNT}" in out
    )
    assert "Traceback" not in out + result.stderr


def test_init_writes_a_config_that_loads(tmp_path: Path) -> None:
    target = tmp_path / "sparkcodes.toml"
    args = [
        "init",
        "--output",
        str(target),
        "--host",
        "imap.gmail.com",
        "--username",
        "spark@brand.example",
        "--spreadsheet",
        "https://docs.google.com/spreadsheets/d/1AbC/edit",
        "--credentials-file",
        "sa.json",
    ]
    result = sparkcodes(*args)
    assert result.returncode == 0, result.stderr
    settings = config.load(target)
    assert settings.imap is not None and settings.imap.host == "imap.gmail.com"
    assert (
        settings.sheets is not None
        and settings.sheets.credentials_file == target.parent / "sa.json"
    )
    assert "#" in target.read_text()  # commented
    again = sparkcodes(*args)
    assert again.returncode == 2 and "exists; use --force" in again.stderr


def test_init_without_a_terminal_needs_the_host(tmp_path: Path) -> None:
    result = sparkcodes("init", "--output", str(tmp_path / "x.toml"))
    assert result.returncode == 2
    assert "--host is needed" in result.stderr
