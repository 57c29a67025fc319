"""Dates as people and mail clients write them, in several languages.

RFC 5322 and the English forms Gmail and Outlook print are read directly (fast, and most of
the mail); everything else goes to dateparser, which knows the localized month and weekday
names ("giovedì 8 ottobre 2015", "Don 11 Februar 2016", "16 janv. 2026 à 14:05").
"""

from __future__ import annotations

import email.utils
import functools
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import regex

LANGUAGES = ["en", "de", "fr", "es", "pt", "it", "nl"]
_NOISE = regex.compile(r"[\u200e\u200f\u202a-\u202e]|\s+(?:at|um|à|a las|às|alle|om)\s+(?=\d)")
_PAREN = regex.compile(r"\s*\([^)]*\)\s*$")
_ENGLISH = (
    "%a, %b %d, %Y %I:%M %p",  # Gmail: Tue, Nov 3, 2026 at 2:05 PM
    "%A, %B %d, %Y %I:%M %p",  # Outlook: Tuesday, November 3, 2026 2:05 PM
    "%A, %B %d, %Y %I:%M:%S %p",
    "%A, %B %d, %Y, %I:%M:%S %p",  # Yahoo: Saturday, January 31, 2026, 07:34:00 PM PST
    "%A, %B %d, %Y, %I:%M %p",
    "%b %d, %Y, %I:%M %p",  # Apple Mail replies: On Jan 7, 2026, at 2:54 PM
    "%B %d, %Y, %I:%M %p",
    "%B %d, %Y %I:%M:%S %p",
    "%d %B %Y %H:%M:%S",  # Apple Mail: 3 November 2026 at 14:05:00 GMT
    "%d %B %Y %H:%M",
    "%A, %d %B %Y %H:%M",  # Outlook (en-GB): Tuesday, 3 November 2026 14:05
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
)
# Zone names mail clients print after a time, as UTC offsets in hours. IST is read as India
# Standard Time, as dateparser reads it too: by far its most common use in mail.
_ZONES: dict[str, float] = {
    "UTC": 0,
    "GMT": 0,
    "UT": 0,
    "Z": 0,
    "WET": 0,
    "WEST": 1,
    "BST": 1,
    "CET": 1,
    "MEZ": 1,
    "CEST": 2,
    "MESZ": 2,
    "EET": 2,
    "EEST": 3,
    "EST": -5,
    "EDT": -4,
    "CST": -6,
    "CDT": -5,
    "MST": -7,
    "MDT": -6,
    "PST": -8,
    "PDT": -7,
    "AKST": -9,
    "AKDT": -8,
    "HST": -10,
    "BRT": -3,
    "ART": -3,
    "JST": 9,
    "KST": 9,
    "AEST": 10,
    "AEDT": 11,
    "NZST": 12,
    "NZDT": 13,
    "SGT": 8,
    "HKT": 8,
    "IST": 5.5,
}
_TRAILING_ZONE = regex.compile(
    r"\s+(?:(?P<name>[A-Z]{1,5})(?:(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?)?)$"
)


def parse_header_date(text: str, default_tz: timezone | None = None) -> datetime | None:
    """A forward header's date in UTC; a date printed without a zone is read in `default_tz`."""
    parsed = _header_date(text)
    if parsed is None:
        # Yahoo glues the next label to the date ("17:34:42 WETAssunto O meu código"): read
        # up to the last clock time and its zone.
        clocks = list(_CLOCK_AND_ZONE.finditer(text))
        clock = clocks[-1] if clocks else None
        if clock is None or clock.end() >= len(text.rstrip()):
            return None
        parsed = _header_date(text[: clock.end()])
        if parsed is None:
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz or UTC)
    return parsed.astimezone(UTC)


_CLOCK_AND_ZONE = regex.compile(
    r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s*[AaPp]\.?[Mm]\.?)?"
    r"(?:\s*(?:[+-]\d{2}:?\d{2}|(?:GMT|UTC)(?:[+-]\d{1,2}(?::?\d{2})?)?|[A-Z]{2,5}(?=[A-Z][a-z]|\b)))?"
)


def _header_date(text: str) -> datetime | None:
    cleaned = _PAREN.sub("", _NOISE.sub(" ", text)).strip()
    if not cleaned or len(cleaned) > 80:
        return None
    return _english(cleaned) or _rfc5322(cleaned) or _by_parts(cleaned) or _localized(cleaned)


def parse_day(text: str, after: date) -> date | None:
    """A calendar day such as "Jan 5" or "5. Januar 2027"; without a year, the next one on or
    after `after`."""
    parsed = _localized_day(text.strip(), after.isoformat())
    return parsed


