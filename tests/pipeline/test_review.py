"""Ops review end to end: the queue, show, a config rule fixing a failure and `reprocess`
moving it into the codes (CSV and the Sheets emulator), resolve, the sheet's Status column,
the IMAP hand-off, and `expiring` on a frozen clock."""

from __future__ import annotations

import json
from email.message import EmailMessage
from pathlib import Path

import pandas as pd

from parsers.records import failure_id
from tests.pipeline.cli_helpers import imap_config, sparkcodes
from tests.pipeline.mailgen import code_for, creator_email
from tests.servers.dovecot import Dovecot
from tests.servers.dovecot_fixtures import ImapAccount
from tests.sheets_emulator.server import SheetsEmulator

CODE = code_for(77, "review")


def labelled_oddly(i: int) -> bytes:
    """A code announced with a word sparkcodes does not know, and no '#'."""
    msg = EmailMessage()
    msg["From"] = "Lea <lea@example.net>"
    msg["To"] = "spark@brand.example"
    msg["Subject"] = "Freigabe"
    msg["Date"] = "Mon, 02 Nov 2026 09:00:00 +0000"
    msg["Message-ID"] = f"<odd-{i}@example.net>"
    msg.set_content(f"Hallo! Freigabeschlüssel: {CODE[1:]}\nGilt für die ganze Kampagne.\n")
    return msg.as_bytes()


def local_config(tmp: Path, inbox: Path, extra: str = "") -> Path:
    path = tmp / "sparkcodes.toml"
    path.write_text(
        f'[local]\npaths = ["{inbox}"]\n[csv]\npath = "out/codes.csv"\n'
        f'failures_path = "out/failures.csv"\n[state]\npath = "state/s.sqlite3"\n{extra}'
    )
    return path


def csv_rows(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def test_queue_show_rule_reprocess_and_resolve(tmp_path: Path, emulator: SheetsEmulator) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "odd.eml").write_bytes(labelled_oddly(1))
    (inbox / "later.eml").write_bytes(creator_email(5, with_code=False))
    (inbox / "good.eml").write_bytes(creator_email(6))
    key = emulator.create_spreadsheet("Campaign")
    sheets = f'[sheets]\nspreadsheet = "{key}"\nendpoint = "{emulator.base_url}"\n'
    config = local_config(tmp_path, inbox, sheets)
    assert sparkcodes("run", "--config", str(config)).returncode == 1

    listed = sparkcodes("failures", "--config", str(config), "--format", "json")
    items = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(i["failure_id"] for i in items) == sorted(
        failure_id(m) for m in ("<odd-1@example.net>", "<creator-5@example.net>")
    )
    odd = failure_id("<odd-1@example.net>")
    shown = sparkcodes("failures", "show", odd, "--config", str(config))
    assert shown.returncode == 0
    assert "no_code_found" in shown.stdout
    assert "Freigabeschlüssel" in shown.stdout  # the text the parser saw

    # Nothing changes until the rules do.
    again = sparkcodes("reprocess", "--all", "--config", str(config))
    assert "0 now parse" in again.stdout and again.returncode == 1

    rules = (
        '[rules]\ncode_labels = ["Freigabeschlüssel"]\nperiod_phrases = { "ganze Kampagne" = 60 }\n'
    )
    config.write_text(config.read_text() + rules)
    fixed = sparkcodes("reprocess", odd, "--config", str(config))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "1 now parse (1 codes)" in fixed.stdout

    codes = csv_rows(tmp_path / "out" / "codes.csv")
    assert sorted(codes["spark_code"]) == sorted([CODE, code_for(6)])
    assert codes.loc[codes.spark_code == CODE, "duration_days"].item() == "60"
    failures_csv = csv_rows(tmp_path / "out" / "failures.csv")
    assert failures_csv.loc[failures_csv.failure_id == odd, "status"].item() == "resolved"
    sheet = emulator.values(key, "Spark codes", pad=True)
    assert sorted(r[0] for r in sheet[1:]) == sorted([CODE, code_for(6)])
    review = emulator.values(key, "Needs review", pad=True)
    status = review[0].index("status")
    assert [r[status] for r in review[1:] if r[0] == odd] == ["resolved"]
    queue = sparkcodes("failures", "--config", str(config), "--format", "json").stdout
    assert odd not in queue

    # A second reprocess or run writes nothing twice.
    assert sparkcodes("reprocess", "--all", "--config", str(config)).returncode == 1
    sparkcodes("run", "--config", str(config))
    assert len(csv_rows(tmp_path / "out" / "codes.csv")) == 2
    assert len(emulator.values(key, "Spark codes")) == 3

    later = failure_id("<creator-5@example.net>")
    assert sparkcodes("resolve", later, "--config", str(config)).returncode == 0
    failures_csv = csv_rows(tmp_path / "out" / "failures.csv")
    assert failures_csv.loc[failures_csv.failure_id == later, "status"].item() == "resolved"
    review = emulator.values(key, "Needs review", pad=True)
    status = review[0].index("status")
    assert [r[status] for r in review[1:] if r[0] == later] == ["resolved"]
    assert sparkcodes("failures", "--config", str(config)).stdout.strip() == (
        "failure_id,status,reason,creator_email,subject,received_at,detail"
    )


