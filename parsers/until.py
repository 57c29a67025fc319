"""Periods stated as an end date: "valid until 12/31", "bis 31.12.", "до 31 декабря",
"12.31-ig", "31.12.'ye kadar", "12月31日まで", "12월 31일까지".

The date is counted from the email's date and read as the nearest period TikTok offers
(7, 30, 60 or 365 days): a creator who writes an end date picked one of those when they
generated the code, usually a day or two before writing. Where a numeric date reads both
ways (05/06), the language of the word before or after it says which order comes first,
and a reading that lands far from any offered period gives way to one that lands near.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

ALLOWED = (7, 30, 60, 365)
_LONGEST = 2 * 365

# Month names come from dateparser's locale data (every form it knows: "stycznia", "joulukuuta",
# "декабря"), plus the forms a date takes before Finnish, Estonian and Turkish postpositions.
_LOCALES = str.split("en es pt fr de it nl pl cs sk hu ro ru uk tr sv da nb fi et")
_MONTH_KEYS = str.split(
    "january february march april may june july august september october november december"
)
_FI_STEMS = str.split("tammi helmi maalis huhti touko kesä heinä elo syys loka marras joulu")
_ET_GENITIVES = str.split(
    "jaanuari veebruari märtsi aprilli mai juuni juuli augusti septembri oktoobri novembri "
    "detsembri"
)


@functools.cache
def _months() -> dict[str, int]:
    from dateparser.languages.loader import default_loader

    names: dict[str, set[int]] = {}
    for code in _LOCALES:
        info = default_loader.get_locale(code).info
        for number, key in enumerate(_MONTH_KEYS, 1):
            for name in info.get(key, ()):
                name = name.lower().rstrip(".")
                if len(name) >= 3 and name.isalpha():
                    names.setdefault(name, set()).add(number)
    for number, stem in enumerate(_FI_STEMS, 1):
        for ending in ("kuun", "kuuta", "kuuhun", "kuu"):
            names.setdefault(stem + ending, set()).add(number)
    for number, genitive in enumerate(_ET_GENITIVES, 1):
        names.setdefault(genitive, set()).add(number)
    # A name that is two months in different languages names neither.
    return {name: months.pop() for name, months in names.items() if len(months) == 1}


_DATE = r"""(?:
    (?P<y1>\d{4})[-./]\s?(?P<m1>\d{1,2})[-./]\s?(?P<d1>\d{1,2})\.?(?!\d)
   |(?P<a2>\d{1,2})[./-]\s?(?P<b2>\d{1,2})[./-]\s?(?P<y2>\d{4}|\d{2})(?!\d)
   |(?P<a3>\d{1,2})(?P<s3>[./])(?P<b3>\d{1,2})\.?(?![\d/.:]\d)
   |(?P<d4>\d{1,2})(?:st|nd|rd|th|er|º|ª|\.)?\s*(?:de\s+|of\s+|d['’]|di\s+)?
        (?P<mn4>[^\W\d_]{3,})\.?(?:,?\s*(?:de\s+)?(?P<y4>\d{4}))?
   |(?P<mn5>[^\W\d_]{3,})\.?\s+(?P<d5>\d{1,2})(?:st|nd|rd|th|\.)?(?:,?\s+(?P<y5>\d{4}))?
   |(?:(?P<y6>\d{4})\s*[年년]\s*)?(?P<m6>\d{1,2})\s*[月월]\s*(?P<d6>\d{1,2})\s*[日일号號]?
)"""
# Words before an end date, in lower case. English and East Asian numeric dates read month
# first; the rest of Europe reads day first.
_MONTH_FIRST = "en"
_PREFIX = re.compile(
    r"""(?x)
    (?:
      (?<![\w'’])(?P<en>until|till|til|thru|through|expires?(?:\s+on)?|expiring(?:\s+on)?|
          valid\s+(?:to|thru|through)|ends?\s+on|expiry(?:\s+date)?:?)
     |(?P<cjk>有效期至|有效期到|截至|截止到?|到|至)
     |(?<![\w'’])(?P<eu>bis(?:\s+(?:zum|zur|am|einschließlich))?|
          jusqu['’]\s*(?:au|à|a)(?:\s+le)?|expire\s+le|
          hasta(?:\s+el)?|vence\s+(?:el|em|no\s+dia)|caduca\s+el|
          at[ée](?:\s+(?:o\s+)?dia)?|at[ée]\s+o|
          fino\s+(?:al|a|il)|scade\s+il|
          tot(?:\s+en\s+met)?|t/m|verloopt\s+op|
          do(?:\s+dnia)?|
          până\s+(?:la|pe|în)(?:\s+data\s+de)?|pana\s+(?:la|pe)|
          до|по|
          till\s+och\s+med|t\.o\.m\.?|
          til(?:\s+og\s+med)?|indtil|inntil|frem\s+til|
          kuni)
    )
    (?:\s+(?:the|le|el|o|il|den|dem))?\s*(?:[^\W\d_]+\.?,?\s+)??"""
    + _DATE,
    re.VERBOSE,
)
# Postpositions after an end date: Hungarian -ig, Turkish kadar, Finnish asti/saakka,
# Estonian -ni, Japanese まで, Korean 까지, Chinese 为止/前. Found first (they are rare
# strings), then the date is read backwards from them.
_SUFFIX_WORD = re.compile(
    r"-j?é?ig\b|\bkadar\b|\basti\b|\bsaakka\b|\bmennessä\b|まで|迄|까지|为止|為止|前|-ni\b"
)
_BEFORE_SUFFIX = re.compile(
    _DATE + r"(?:\s*['’]?[^\W\d_]{1,3}|\s+tarihine|\s+päivään)?\s*$", re.VERBOSE
)
_TIME_AFTER = re.compile(r"\s*(?:uhr|h\b|hod|óra|час|am\b|pm\b|a\.m|p\.m|o['’]clock|:\d)")


@dataclass(frozen=True, slots=True)
class EndDate:
    days: int  # snapped to ALLOWED
    start: int
    end: int


def find_end_dates(lowered: str, on: date) -> list[EndDate]:
    """Every stated end date in lower-cased `lowered`, as a period from `on`."""
    found: list[EndDate] = []
    for m in _PREFIX.finditer(lowered):
        month_first = m.group("en") is not None or m.group("cjk") is not None
        days = _days(m, lowered, on, month_first)
        if days is not None:
            found.append(EndDate(days, m.start(), m.end()))
    for word in _SUFFIX_WORD.finditer(lowered):
        start = max(0, word.start() - 40)
        before = _BEFORE_SUFFIX.search(lowered, start, word.start())
        if before is None:
            continue
        cjk = word.group() in ("まで", "迄", "까지", "为止", "為止", "前")
        month_first = cjk or word.group().endswith("ig")  # Hungarian writes 12.31.
        days = _days(before, lowered, on, month_first)
        if days is not None:
            found.append(EndDate(days, before.start(), word.end()))
    return found


def _days(m: re.Match[str], text: str, on: date, month_first: bool) -> int | None:
    g = m.group
    if g("y1"):
        return _period(_candidates(int(g("y1")), int(g("m1")), int(g("d1")), on), on)
    if g("a2"):
        year = int(g("y2"))
        year += 2000 if year < 100 else 0
        a, b = int(g("a2")), int(g("b2"))
        orders = [(b, a), (a, b)] if month_first else [(a, b), (b, a)]  # (day, month)
        readings = [c for d, mo in orders for c in _candidates(year, mo, d, on)]
        return _period(readings, on)
    if g("a3"):
        if _TIME_AFTER.match(text, m.end()):
            return None
        a, b = int(g("a3")), int(g("b3"))
        first = month_first and (g("s3") == "/" or _hu(m))
        orders = [(b, a), (a, b)] if first else [(a, b), (b, a)]
        readings = [c for d, mo in orders for c in _candidates(None, mo, d, on)]
        return _period(readings, on)
    if g("mn4") or g("mn5"):
        name = g("mn4") or g("mn5")
        month = _month(name)
        if month is None:
            return None
        day = int(g("d4") or g("d5"))
        stated = g("y4") or g("y5")
        return _period(_candidates(int(stated) if stated else None, month, day, on), on)
    if g("m6"):
        stated = g("y6")
        return _period(
            _candidates(int(stated) if stated else None, int(g("m6")), int(g("d6")), on), on
        )
    return None


def _hu(m: re.Match[str]) -> bool:
    """Hungarian dates (12.31-ig) are month first even with dots."""
    return m.re is _BEFORE_SUFFIX


def _month(name: str) -> int | None:
    months = _months()
    if name in months:
        return months[name]
    for ending in ("ni", "ig", "a", "e"):  # detsembrini, decemberig
        if name.endswith(ending) and name[: -len(ending)] in months:
            return months[name[: -len(ending)]]
    return None


def _candidates(year: int | None, month: int, day: int, on: date) -> Iterator[date]:
    """The calendar day, or with no year its next occurrence after `on`."""
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return
    for y in (year,) if year is not None else (on.year, on.year + 1):
        try:
            when = date(y, month, day)
        except ValueError:
            continue
        if when > on or year is not None:
            yield when
            return


def _period(readings: list[date] | Iterator[date], on: date) -> int | None:
    """The offered period nearest the first reading that lands close to one."""
    best: tuple[float, int] | None = None
    for when in readings:
        days = (when - on).days
        if not 0 < days <= _LONGEST:
            continue
        snapped = min(ALLOWED, key=lambda p: abs(math.log(days / p)))
        miss = abs(math.log(days / snapped))
        if miss <= math.log(1.25):
            return snapped
        if best is None or miss < best[0]:
            best = (miss, snapped)
    return best[1] if best else None
