"""The `sparkcodes` command: parses arguments, calls the library, maps errors to exit codes.

Exit codes: 0 all good; 1 finished, with emails for review; 2 could not run.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import click

import config
from config.settings import Settings
from parsers.extract import Options, extract
from pipeline.imap import ImapError, Mailbox, read_secret
from pipeline.local import SourceError, read_paths
from pipeline.lock import AlreadyRunning, RunLock
from pipeline.run import Summary, sync_local, sync_mailbox
from pipeline.state import State, StateError
from pipeline.watch import watch as watch_loop
from sinks import Sink, SinkError
from sinks.csv import CsvSink
from sinks.sheets import RetryPolicy, SheetsSink, make_client, service_account_email

EXIT_OK = 0
EXIT_REVIEW = 1
EXIT_CANNOT_RUN = 2

# Every error a person can act on, turned into one clean sentence and exit code 2.
_EXPECTED = (
    config.ConfigError,
    ImapError,
    SinkError,
    StateError,
    SourceError,
    AlreadyRunning,
)


class CannotRun(click.ClickException):
    """A clean error and the 'could not run' exit code; never a traceback."""

    exit_code = EXIT_CANNOT_RUN

    def show(self, file: object = None) -> None:
        click.echo(f"sparkcodes: {self.format_message()}", err=True)


@contextmanager
def clean_errors() -> Iterator[None]:
    try:
        yield
    except _EXPECTED as exc:
        hint = " (temporary; the next run will retry)" if getattr(exc, "retryable", False) else ""
        raise CannotRun(f"{exc}{hint}") from exc


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: ./sparkcodes.toml, then $XDG_CONFIG_HOME/sparkcodes/).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sparkcodes")
def main() -> None:
    """Turn TikTok Spark Ads codes that creators email into a clean campaign spreadsheet."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--default-days",
    type=click.IntRange(1, 3650),
    help="Fill a missing period with this many days (marked as defaulted).",
)
def parse(paths: tuple[Path, ...], default_days: int | None) -> None:
    """Print every code (and every email without one) in PATHS as JSON Lines.

    PATHS may be .eml files, folders of them, mbox files or Maildirs. Nothing is written
    anywhere else. Exits 1 when some email produced no code.
    """
    options = Options(default_days=default_days)
    failures = 0
    with clean_errors():
        for message in read_paths(list(paths)):
            result = extract(
                message.raw, message.source, options=options, received_at=message.received_at
            )
            failures += result.failure is not None
            for record in result.records:
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.exit(EXIT_REVIEW if failures else EXIT_OK)


@main.command()
@config_option
@click.option(
    "--full", is_flag=True, help="Read every message again, not only new ones (rows stay unique)."
)
def run(config_path: Path | None, full: bool) -> None:
    """Sync new emails into the configured sinks and print a one-line summary.

    Exits 0 when all is good, 1 when some emails need review, 2 when it could not run.
    """
    with clean_errors():
        settings = config.load(config_path)
        with RunLock(_lock_path(settings)), State(settings.state_path) as state:
            summary = _sync_once(settings, state, full=full)
    click.echo(summary.line())
    sys.exit(EXIT_REVIEW if summary.failures else EXIT_OK)


@main.command()
@config_option
def watch(config_path: Path | None) -> None:
    """Stay connected and sync as mail arrives (IMAP IDLE, else polling) until stopped.

    Reconnects with backoff after network errors; stops cleanly on SIGTERM or Ctrl-C.
    """
    with clean_errors():
        settings = config.load(config_path)
        if settings.imap is None:
            raise CannotRun("watch needs an [imap] section in the config")
        secret = read_secret(settings.imap, _base(settings))
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        with RunLock(_lock_path(settings)), State(settings.state_path) as state:
            click.echo(f"watching {settings.imap.folder} on {settings.imap.host}", err=True)
            watch_loop(
                settings,
                secret,
                state,
                _sinks(settings),
                _options(settings),
                stop,
                lambda line: click.echo(line, err=True),
            )
    click.echo("stopped", err=True)


def _sync_once(settings: Settings, state: State, *, full: bool) -> Summary:
    sinks = _sinks(settings)
    options = _options(settings)
    if settings.imap is not None:
        secret = read_secret(settings.imap, _base(settings))
        with Mailbox(settings.imap, secret, base=_base(settings)) as mailbox:
            return sync_mailbox(mailbox, state, sinks, options, full=full)
    paths = [settings.resolve(p) for p in settings.local.paths]
    return sync_local(read_paths(paths), None if full else state, sinks, options)


def _sinks(settings: Settings) -> list[Sink]:
    sinks: list[Sink] = []
    if settings.csv is not None:
        csv = settings.csv
        sinks.append(CsvSink(settings.resolve(csv.path), settings.resolve(csv.failures_path)))
    if settings.sheets is not None:
        sinks.append(sheets_sink(settings))
    return sinks


def sheets_sink(settings: Settings) -> SheetsSink:
    sheets = settings.sheets
    assert sheets is not None
    credentials = settings.resolve(sheets.credentials_file) if sheets.credentials_file else None
    return SheetsSink(
        make_client(credentials, sheets.endpoint),
        sheets.spreadsheet,
        worksheet=sheets.worksheet,
        failures_worksheet=sheets.failures_worksheet,
        retry=RetryPolicy(attempts=sheets.max_attempts, max_wait=sheets.max_backoff_seconds),
        share_with=service_account_email(credentials),
    )


def _options(settings: Settings) -> Options:
    return Options(
        max_bytes=settings.parsing.max_message_bytes,
        default_days=settings.parsing.default_duration_days,
    )


def _lock_path(settings: Settings) -> Path:
    return settings.state_path.with_suffix(".lock")


def _base(settings: Settings) -> Path | None:
    return settings.path.parent if settings.path else None
