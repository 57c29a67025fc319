"""The one error rule (config/errors.py): every expected error carries exactly one marker, and the
CLI turns any of them into one sentence, exit 2, with the retry hint only for transient ones."""

from __future__ import annotations

import importlib
import pkgutil

import click
import pytest

import config
import pipeline
import sinks
import sources
from config.errors import SparkcodesError, TerminalError, TransientError
from pipeline.cli.errors import EXIT_CANNOT_RUN, clean_errors
from pipeline.tiktok import RateLimited, TokenError
from sinks import RetryableSinkError, TerminalSinkError
from sources.imap import ImapAuthError, ImapUnavailable

HINT = "(temporary; the next run will retry)"


def _all_errors() -> list[type[SparkcodesError]]:
    """Every SparkcodesError subclass the installed packages define (imports every module)."""
    for package in (config, pipeline, sinks, sources):
        for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            importlib.import_module(info.name)
    seen: list[type[SparkcodesError]] = []
    todo: list[type[SparkcodesError]] = [SparkcodesError]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in seen:
                seen.append(sub)
                todo.append(sub)
    return seen


def test_every_raised_error_is_transient_or_terminal_never_both() -> None:
    errors = _all_errors()
    assert len(errors) > 10  # the walk found the sources', sinks', state's and TikTok's errors
    leaves = [
        e for e in errors if not e.__subclasses__() and e not in (TransientError, TerminalError)
    ]
    both = [e for e in errors if issubclass(e, TransientError) and issubclass(e, TerminalError)]
    unmarked = [e for e in leaves if not issubclass(e, (TransientError, TerminalError))]
    assert both == []
    assert unmarked == []


@pytest.mark.parametrize(
    ("error", "hinted"),
    [
        (RetryableSinkError("Google Sheets answered 429 after 6 tries"), True),
        (ImapUnavailable("cannot reach imap.example.com:993"), True),
        (RateLimited("TikTok rate limit outlasted every retry"), True),
        (TerminalSinkError("the spreadsheet does not exist"), False),
        (ImapAuthError("the server refused the credentials"), False),
        (TokenError("the access token is expired"), False),
        (config.ConfigError("imap.host: field required"), False),
    ],
)
def test_clean_errors_hint_and_exit_follow_the_marker(error: Exception, hinted: bool) -> None:
    with pytest.raises(click.ClickException) as caught, clean_errors():
        raise error
    assert caught.value.exit_code == EXIT_CANNOT_RUN
    message = caught.value.format_message()
    assert message.startswith(str(error))
    assert message.endswith(HINT) is hinted


def test_concrete_errors_stay_standard_exceptions() -> None:
    """Code that knows only the standard library still catches them (imapclient's way)."""
    assert issubclass(ImapUnavailable, ConnectionError)
    assert issubclass(ImapAuthError, PermissionError)
    assert issubclass(config.ConfigError, ValueError)


def test_an_unexpected_error_is_not_swallowed() -> None:
    with pytest.raises(KeyError), clean_errors():
        raise KeyError("a bug")
