"""The `sparkcodes` command: parses arguments, calls the library, maps errors to exit codes.

Exit codes: 0 all good; 1 finished, with emails for review; 2 could not run.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import click

import config
from pipeline.cli import review
from pipeline.cli.errors import EXIT_CANNOT_RUN, EXIT_OK, EXIT_REVIEW, CannotRun, clean_errors
from pipeline.cli.options import config_option, job_count, jobs_option, message_timeout_option

if TYPE_CHECKING:
    from config.settings import Settings
    from pipeline.run import Job, Summary
    from pipeline.state import State

# Each command imports what it uses inside its function: `parse` starts without the sinks'
# libraries (pandas, gspread, requests), which are most of the start-up time.


class _Group(click.Group):
    """The last guard: an unexpected error is still one sentence and exit code 2, with the
    traceback only when SPARKCODES_DEBUG is set (it is a bug; please report it)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if os.environ.get("SPARKCODES_DEBUG"):
                raise
            raise CannotRun(
                f"unexpected error ({type(exc).__name__}: {exc}); this is a bug, please "
                "report it (set SPARKCODES_DEBUG=1 for the details)"
            ) from exc


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Apply this config's [rules] and [parsing] options (a file with only those will do).",
)
@jobs_option
@message_timeout_option
def parse(
    paths: tuple[Path, ...],
    default_days: int | None,
    config_path: Path | None,
    jobs: int | None,
    message_timeout: float | None,
) -> None:
    """Print every code (and every email without one) in PATHS as JSON Lines.

    PATHS may be .eml files, folders of them, mbox files or Maildirs. Nothing is written
    anywhere else. With --config, the config's rules apply, as in `run`; --default-days
    overrides its default period. Exits 1 when some email produced no code.
    """
    from pipeline.workers import DEFAULT_TIMEOUT, extractor, start_early
    from sources.files import read_paths

    failures = 0
    jobs = job_count(jobs)
    start_early(jobs)
    with clean_errors():
        options = None  # the parsers' defaults; not imported here, the workers do that
        if config_path is not None or default_days is not None:
            from parsers.options import Options
            from pipeline.wiring import parsing_options

            options = Options()
            if config_path is not None:
                options = parsing_options(config.load(config_path, parsing_only=True))
            if default_days is not None:
                options = dataclasses.replace(options, default_days=default_days)
        messages = read_paths(list(paths))
        with extractor(jobs, options, message_timeout or DEFAULT_TIMEOUT) as each:
            for _, result in each.map(messages):
                failures += result.failure is not None
                for record in result.records:
                    sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    sys.exit(EXIT_REVIEW if failures else EXIT_OK)


@main.command()
@config_option
@click.option(
    "--full", is_flag=True, help="Read every message again, not only new ones (rows stay unique)."
)
@jobs_option
@message_timeout_option
def run(
    config_path: Path | None, full: bool, jobs: int | None, message_timeout: float | None
) -> None:
    """Sync new emails into the configured sinks and print a one-line summary.

    With [tiktok], every new code is checked with TikTok before its row is written. Exits 0
    when all is good, 1 when some emails need review (or codes are left unverified by a TikTok
    outage), 2 when it could not run.
    """
    from pipeline.workers import start_early

    jobs = job_count(jobs)
    start_early(jobs)  # its imports overlap this process's own, and the mailbox's login
    from pipeline.lock import RunLock
    from pipeline.state import State
    from pipeline.wiring import lock_path

    with clean_errors():
        settings = config.load(config_path)
        with RunLock(lock_path(settings)), State(settings.state_path) as state:
            job = _job(settings, state, full=full, jobs=jobs, timeout=message_timeout)
            summary = _sync_once(settings, state, full=full, job=job)
            left = _tiktok_after_sync(state, job, summary.line())
    sys.exit(EXIT_REVIEW if summary.failures or left else EXIT_OK)


def _job(
    settings: Settings, state: State, *, full: bool, jobs: int = 1, timeout: float | None = None
) -> Job:
    from pipeline.wiring import make_job

    job = make_job(settings, state, full=full)
    job.jobs = jobs
    if timeout is not None:
        job.message_timeout = timeout
    return job


def _tiktok_after_sync(state: State, job: Job, line: str) -> int:
    """Print the run's summary; with [tiktok], first re-check the codes still unverified
    that no new email carried, then raise a run-wide TikTok error (exit 2) now that the sinks
    hold what the emails gave. Returns how many codes are left unverified, plus the review
    items their first verdicts made (either means exit 1)."""
    from pipeline.wiring import tiktok_of

    check = tiktok_of(job)
    if check is None:
        click.echo(line)
        return 0
    from parsers.records import TikTokStatus
    from pipeline.verify import VerifySummary, unverified_left, verify_stored

    again = VerifySummary()
    if check.error is None:
        again = verify_stored(
            state, job.sinks, check, statuses=(TikTokStatus.UNVERIFIED,), skip=check.tried
        )
    left = unverified_left(state)
    note = f"; tiktok: {left} unverified (the next run retries)" if left else ""
    if again.checked:
        note += f"; earlier runs' codes, {again.line()}"
    click.echo(line + note)
    check.raise_if_stopped()
    return left + again.review


