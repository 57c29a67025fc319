"""Dates as people and mail clients write them, in several languages.

RFC 5322 and the English forms Gmail and Outlook print are read directly (fast, and most of
the mail); everything else goes to dateparser, which knows the localized month and weekday
names ("giovedì 8 ottobre 2015", "Don 11 Februar 2016", "16 janv. 2026 à 14:05").
"""

from __future__ import annotations

import email.utils
import functools
from datetime import UTC, date, datetime, timezone
from typing import Any

import regex

LANGUAGES = ["en", "de", "fr", "es", "pt", "it", "nl"]
_NOISE = regex.compile(r"[\u200e\u200f\u202a-\u202e]|\s+(?:at|um|à|a las|às|alle|om)\s+(?=\d)")
_PAREN = regex.compile(r"\s*\([^)]*\)\s*$")
_ENGLISH = (
    "%a, %b %d, %Y %I:%M %p",  # Gmail: Tue, Nov 3, 2026 at 2:05 PM
    "%A, %B %d, %Y %I:%M %p",  # Outlook: Tuesday, November 3, 2026 2:05 PM
    "%A, %B %d, %Y %I:%M:%S %p",
    "%d %B %Y %H:%M:%S %Z",  # Apple Mail: 3 November 2026 14:05:00 GMT
    "%B %d, %Y %I:%M:%S %p %Z",
    "%d %B %Y %H:%M",
    "%A, %d %B %Y %H:%M",  # Outlook (en-GB): Tuesday, 3 November 2026 14:05
)


def parse_header_date(text: str, default_tz: timezone | None = None) -> datetime | None:
    """A forward header's date in UTC; a date printed without a zone is read in `default_tz`."""
    cleaned = _PAREN.sub("", _NOISE.sub(" ", text)).strip()
    if not cleaned or len(cleaned) > 80:
        return None
    parsed = _rfc5322(cleaned) or _english(cleaned) or _localized(cleaned)
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz or UTC)
    return parsed.astimezone(UTC)


def parse_day(text: str, after: date) -> date | None:
    """A calendar day such as "Jan 5" or "5. Januar 2027"; without a year, the next one on or
    after `after`."""
    parsed = _localized_day(text.strip(), after.isoformat())
    return parsed


_MERIDIEM = regex.compile(r"(?i)\d\s*[ap]\.?m\.?(?:\s|$)")


def _rfc5322(text: str) -> datetime | None:
    # parsedate reads "2:05 PM" as 02:05, so 12-hour clocks go to the other readers.
    if not any(c.isdigit() for c in text) or _MERIDIEM.search(text):
        return None
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _english(text: str) -> datetime | None:
    for fmt in _ENGLISH:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    return None


def _localized(text: str) -> datetime | None:
    import dateparser

    settings: Any = {"PREFER_DAY_OF_MONTH": "first", "DATE_ORDER": "DMY"}
    try:
        return dateparser.parse(text, languages=LANGUAGES, settings=settings)
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None


@functools.lru_cache(maxsize=512)
def _localized_day(text: str, after_iso: str) -> date | None:
    import dateparser

    after = date.fromisoformat(after_iso)
    base = datetime(after.year, after.month, after.day)
    settings: Any = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": base,
        "DATE_ORDER": "DMY",
        "REQUIRE_PARTS": ["day", "month"],
    }
    try:
        parsed = dateparser.parse(text, languages=LANGUAGES, settings=settings)
    except (ValueError, OverflowError, TypeError, AttributeError):
        return None
    if parsed is None:
        return None
    day = parsed.date()
    has_year = regex.search(r"\d{4}", text) is not None
    if not has_year and day < after:
        try:
            day = day.replace(year=day.year + 1)
        except ValueError:
            return None
    return day