def test_status_set_in_the_sheet_reaches_the_queue(
    tmp_path: Path, emulator: SheetsEmulator
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.eml").write_bytes(creator_email(1, with_code=False))
    key = emulator.create_spreadsheet("Campaign")
    config = local_config(
        tmp_path, inbox, f'[sheets]\nspreadsheet = "{key}"\nendpoint = "{emulator.base_url}"\n'
    )
    sparkcodes("run", "--config", str(config))
    validation = emulator.data_validation(key, "Needs review")
    assert validation and all(
        [v["userEnteredValue"] for v in rule["condition"]["values"]]
        == ["open", "resolved", "ignored"]
        for rule in validation.values()
    )
    review = emulator.values(key, "Needs review", pad=True)
    col = review[0].index("status")
    emulator.set_values(key, "Needs review", [["ignored"]], start=f"{chr(65 + col)}2")
    sparkcodes("run", "--config", str(config))
    listed = sparkcodes("failures", "--config", str(config), "--all", "--format", "json")
    assert [json.loads(line)["status"] for line in listed.stdout.splitlines()] == ["ignored"]


def test_expiry_colours_are_set_once(tmp_path: Path, emulator: SheetsEmulator) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "a.eml").write_bytes(creator_email(1))
    key = emulator.create_spreadsheet("Campaign")
    config = local_config(
        tmp_path, inbox, f'[sheets]\nspreadsheet = "{key}"\nendpoint = "{emulator.base_url}"\n'
    )
    sparkcodes("run", "--config", str(config))
    rules = emulator.conditional_formats(key, "Spark codes")
    formulas = [r["booleanRule"]["condition"]["values"][0]["userEnteredValue"] for r in rules]
    assert formulas == ['=$D2="expiring"', '=$D2="expired"']
    (inbox / "b.eml").write_bytes(creator_email(2))
    sparkcodes("run", "--config", str(config))
    assert len(emulator.conditional_formats(key, "Spark codes")) == 2  # not added again


def test_expiring_on_a_frozen_clock(tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i, days in ((1, 7), (2, 30), (3, 60)):
        (inbox / f"{i}.eml").write_bytes(creator_email(i, days=days))
    config = local_config(tmp_path, inbox)
    sparkcodes("run", "--config", str(config))
    # Authorized 2026-11-01; so 7 days → Nov 8, 30 → Dec 1, 60 → Dec 31.
    result = sparkcodes(
        "expiring",
        "--within",
        "7d",
        "--now",
        "2026-11-28T00:00:00+00:00",
        "--format",
        "json",
        "--config",
        str(config),
    )
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["spark_code"], r["status"]) for r in rows] == [
        (code_for(1), "expired"),
        (code_for(2), "expiring"),
    ]
    assert rows[1]["days_left"] == 3.0
    table = sparkcodes(
        "expiring",
        "--within",
        "2w",
        "--now",
        "2026-12-20T00:00:00+00:00",
        "--format",
        "table",
        "--config",
        str(config),
    )
    assert table.stdout.splitlines()[0].split()[:3] == ["expires_at", "days_left", "status"]
    assert len(table.stdout.splitlines()) == 4  # header and three codes, the last expiring


def test_imap_hand_off_of_failed_messages(
    tmp_path: Path, dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    dovecot.append_many(
        imap_account.username, "INBOX", [creator_email(1), creator_email(2, with_code=False)]
    )
    config = imap_config(
        tmp_path, imap_account, extra='[review]\nimap_move_to = "Spark/Needs review"\n'
    )
    env = {"TEST_IMAP_PASSWORD": imap_account.password}
    assert sparkcodes("run", "--config", str(config), env=env).returncode == 1
    with dovecot.client(imap_account.username) as imap:
        imap.select_folder("Spark/Needs review", readonly=True)
        uids = imap.search(["KEYWORD", "$SparkReview"])
        assert len(uids) == 1
        subject = imap.fetch(uids, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        assert b"creator-2@" in next(iter(subject.values()))[b"BODY[HEADER.FIELDS (MESSAGE-ID)]"]
        imap.select_folder("INBOX", readonly=True)
        assert len(imap.search(["ALL"])) == 1  # the good one stays, marked parsed
        assert len(imap.search(["KEYWORD", "$SparkParsed"])) == 1