@main.command()
@config_option
def watch(config_path: Path | None) -> None:
    """Stay connected and sync as mail arrives (IMAP IDLE, else polling) until stopped.

    Reconnects with backoff after network errors; stops cleanly on SIGTERM or Ctrl-C. With
    [tiktok], re-checks the stored codes once a day, as `verify` does, and retries codes an
    outage left unverified once an hour.
    """
    from pipeline.state import State
    from pipeline.verify import daily_verify
    from pipeline.watch import watch as watch_loop
    from pipeline.wiring import lock_path, make_job
    from sources.imap import read_secret

    with clean_errors():
        settings = config.load(config_path)
        if settings.imap is None:
            raise CannotRun("watch needs an [imap] section in the config")
        read_secret(settings.imap)  # a missing secret fails now, not later
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        with State(settings.state_path) as state:
            click.echo(f"watching {settings.imap.folder} on {settings.imap.host}", err=True)
            job = make_job(settings, state)
            watch_loop(
                settings,
                job,
                lock_path(settings),
                stop,
                lambda line: click.echo(line, err=True),
                after_sync=lambda: daily_verify(state, job),
            )
    click.echo("stopped", err=True)


@main.command()
@config_option
@click.option(
    "--all", "every", is_flag=True, help="Re-check every code, not only active and unverified ones."
)
def verify(config_path: Path | None, every: bool) -> None:
    """Re-check codes with TikTok and update their rows in every sink; print a summary.

    Checks codes that are active or unverified (with --all: every code). Meant for a daily
    cron job or timer; `watch` runs it once a day by itself. Exits 0 when every code got
    TikTok's verdict, 1 when some are left unverified or a first verdict made a review item,
    2 when it could not run.
    """
    from pipeline.lock import RunLock
    from pipeline.state import State
    from pipeline.verify import mark_done, verify_stored
    from pipeline.wiring import lock_path, make_job, tiktok_of

    with clean_errors():
        settings = config.load(config_path)
        if settings.tiktok is None:
            raise CannotRun("verify needs a [tiktok] section in the config")
        with RunLock(lock_path(settings)), State(settings.state_path) as state:
            job = make_job(settings, state)
            check = tiktok_of(job)
            assert check is not None
            result = verify_stored(state, job.sinks, check, every=every)
            mark_done(state)
            left = f"; {result.unverified_left} unverified" if result.unverified_left else ""
            click.echo(result.line() + left)
            check.raise_if_stopped()
    sys.exit(EXIT_REVIEW if result.unverified_left or result.review else EXIT_OK)


@main.command("tiktok-token")
@click.option("--app-id", required=True, help="Your developer app's id (TikTok for Business).")
@click.option(
    "--auth-code",
    required=True,
    help="The auth_code from the redirect after the advertiser's consent (1 hour, single use).",
)
@click.option(
    "--secret-env",
    default="SPARKCODES_TIKTOK_APP_SECRET",
    show_default=True,
    help="Environment variable holding the app's secret.",
)
@click.option(
    "--endpoint",
    default=None,
    help="Another base URL than TikTok's (an emulator); or SPARKCODES_TIKTOK_ENDPOINT.",
)
def tiktok_token(app_id: str, auth_code: str, secret_env: str, endpoint: str | None) -> None:
    """Exchange the consent redirect's auth code for a long-term TikTok access token.

    Prints the token alone on stdout (redirect it to a file, or into a secret store) and
    what to put in the config on stderr.
    """
    from pipeline.tiktok.access import exchange_auth_code

    with clean_errors():
        secret = os.environ.get(secret_env, "").strip()
        if not secret:
            raise CannotRun(f"environment variable {secret_env} holds no app secret")
        grant = exchange_auth_code(
            app_id,
            secret,
            auth_code,
            endpoint=endpoint or os.environ.get("SPARKCODES_TIKTOK_ENDPOINT"),
        )
    click.echo(grant.access_token)
    ids = ", ".join(grant.advertiser_ids) or "none listed"
    scopes = set(grant.scopes)
    missing = [str(s) for s in (690, 691) if s not in scopes]
    advice = [
        f"advertisers that authorized the app: {ids}",
        "put the token in an environment variable (or a file) and add to the config:",
        "  [tiktok]",
        f'  advertiser_id = "{grant.advertiser_ids[0] if grant.advertiser_ids else "..."}"',
        '  access_token_env = "SPARKCODES_TIKTOK_TOKEN"   # or access_token_file = "..."',
    ]
    if scopes and missing:
        advice.append(
            f"note: the token lacks scope {' and '.join(missing)} (690 checks codes, 691 adds "
            "them to the ad account); grant it to the app and authorize again"
        )
    click.echo("\n".join(advice), err=True)


