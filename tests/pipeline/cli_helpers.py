"""Run the installed `sparkcodes` command the way a user or cron does."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.servers.dovecot_fixtures import ImapAccount

SPARKCODES = str(Path(sys.executable).with_name("sparkcodes"))


def sparkcodes(
    *args: str, env: dict[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SPARKCODES, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def imap_config(tmp: Path, account: ImapAccount, *, batch_size: int = 200, extra: str = "") -> Path:
    path = tmp / "sparkcodes.toml"
    path.write_text(
        f"""
[imap]
host = "{account.host}"
port = {account.ssl_port}
security = "ssl"
username = "{account.username}"
password_env = "TEST_IMAP_PASSWORD"
folder = "INBOX"
ca_file = "{account.ca_file}"
batch_size = {batch_size}
timeout_seconds = 10
{extra}
[csv]
path = "out/spark_codes.csv"
failures_path = "out/failures.csv"

[state]
path = "state/state.sqlite3"
""",
        encoding="utf-8",
    )
    return path
