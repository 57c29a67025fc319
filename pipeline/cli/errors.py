"""What every command shares: expected errors become one sentence and exit code 2.

The rule itself (transient or terminal) is config/errors.py; this is only its face on the
command line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from config.errors import SparkcodesError, TransientError

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