@main.command()
@config_option
def check(config_path: Path | None) -> None:
    """Check the config: log in to IMAP, open the sheet, test the files, ask TikTok once.

    Changes nothing. Prints one line per check and exits 0 when all pass, 2 otherwise.
    """
    from pipeline.check import run_checks

    with clean_errors():
        settings = config.load(config_path)
    where = settings.path or "defaults"
    click.echo(f"ok    config: {where} is valid")
    failed = 0
    for result in run_checks(settings):
        failed += not result.ok
        click.echo(f"{'ok' if result.ok else 'FAIL':5} {result.name}: {result.sentence}")
    sys.exit(EXIT_CANNOT_RUN if failed else EXIT_OK)


@main.command()
@click.option(
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=lambda: Path(config.settings.CONFIG_NAME),  # read when used: `import config` is lazy
    show_default="sparkcodes.toml",
    help="Where to write the config.",
)
@click.option("--host", help="IMAP server, e.g. imap.gmail.com.")
@click.option("--username", help="The shared inbox's login.")
@click.option(
    "--security",
    type=click.Choice(["ssl", "starttls", "none"]),
    help="ssl (implicit TLS, port 993; the default), starttls (port 143), none (loopback only).",
)
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    help="IMAP port (default: 993 for ssl, 143 otherwise).",
)
@click.option(
    "--auth",
    type=click.Choice(["password", "oauth2"]),
    default="password",
    show_default=True,
    help="oauth2 for Gmail / Microsoft 365 without app passwords.",
)
@click.option(
    "--password-env",
    default="SPARKCODES_IMAP_PASSWORD",
    show_default=True,
    help="Environment variable holding the (app) password.",
)
@click.option("--token-command", default="", help="With --auth oauth2: prints an access token.")
@click.option("--folder", default="INBOX", show_default=True)
@click.option("--csv", "csv_path", default="out/spark_codes.csv", show_default=True)
@click.option("--spreadsheet", default=None, help="Google Sheet URL or key (optional).")
@click.option("--credentials-file", default=None, help="Service account JSON for the sheet.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
def init(output: Path, force: bool, port: int | None, **answers: str | None) -> None:
    """Write a commented starter config from a few answers (asked for when not given).

    Then run `sparkcodes check`, and `sparkcodes run` for a first sync.
    """
    from config.starter import Answers, render

    if output.exists() and not force:
        raise CannotRun(f"{output} exists; use --force to overwrite it")
    interactive = sys.stdin.isatty()

    def ask(key: str, question: str, default: str | None = None, kind: Any = None) -> str:
        value = answers.get(key)
        if value:
            return value
        if not interactive:
            if default is not None:
                return default
            raise CannotRun(f"--{key.replace('_', '-')} is needed when not on a terminal")
        return str(click.prompt(question, default=default, type=kind))

    host = ask("host", "IMAP server (e.g. imap.gmail.com)")
    security = ask(
        "security",
        "Security: ssl (implicit TLS), starttls, or none (loopback only)",
        "ssl",
        click.Choice(["ssl", "starttls", "none"]),
    )
    if port is None:
        usual = 993 if security == "ssl" else 143
        port = int(ask("port", "IMAP port", str(usual), click.IntRange(1, 65535)))
    username = ask("username", "Shared inbox login")
    spreadsheet = ask("spreadsheet", "Google Sheet URL (empty for CSV only)", "")
    credentials = (
        ask("credentials_file", "Service account key file", "service-account.json")
        if spreadsheet
        else ""
    )
    starter = Answers(
        host=host,
        port=port,
        username=username,
        security=security,
        auth=str(answers["auth"]),
        password_env=str(answers["password_env"]),
        token_command=str(answers.get("token_command") or ""),
        folder=str(answers["folder"]),
        csv_path=str(answers["csv_path"]),
        spreadsheet=spreadsheet,
        credentials_file=credentials,
    )
    with clean_errors():
        text = render(starter)
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CannotRun(f"cannot write {output}: {exc.strerror or exc}") from exc
    click.echo(f"wrote {output}; next: sparkcodes check --config {output}")


def _sync_once(settings: Settings, state: State, *, full: bool, job: Job | None = None) -> Summary:
    from pipeline.run import sync
    from pipeline.wiring import imap_source
    from sources.files import FilesSource
    from sources.imap import Mailbox, read_secret

    job = job or _job(settings, state, full=full)
    if settings.imap is not None:
        secret = read_secret(settings.imap)
        with Mailbox(settings.imap, secret) as mailbox:
            return sync(imap_source(settings, mailbox), job)
    return sync(FilesSource(settings.local.paths), job)


main.add_command(review.failures)
main.add_command(review.reprocess)
main.add_command(review.resolve)
main.add_command(review.expiring)