_MERIDIEM = regex.compile(r"(?i)\d\s*[ap]\.?m\.?(?:\s|$)")


def _rfc5322(text: str) -> datetime | None:
    # parsedate reads "2:05 PM" as 02:05, so 12-hour clocks go to the other readers.
    if not any(map(str.isdigit, text)) or _MERIDIEM.search(text):
        return None
    try:
        return email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _english(text: str) -> datetime | None:
    """The English forms clients print, with an optional zone name such as PST or GMT+1."""
    zone = None
    m = _TRAILING_ZONE.search(text)
    if m and m.group("name") in _ZONES:
        hours = _ZONES[m.group("name")]
        minutes = 0
        if m.group("sign"):
            sign = 1 if m.group("sign") == "+" else -1
            hours += sign * int(m.group("h"))
            minutes = sign * int(m.group("m") or 0)
        zone = timezone(timedelta(hours=hours, minutes=minutes))
        text = text[: m.start()]
    if not text[:1].isalnum():
        return None
    # Only the formats of the text's shape: each failed strptime costs as much as a success.
    for fmt in _ENGLISH_BY_SHAPE.get(_shape(text), ()):
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.replace(tzinfo=zone) if zone else parsed
    return None


def _shape(text: str) -> tuple[bool, bool, int, int]:
    """What a date's format shows without reading its words: month and weekday names hold
    no digits, commas or colons."""
    meridiem = _MERIDIEM.search(text) is not None
    return text[:1].isdigit(), meridiem, text.count(","), text.count(":")


def _by_shape(formats: tuple[str, ...]) -> dict[tuple[bool, bool, int, int], tuple[str, ...]]:
    grouped: dict[tuple[bool, bool, int, int], tuple[str, ...]] = {}
    for fmt in formats:
        # Not strftime: its names and AM/PM follow the process locale.
        sample = regex.sub(r"%[aAbB]", "Nov", regex.sub(r"%p", "PM", fmt))
        key = _shape(regex.sub(r"%[dmIHMS]", "01", sample.replace("%Y", "2026")))
        grouped[key] = (*grouped.get(key, ()), fmt)
    return grouped


_ENGLISH_BY_SHAPE = _by_shape(_ENGLISH)


# Month names by their stems in the 23 languages mail arrives in (lower case; the longest
# stem that starts a word wins, so "marraskuuta" is November, not March).
_MONTH_STEMS: tuple[tuple[str, ...], ...] = (
    ("jan", "ene", "gen", "sty", "led", "ian", "янв", "січ", "oca", "tammi", "jaan"),
    ("feb", "fév", "fev", "lut", "úno", "uno", "фев", "лют", "şub", "sub", "helmi", "veeb"),
    ("mar", "mär", "maa", "bře", "bre", "már", "мар", "бер", "maalis", "märts"),
    ("apr", "abr", "avr", "kwi", "dub", "ápr", "апр", "кві", "nis", "huhti"),
    ("may", "mai", "mag", "mei", "maj", "kvě", "kve", "máj", "мая", "май", "тра", "touko"),
    ("jun", "juin", "giu", "cze", "červen", "června", "jún", "июн", "чер", "haz", "kesä", "juuni"),
    (
        "jul",
        "juil",
        "lug",
        "lip",
        "července",
        "červenec",
        "júl",
        "июл",
        "лип",
        "tem",
        "heinä",
        "juuli",
    ),
    ("aug", "ago", "aoû", "aou", "sie", "srp", "авг", "сер", "ağu", "agu", "elo"),
    ("sep", "set", "szep", "wrz", "zář", "zar", "сен", "вер", "eyl", "syys"),
    ("oct", "okt", "ott", "out", "paź", "paz", "říj", "rij", "окт", "жов", "eki", "loka"),
    ("nov", "lis", "noi", "ноя", "лис", "kas", "marras"),
    ("dec", "dic", "dez", "déc", "gru", "pro", "дек", "гру", "ara", "joulu", "dets"),
)
_STEM_MONTH = {stem: i + 1 for i, stems in enumerate(_MONTH_STEMS) for stem in stems}
_STEMS_BY_LENGTH = sorted(_STEM_MONTH, key=len, reverse=True)
_WORD = regex.compile(r"\p{L}+")
_NUMBER = regex.compile(r"(?<!\d)\d{1,4}(?!\d)")
_CJK_DATE = regex.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?")
_YMD = regex.compile(r"(?<!\d)(\d{4})[./-]\s?(\d{1,2})[./-]\s?(\d{1,2})(?!\d)\.?")
_DMY = regex.compile(
    r"(?<!\d)(\d{1,2})[./-]\s?(\d{1,2})[./-]\s?(\d{4})(?!\d)"
    r"|(?<![\d.])(\d{1,2})[/-](\d{1,2})[/-](\d{2})(?![\d:])"  # a two-digit year: 04/11/26
)
_TIME = regex.compile(r"(?<!\d)(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?!\d)")
_PM = regex.compile(r"(?i)(?<![\p{L}])p\.?m\.?(?![\p{L}])|오후|午後|下午")
_AM = regex.compile(r"(?i)(?<![\p{L}])a\.?m\.?(?![\p{L}])|오전|午前|上午")
_OFFSET = regex.compile(r"(?:GMT|UTC|UT)?\s?(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?(?!\d)")
_ZONE_NAME = regex.compile(r"(?<![\p{L}])(?P<name>[A-ZČ]{2,5})(?![\p{L}])")
_LOCAL_ZONES = {"SEČ": 1, "SELČ": 2, "MSK": 3, "TRT": 3}


