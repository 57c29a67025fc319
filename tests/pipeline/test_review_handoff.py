"""A handled review item gives its message back on the server (issue 10 item 17): `reprocess`
that now parses it and `resolve` remove the $SparkReview keyword, against the real Dovecot."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from tests.pipeline.cli_helpers import imap_config, sparkcodes
from tests.pipeline.mailgen import creator_email
from tests.pipeline.test_review import labelled_oddly
from tests.servers.dovecot import Dovecot
from tests.servers.dovecot_fixtures import ImapAccount

KEYWORD = "$SparkReview"


def flagged(dovecot: Dovecot, account: ImapAccount, folder: str = "INBOX") -> list[int]:
    with dovecot.client(account.username) as imap:
        imap.select_folder(folder, readonly=True)
        return list(imap.search(["KEYWORD", KEYWORD]))


def open_items(config: Path, env: dict[str, str]) -> list[str]:
    listed = sparkcodes("failures", "--config", str(config), "--format", "json", env=env)
    return [json.loads(line)["failure_id"] for line in listed.stdout.splitlines()]


def test_reprocess_that_now_parses_removes_the_review_keyword(
    tmp_path: Path, dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    dovecot.append_many(
        imap_account.username, "INBOX", [labelled_oddly(1), creator_email(2, with_code=False)]
    )
    config = imap_config(tmp_path, imap_account)
    env = {"TEST_IMAP_PASSWORD": imap_account.password}
    assert sparkcodes("run", "--config", str(config), env=env).returncode == 1
    assert len(flagged(dovecot, imap_account)) == 2
    config.write_text(config.read_text() + '[rules]\ncode_labels = ["Freigabeschlüssel"]\n')
    result = sparkcodes("reprocess", "--all", "--config", str(config), env=env)
    assert result.stdout.startswith("reprocessed 2: 1 now parse"), result.stdout
    assert f"removed {KEYWORD} from 1 message(s) in 'INBOX'" in result.stderr
    # the one that still needs review keeps its keyword
    assert len(flagged(dovecot, imap_account)) == 1


def test_resolve_removes_the_review_keyword_in_the_review_folder(
    tmp_path: Path, dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    dovecot.append_many(
        imap_account.username,
        "INBOX",
        [creator_email(3, with_code=False), creator_email(4, with_code=False)],
    )
    config = imap_config(
        tmp_path, imap_account, extra='[review]\nimap_move_to = "Spark/Needs review"\n'
    )
    env = {"TEST_IMAP_PASSWORD": imap_account.password}
    assert sparkcodes("run", "--config", str(config), env=env).returncode == 1
    assert len(flagged(dovecot, imap_account, "Spark/Needs review")) == 2
    first = open_items(config, env)[0]
    result = sparkcodes("resolve", first, "--config", str(config), env=env)
    assert result.returncode == 0, result.stderr
    assert "1 marked resolved" in result.stdout
    assert f"removed {KEYWORD} from 1 message(s) in 'Spark/Needs review'" in result.stderr
    assert len(flagged(dovecot, imap_account, "Spark/Needs review")) == 1


def test_resolve_without_the_server_still_resolves_and_says_the_keyword_stays(
    tmp_path: Path, dovecot: Dovecot, imap_account: ImapAccount
) -> None:
    dovecot.append(imap_account.username, "INBOX", creator_email(5, with_code=False))
    config = imap_config(tmp_path, imap_account)
    env = {"TEST_IMAP_PASSWORD": imap_account.password}
    assert sparkcodes("run", "--config", str(config), env=env).returncode == 1
    item = open_items(config, env)[0]
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    config.write_text(
        config.read_text().replace(f"port = {imap_account.ssl_port}", f"port = {port}")
    )
    result = sparkcodes("resolve", item, "--config", str(config), env=env)
    assert result.returncode == 0, result.stderr
    assert "1 marked resolved" in result.stdout
    assert f"{KEYWORD} stays on 1 message(s) in 'INBOX'" in result.stderr
    assert "connection refused" in result.stderr
    assert open_items(config, env) == []
    assert len(flagged(dovecot, imap_account)) == 1
