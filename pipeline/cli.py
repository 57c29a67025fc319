"""The `sparkcodes` command: parses arguments, calls the library, maps errors to exit codes.

Exit codes: 0 all good; 1 finished, with emails for review; 2 could not run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

import config
from parsers.extract import Options, extract
from pipeline.local import SourceError, read_paths
from pipeline.run import sync
from sinks import SinkError
from sinks.csv import CsvSink

EXIT_OK = 0
EXIT_REVIEW = 1
EXIT_CANNOT_RUN = 2


class CannotRun(click.ClickException):
    """A clean one-paragraph error and the 'could not run' exit code; never a traceback."""

    exit_code = EXIT_CANNOT_RUN

    def show(self, file: object = None) -> None:
        click.echo(f"sparkcodes: {self.format_message()}", err=True)


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
    try:
        for message in read_paths(list(paths)):
            result = extract(
                message.raw, message.source, options=options, received_at=message.received_at
            )
            failures += result.failure is not None
            for record in result.records:
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    except SourceError as exc:
        raise CannotRun(str(exc)) from exc
    sys.exit(EXIT_REVIEW if failures else EXIT_OK)


@main.command()
@config_option
def run(config_path: Path | None) -> None:
    """Sync new emails into the configured sinks and print a one-line summary.

    Exits 0 when all is good, 1 when some emails need review, 2 when it could not run.
    """
    try:
        settings = config.load(config_path)
    except config.ConfigError as exc:
        raise CannotRun(str(exc)) from exc
    paths = [settings.resolve(p) for p in settings.local.paths]
    if not paths:
        raise CannotRun("nothing to read: set [local] paths in the config")
    csv = settings.csv
    sink = CsvSink(settings.resolve(csv.path), settings.resolve(csv.failures_path))
    options = Options(
        max_bytes=settings.parsing.max_message_bytes,
        default_days=settings.parsing.default_duration_days,
    )
    try:
        summary = sync(read_paths(paths), [sink], options)
    except (SourceError, SinkError) as exc:
        raise CannotRun(str(exc)) from exc
    click.echo(summary.line())
    sys.exit(EXIT_REVIEW if summary.failures else EXIT_OK)