def _by_parts(text: str) -> datetime | None:
    """A date in any of the mail languages, read part by part: a numeric or CJK date or a
    day beside a month name, a year, a clock (12-hour with AM/PM, 오후, 午後, 下午), a zone.
    Client formats differ mostly in order and filler words, which this ignores."""
    day = month = year = None
    rest = text
    for pattern, order in ((_CJK_DATE, "ymd"), (_YMD, "ymd"), (_DMY, "dmy")):
        m = pattern.search(rest)
        if m:
            groups = [int(g) for g in m.groups() if g is not None]
            values = dict(zip(order, groups, strict=True))
            day, month, year = values["d"], values["m"], values["y"]
            if order == "dmy" and month > 12 >= day:  # a US 11/24/2026
                day, month = month, day
            rest = rest[: m.start()] + " " + rest[m.end() :]
            break
    clock = _TIME.search(rest)
    if month is None:
        found = _named_month(rest, clock.start() if clock else len(rest))
        if found is None:
            return None
        month, day, year = found
    if year is None or day is None:
        return None
    if year < 100:
        year += 2000
    hour = minute = second = 0
    zone = None
    if clock:
        hour, minute, second = int(clock.group(1)), int(clock.group(2)), int(clock.group(3) or 0)
        if _PM.search(rest) and hour < 12:
            hour += 12
        elif _AM.search(rest) and hour == 12:
            hour = 0
        zone = _zone(rest[clock.end() :])
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None


def _named_month(text: str, clock_at: int) -> tuple[int, int, int | None] | None:
    """Month, day and year from a text with a month name: the day is the small number
    nearest the month word (after it on a tie: "4 nov" and "Nov 4" both read)."""
    numbers = [(m.start(), m.end(), int(m.group())) for m in _NUMBER.finditer(text[:clock_at])]
    years = [n for n in numbers if len(str(n[2])) == 4]
    days = [n for n in numbers if n[2] <= 31 and n not in years]
    if not days:
        return None
    best: tuple[int, int, int, int, int] | None = None  # (gap, before, -stem, month, day)
    for word in _WORD.finditer(text[:clock_at]):
        lower = word.group().lower()
        stem = next((s for s in _STEMS_BY_LENGTH if lower.startswith(s)), None)
        if stem is None:
            continue
        for start, end, value in days:
            gap = start - word.end() if start >= word.end() else word.start() - end
            between = text[min(end, word.end()) : max(start, word.start())]
            if gap < 0 or any(c.isalnum() for c in between.replace("de", "")):
                continue
            before = 0 if start < word.start() else 1  # "mardi 17 novembre": after wins
            key = (gap, before, -len(stem), _STEM_MONTH[stem], value)
            if best is None or key < best:
                best = key
    if best is None:
        return None
    return best[3], best[4], (years[0][2] if years else None)


def _zone(text: str) -> timezone | None:
    offset = _OFFSET.search(text)
    hours = 0.0
    if offset is None or text[: offset.start()].strip(" ()") not in ("", "GMT", "UTC"):
        offset = None
    name = _ZONE_NAME.search(text)
    if name and (name.group("name") in _ZONES or name.group("name") in _LOCAL_ZONES):
        hours = _ZONES.get(name.group("name"), _LOCAL_ZONES.get(name.group("name"), 0))
    elif offset is None:
        return None
    minutes = 0
    if offset is not None:
        sign = 1 if offset.group("sign") == "+" else -1
        hours += sign * int(offset.group("h"))
        minutes = sign * int(offset.group("m") or 0)
    return timezone(timedelta(hours=hours, minutes=minutes))


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
