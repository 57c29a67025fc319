"""The command line: click commands only; jobs are built by pipeline.wiring.

Entry point `pipeline.cli:main`. `commands` holds run, watch, parse, check and init; `review`
the review-queue commands (failures, reprocess, resolve, expiring); `errors` the exit codes and
the one clean-error rule every command applies.
"""

from pipeline.cli.commands import main

__all__ = ["main"]
