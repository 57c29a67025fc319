"""Settings turned into the parts of a job (sinks, options, review store), and the error
handling every command shares: expected errors become one sentence and exit code 2."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from config.errors import SparkcodesError, TransientError
from config.settings import Settings
from parsers.extract import Campaign, Options
from pipeline.review import ReviewStore
from pipeline.run import Job
from pipeline.state import State
from sinks import Sink
from sinks.csv import CsvSink
from sinks.sheets import RetryPolicy, SheetsSink, make_client, service_account_email
from sinks.upsert import Expiry

EXIT_OK = 0
EXIT_REVIEW = 1
EXIT_CANNOT_RUN = 2


class CannotRun(click.ClickException):
    """A clean error and the 'could not run' exit code; never a traceback."""

    exit_code = EXIT_CANNOT_RUN

    def show(self, file: object = None) -> None:
        click.echo(f"sparkcodes: {self.format_message()}", err=True)


@contextmanager
def clean_errors() -> Iterator[None]:
    try:
        yield
    except SparkcodesError as exc:
        # Every error a person can act on: one sentence and exit 2; the marker decides the hint.
        hint = " (temporary; the next run will retry)" if isinstance(exc, TransientError) else ""
        raise CannotRun(f"{exc}{hint}") from exc


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: ./sparkcodes.toml, then $XDG_CONFIG_HOME/sparkcodes/).",
)


def make_job(settings: Settings, state: State | None, *, full: bool = False) -> Job:
    review = settings.review
    return Job(
        # A CSV that earlier runs wrote and that is now missing stops the run (exit 2) rather
        # than starting a file with only this run's rows; `--full` writes it again.
        sinks=_sinks(
            settings, written_before=state is not None and not full and state.has_processed()
        ),
        options=_options(settings),
        state=state,
        store=review_store(settings),
        review_keyword=review.imap_keyword,
        review_folder=review.imap_move_to,
        full=full,
    )


def review_store(settings: Settings) -> ReviewStore:
    return ReviewStore(settings.review_store, int(settings.review.store_max_mb * 1024 * 1024))


def _sinks(settings: Settings, *, written_before: bool = False) -> list[Sink]:
    expiry = Expiry(warn_days=settings.review.expiring_within_days)
    sinks: list[Sink] = []
    if settings.csv is not None:
        csv = settings.csv
        sinks.append(
            CsvSink(
                settings.resolve(csv.path),
                settings.resolve(csv.failures_path),
                expiry,
                written_before=written_before,
            )
        )
    if settings.sheets is not None:
        sinks.append(sheets_sink(settings, expiry))
    return sinks


def sheets_sink(settings: Settings, expiry: Expiry | None = None) -> SheetsSink:
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
        expiry=expiry,
    )


def _options(settings: Settings) -> Options:
    rules = settings.rules
    return Options(
        max_bytes=settings.parsing.max_message_bytes,
        default_days=settings.parsing.default_duration_days,
        code_labels=tuple(rules.code_labels),
        period_phrases=tuple(rules.period_phrases.items()),
        campaigns=tuple(
            Campaign(c.name, c.subject_tag, c.plus_tag, c.sender_domain) for c in rules.campaigns
        ),
    )


def lock_path(settings: Settings) -> Path:
    return settings.state_path.with_suffix(".lock")


def _base(settings: Settings) -> Path | None:
    return settings.path.parent if settings.path else None
