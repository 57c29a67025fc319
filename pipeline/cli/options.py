"""Options more than one command takes."""

from __future__ import annotations

from pathlib import Path

import click

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: ./sparkcodes.toml, then $XDG_CONFIG_HOME/sparkcodes/).",
)

jobs_option = click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 256),
    default=None,
    help="Processes that read emails in parallel (default: one per core; 1: this process only).",
)

# Hidden: the tests shorten it; two minutes suits any real email (a screenshot's OCR included).
message_timeout_option = click.option(
    "--message-timeout",
    type=click.FloatRange(0.1, 3600),
    default=None,
    hidden=True,
    help="Seconds a worker may spend on one email before it becomes a review item.",
)


def job_count(jobs: int | None) -> int:
    """`--jobs` as given, else one worker per core this process may use."""
    if jobs is not None:
        return jobs
    from pipeline.workers import default_jobs

    return default_jobs()
