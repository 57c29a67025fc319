"""Config mistakes and `check` as ops meet them (issue 10 items 15, 16 and 17): files that
cannot be written, one file given for two purposes, quoted numbers, no config at all."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from config.settings import ConfigError, parse
from pipeline import check
from tests.pipeline.cli_helpers import sparkcodes
from tests.pipeline.mailgen import creator_email

DEFAULT_CSV = 'path = "out/codes.csv"\nfailures_path = "out/failures.csv"'


def local_config(tmp: Path, csv: str = DEFAULT_CSV, extra: str = "") -> Path:
    inbox = tmp / "inbox"
    inbox.mkdir(exist_ok=True)
    (inbox / "a.eml").write_bytes(creator_email(1))
    config = tmp / "sparkcodes.toml"
    config.write_text(
        f'[local]\npaths = ["inbox"]\n[state]\npath = "state/s.sqlite3"\n[csv]\n{csv}\n{extra}',
        encoding="utf-8",
    )
    return config


def csv_line(result: subprocess.CompletedProcess[str]) -> str:
    return next(line for line in result.stdout.splitlines() if " csv: " in line)


@contextlib.contextmanager
def immutable(path: Path) -> Iterator[None]:
    """chattr +i: not even root can change or replace the file."""
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not possible here: {done.stderr.decode().strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_check_fails_when_the_csv_file_is_immutable(tmp_path: Path) -> None:
    # README: "`sparkcodes check` ... tests the files, and says what is wrong in one sentence".
    config = local_config(tmp_path)
    assert sparkcodes("run", "--config", str(config)).returncode == 0
    codes = tmp_path / "out" / "codes.csv"
    with immutable(codes):
        result = sparkcodes("check", "--config", str(config))
        (tmp_path / "inbox" / "b.eml").write_bytes(creator_email(2))
        assert sparkcodes("run", "--config", str(config)).returncode == 2  # the run agrees
    assert result.returncode == 2
    assert csv_line(result).startswith("FAIL")
    assert f"cannot write {codes}" in csv_line(result)


def test_check_fails_when_the_failures_file_is_immutable(tmp_path: Path) -> None:
    config = local_config(tmp_path)
    assert sparkcodes("run", "--config", str(config)).returncode == 0
    failures = tmp_path / "out" / "failures.csv"
    with immutable(failures):
        result = sparkcodes("check", "--config", str(config))
    assert result.returncode == 2
    assert f"cannot write {failures}" in csv_line(result)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write a read-only file")
def test_check_fails_when_the_csv_file_is_read_only(tmp_path: Path) -> None:
    config = local_config(tmp_path)
    assert sparkcodes("run", "--config", str(config)).returncode == 0
    codes = tmp_path / "out" / "codes.csv"
    codes.chmod(0o444)
    result = sparkcodes("check", "--config", str(config))
    assert result.returncode == 2
    assert f"cannot write {codes}" in csv_line(result)


def test_check_fails_when_the_csv_path_is_a_folder(tmp_path: Path) -> None:
    config = local_config(tmp_path)
    (tmp_path / "out" / "codes.csv").mkdir(parents=True)
    result = sparkcodes("check", "--config", str(config))
    assert result.returncode == 2
    assert "codes.csv is a folder, not a CSV file" in csv_line(result)


def test_check_passes_on_writable_files_and_says_what_the_first_run_creates(
    tmp_path: Path,
) -> None:
    config = local_config(tmp_path)
    result = sparkcodes("check", "--config", str(config))
    assert result.returncode == 0, result.stdout
    assert "the first run will create codes.csv, failures.csv" in csv_line(result)


def test_one_broken_check_does_not_hide_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = parse({"local": {"paths": [str(tmp_path)]}}, tmp_path / "c.toml")

    def broken(_: object) -> Iterator[check.Check]:
        raise UnicodeEncodeError("ascii", "ä", 0, 1, "ordinal not in range(128)")
        yield  # pragma: no cover

    monkeypatch.setattr(check, "_local", broken)
    results = list(check.run_checks(settings))
    assert [r.name for r in results] == ["local", "csv", "state"]
    assert not results[0].ok and "unexpected error (UnicodeEncodeError" in results[0].sentence
    assert results[1].ok and results[2].ok


@pytest.mark.parametrize(
    "failures_path",
    ['"out/codes.csv"', '"./out/../out/codes.csv"', "ABSOLUTE"],
)
def test_the_same_file_for_codes_and_failures_is_a_config_error(
    tmp_path: Path, failures_path: str
) -> None:
    failures_path = failures_path.replace("ABSOLUTE", f'"{tmp_path / "out" / "codes.csv"}"')
    config = local_config(tmp_path, csv=f'path = "out/codes.csv"\nfailures_path = {failures_path}')
    result = sparkcodes("run", "--config", str(config))
    assert result.returncode == 2
    assert "csv.path and csv.failures_path are the same file" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("parsing", "default_duration_days", '"30"'),
        ("parsing", "default_duration_days", "true"),
        ("parsing", "max_message_bytes", '"30000000"'),
        ("review", "expiring_within_days", '"7"'),
        ("watch", "max_backoff_seconds", '"60"'),
        ("rules", "period_phrases", '{ "the whole campaign" = "60" }'),
    ],
)
def test_numbers_in_quotes_are_errors_that_name_the_key(section: str, key: str, value: str) -> None:
    text = f"[local]\npaths = ['.']\n[{section}]\n{key} = {value}\n"
    import tomllib

    with pytest.raises(ConfigError, match=rf"'{section}\.{key}"):
        parse(tomllib.loads(text))


def test_real_numbers_still_pass() -> None:
    settings = parse(
        {
            "local": {"paths": ["."]},
            "parsing": {"default_duration_days": 30},
            "watch": {"idle_seconds": 5, "max_backoff_seconds": 2.5},
        }
    )
    assert settings.parsing.default_duration_days == 30
    assert settings.watch.idle_seconds == 5.0


def test_no_config_file_points_to_init(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(Path(sparkcodes.__globals__["SPARKCODES"])), "run"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")},
        stdin=subprocess.DEVNULL,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no config file at" in result.stderr
    assert "sparkcodes init" in result.stderr


def test_starttls_on_port_993_is_a_config_error() -> None:
    imap = {"host": "imap.example.com", "username": "u", "password_env": "X", "port": 993}
    with pytest.raises(ConfigError, match="port 993 speaks TLS from the start"):
        parse({"imap": {**imap, "security": "starttls"}})
    assert parse({"imap": {**imap, "security": "ssl"}}).imap is not None


def _paths(model: object, where: str = "") -> Iterator[tuple[str, Path]]:
    """Every Path a settings object exposes, with its dotted key."""
    from pydantic import BaseModel

    assert isinstance(model, BaseModel)
    for key in type(model).model_fields:
        value = getattr(model, key)
        name = f"{where}{key}"
        if isinstance(value, BaseModel):
            yield from _paths(value, f"{name}.")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Path):
                yield name, item


def test_every_path_a_loaded_config_exposes_is_already_absolute(tmp_path: Path) -> None:
    """'Relative to the config file' is decided once, at load: no caller resolves paths again."""
    folder = tmp_path / "conf"
    settings = parse(
        {
            "imap": {
                "host": "imap.example.com",
                "username": "u",
                "password_file": "secret.txt",
                "ca_file": "certs/ca.pem",
            },
            "local": {"paths": ["inbox", "~/mail.mbox"]},
            "csv": {"path": "out/codes.csv", "failures_path": "out/failures.csv"},
            "sheets": {"spreadsheet": "k", "credentials_file": "sa.json"},
            "state": {"path": "state/s.sqlite3"},
        },
        folder / "sparkcodes.toml",
    )
    found = dict(_paths(settings))
    assert len(found) >= 8  # the walk saw every kind of path key
    relative = {k: p for k, p in _paths(settings) if not p.is_absolute()}
    assert relative == {}
    assert settings.imap is not None and settings.imap.password_file == folder / "secret.txt"
    assert settings.local.paths == [folder / "inbox", Path("~/mail.mbox").expanduser()]
    assert settings.state_path == folder / "state" / "s.sqlite3"
    assert settings.review_store == folder / "state" / "review"
