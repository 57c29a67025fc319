"""The ops side of the CLI: list and show review items, reprocess them, resolve them, and list
codes about to expire. Registered on the main command group by `pipeline.cli`."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

import config
from parsers.records import ExpiryStatus, ReviewStatus, failure_id
from pipeline.cli.errors import CannotRun, clean_errors
from pipeline.cli.options import (
    config_option,
    job_count,
    jobs_option,
    message_timeout_option,
)

if TYPE_CHECKING:
    from pipeline.state import State

# Commands import what they use inside their functions, so that `sparkcodes parse` (beside
# these in one command group) does not start by loading pandas, the sinks and the IMAP client.

_LIST_COLUMNS = [
    "failure_id",
    "status",
    "reason",
    "creator_email",
    "subject",
    "received_at",
    "detail",
]


def open_state(config_path: Path | None) -> tuple[config.Settings, State]:
    from pipeline.state import State

    settings = config.load(config_path)
    return settings, State(settings.state_path)


@click.group(invoke_without_command=True)
@config_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default=None,
    help="Default: a table on a terminal, CSV otherwise.",
)
@click.option("--all", "show_all", is_flag=True, help="Resolved and ignored ones too.")
@click.pass_context
def failures(ctx: click.Context, config_path: Path | None, fmt: str | None, show_all: bool) -> None:
    """List the emails waiting for review (open ones; --all for every one)."""
    ctx.ensure_object(dict)["config_path"] = config_path
    if ctx.invoked_subcommand is not None:
        return
    with clean_errors():
        _, state = open_state(config_path)
        with state:
            rows = state.failures(status=None if show_all else ReviewStatus.OPEN)
    emit(rows, _LIST_COLUMNS, fmt)


@failures.command("show")
@click.argument("ident")
@config_option
@click.pass_context
def show(ctx: click.Context, ident: str, config_path: Path | None) -> None:
    """Print one review item: why, and the text the parser saw."""
    from parsers.codes import normalize_text
    from parsers.message import UndecodableMessage, decode
    from pipeline.wiring import review_store

    with clean_errors():
        settings, state = open_state(config_path or ctx.obj.get("config_path"))
        with state:
            item = _find(state, ident)
    for key, value in item.items():
        click.echo(f"{key:14} {_printable(str(value)) if value is not None else ''}")
    raw = review_store(settings).get(item["failure_id"])
    if raw is None:
        click.echo("\n(the raw email was not kept: over the review store's size cap)")
        return
    try:
        text = normalize_text(decode(raw).text)
    except UndecodableMessage as exc:
        text = f"(not readable as an email: {exc})"
    click.echo("\n--- the text the parser saw " + "-" * 50)
    click.echo(_printable(text.strip()) or "(no text at all: an image or an empty email)")


@click.command()
@click.argument("idents", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every open review item.")
@config_option
@jobs_option
@message_timeout_option
def reprocess(
    idents: tuple[str, ...],
    every: bool,
    config_path: Path | None,
    jobs: int | None,
    message_timeout: float | None,
) -> None:
    """Parse stored review items again with the current rules.

    Those that now give clean rows move to the codes (CSV and sheet alike) and leave
    the review queue, and their messages lose the review keyword on the mail server;
    no row is written twice.
    """
    if not idents and not every:
        raise CannotRun("name review items by id, or use --all")
    from pipeline.enrich import enrich
    from pipeline.lock import RunLock
    from pipeline.run import (
        Batch,
        Summary,
        content_key,
        own_review_item,
        record_review,
        write_sinks,
    )
    from pipeline.wiring import lock_path, make_job, review_store, tiktok_of
    from pipeline.workers import DEFAULT_TIMEOUT, extractor
    from sources import RawMessage
    from sources.imap import take_back

    with clean_errors():
        settings, state = open_state(config_path)
        with state, RunLock(lock_path(settings)):
            items = (
                state.failures(status=ReviewStatus.OPEN)
                if every
                else [_find(state, i) for i in idents]
            )
            job = make_job(settings, state)
            store = review_store(settings)
            summary = Summary()
            batch = Batch([], set(), [], [], {})
            results, missing = [], []
            kept: list[tuple[dict[str, Any], RawMessage]] = []
            for item in items:
                raw = store.get(item["failure_id"])
                if raw is None:
                    missing.append(item["failure_id"])
                    continue
                received = _parse_time(item.get("received_at"))
                kept.append((item, RawMessage(raw, item["source"] or "review", received)))
            timeout = message_timeout or DEFAULT_TIMEOUT
            with extractor(job_count(jobs), job.options, timeout) as each:
                done = each.map(message for _, message in kept)
                for message, result in done:
                    # Its own id, as a run would give it.
                    results.append(own_review_item(result, content_key(message.raw), job))
            # The same steps as a run between extraction and the sinks (TikTok's verdict).
            results = list(enrich(results, job.enrichers))
            for (item, message), result in zip(kept, results, strict=True):
                summary.codes += len(result.rows)
                if result.failure is not None:
                    batch.review.append((result.failure.as_record(), len(message.raw)))
                else:
                    batch.cleared.append(item["failure_id"])
            write_sinks(results, job, summary, batch.statuses)
            record_review(job, batch)
            check = tiktok_of(job)
            if check is not None:
                check.raise_if_stopped()  # a token error: exit 2, after the sinks got the rows
    cleared = set(batch.cleared)
    _say(take_back(settings, [item for item in items if item["failure_id"] in cleared]))
    fixed = len(batch.cleared)
    click.echo(
        f"reprocessed {len(results)}: {fixed} now parse ({summary.codes} codes), "
        f"{len(results) - fixed} still need review"
        + (f", {len(missing)} without a kept email" if missing else "")
    )
    sys.exit(1 if len(results) - fixed or missing else 0)


@click.command()
@click.argument("idents", nargs=-1, required=True)
@click.option("--ignore", is_flag=True, help="Mark as ignored rather than resolved.")
@config_option
def resolve(idents: tuple[str, ...], ignore: bool, config_path: Path | None) -> None:
    """Mark review items handled, in the state and in every sink.

    Their messages lose the review keyword on the mail server (when it can be reached).
    """
    from pipeline.lock import RunLock
    from pipeline.wiring import lock_path, make_job
    from sources.imap import take_back

    status = ReviewStatus.IGNORED if ignore else ReviewStatus.RESOLVED
    with clean_errors():
        settings, state = open_state(config_path)
        with state, RunLock(lock_path(settings)):
            items = [_find(state, i) for i in idents]
            ids = [item["failure_id"] for item in items]
            for sink in make_job(settings, None).sinks:
                sink.set_statuses({i: str(status) for i in ids})
            state.set_statuses({i: str(status) for i in ids})
    click.echo(f"{len(ids)} marked {status}")
    _say(take_back(settings, items))


def _say(sentence: str | None) -> None:
    """What happened to the review keyword on the server, on stderr beside the summary."""
    if sentence:
        click.echo(sentence, err=True)


@click.command()
@click.option("--within", default="7d", show_default=True, help="How soon: 7d, 2w, 48h.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default=None)
@click.option("--now", "now_text", hidden=True, help="Pretend it is this time (ISO 8601).")
@config_option
def expiring(within: str, fmt: str | None, now_text: str | None, config_path: Path | None) -> None:
    """List codes that expire soon, and those already expired, soonest first."""
    from pipeline.wiring import make_job
    from sinks import StoredRows

    window = _window(within)
    now = _parse_time(now_text) if now_text else datetime.now(UTC)
    if now is None:
        raise CannotRun(f"--now {now_text!r} is not an ISO 8601 time")
    with clean_errors():
        settings = config.load(config_path)
        readable = [s for s in make_job(settings, None).sinks if isinstance(s, StoredRows)]
        rows = readable[0].code_rows() if readable else []
    out: list[dict[str, Any]] = []
    for row in rows:
        end = _parse_time(row.get("expires_at"))
        if end is None or end - now > window:
            continue
        left = (end - now).total_seconds() / 86400
        out.append(
            {
                "expires_at": row["expires_at"],
                "days_left": round(left, 1),
                "status": str(ExpiryStatus.EXPIRED if end <= now else ExpiryStatus.EXPIRING),
                "spark_code": row["spark_code"],
                "creator_email": row.get("creator_email", ""),
                "creator_handle": row.get("creator_handle", ""),
                "video_url": row.get("video_url", ""),
                "campaign": row.get("campaign", ""),
            }
        )
    out.sort(key=lambda r: r["expires_at"])
    emit(
        out,
        [
            "expires_at",
            "days_left",
            "status",
            "spark_code",
            "creator_email",
            "creator_handle",
            "video_url",
            "campaign",
        ],
        fmt,
    )


def emit(rows: Sequence[dict[str, Any]], columns: list[str], fmt: str | None) -> None:
    """A table on a terminal; CSV or JSON Lines for scripts."""
    import pandas as pd

    from sinks.csv import neutralize

    fmt = fmt or ("table" if sys.stdout.isatty() else "csv")
    if fmt == "json":
        for row in rows:
            click.echo(json.dumps({c: row.get(c) for c in columns}, ensure_ascii=False))
        return
    frame = pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=columns)
    if fmt == "csv":  # opened in a spreadsheet app as often as read by a script
        frame = frame.map(lambda v: neutralize(v) if isinstance(v, str) else v)
        click.echo(frame.to_csv(index=False), nl=False)
    elif frame.empty:
        click.echo("nothing to show")
    else:
        shown = frame.copy()
        for c in ("detail", "subject", "spark_code"):
            if c in shown:
                shown[c] = shown[c].astype(str).str.slice(0, 48)
        click.echo(shown.to_string(index=False))


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _printable(text: str) -> str:
    """An email's text without terminal control sequences a sender could plant."""
    return _CONTROL.sub("", text)


def _find(state: State, ident: str) -> dict[str, Any]:
    """A review item by its id, or by the Message-ID it came from."""
    item = state.failure(ident) or state.failure(failure_id(ident))
    if item is None:
        raise CannotRun(f"no review item {ident!r}; `sparkcodes failures` lists them")
    return item


def _parse_time(value: object) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _window(text: str) -> timedelta:
    m = re.fullmatch(r"\s*(\d{1,5})\s*([dwh]?)\s*", text.lower())
    if m is None:
        raise CannotRun(f"--within {text!r}: use a number of days such as 7d, 2w or 48h")
    n, unit = int(m.group(1)), m.group(2) or "d"
    return {"d": timedelta(days=n), "w": timedelta(weeks=n), "h": timedelta(hours=n)}[unit]
