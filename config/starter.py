"""A starter config written from a few answers, as `sparkcodes init` asks them."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from config.settings import Settings, parse


@dataclass(frozen=True, slots=True)
class Answers:
    host: str
    username: str
    port: int | None = None  # None: the usual port of `security`
    security: str = "ssl"
    auth: str = "password"
    password_env: str = "SPARKCODES_IMAP_PASSWORD"
    token_command: str = ""
    folder: str = "INBOX"
    csv_path: str = "out/spark_codes.csv"
    spreadsheet: str = ""
    credentials_file: str = ""


def _q(value: str) -> str:
    """A TOML basic string (JSON's escaping is a subset TOML accepts)."""
    return json.dumps(value, ensure_ascii=False)


def render(a: Answers) -> str:
    """The commented TOML text; validated before it is returned, so init never writes junk."""
    if a.auth == "oauth2":
        secret = (
            'auth = "oauth2"\n'
            f"oauth2_token_command = {_q(a.token_command)}   # prints a current access token\n"
        )
    else:
        secret = (
            f"password_env = {_q(a.password_env)}   # export it, e.g. in the cron line; "
            "an app password for Gmail\n"
        )
    port = f"port = {a.port}\n" if a.port is not None else ""
    csv_dir = str(Path(a.csv_path).parent)
    sheets = (
        "\n[sheets]\n"
        f"spreadsheet = {_q(a.spreadsheet)}\n"
        'worksheet = "Spark codes"\n'
        'failures_worksheet = "Needs review"\n'
        f"credentials_file = {_q(a.credentials_file)}   # share the sheet with its client_email\n"
        if a.spreadsheet
        else '\n# [sheets]\n# spreadsheet = "https://docs.google.com/spreadsheets/d/.../edit"\n'
        '# credentials_file = "service-account.json"\n'
    )
    text = (
        "# sparkcodes configuration, written by `sparkcodes init`; every key is explained in\n"
        "# config/example.toml and the README. Check it with `sparkcodes check`.\n\n"
        "[imap]\n"
        f"host = {_q(a.host)}\n"
        f'security = "{a.security}"   # "ssl" (implicit TLS), "starttls" or "none" (loopback)\n'
        f"{port}"
        f"username = {_q(a.username)}\n"
        f"{secret}"
        f"folder = {_q(a.folder)}\n"
        'mark = "keyword"   # processed mail gets the $SparkParsed keyword; never marked read\n\n'
        "[csv]\n"
        f"path = {_q(a.csv_path)}\n"
        f"failures_path = {_q(str(Path(csv_dir) / 'failures.csv'))}\n"
        f"{sheets}"
    )
    check(text)
    return text


def check(text: str) -> Settings:
    return parse(tomllib.loads(text))
