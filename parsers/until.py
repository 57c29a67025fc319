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

from parsers.wordtrie import alternation

ALLOWED = (7, 30, 60, 365)
_LONGEST = 2 * 365
_CLEARLY = math.log(1.1)
# No email states a hundred end dates: past that many candidates, text is not prose (a log,
# a table) and reading on would only cost time.
_MOST_TRIES = 100

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
   |(?P<a3>\d{1,2})(?P<s3>[./-])\s?(?P<b3>\d{1,2})\.?(?![\d/.:-]\d)
   |(?P<d4>\d{1,2})(?:st|nd|rd|th|er|º|ª|\.)?\s*(?:de\s+|of\s+|d['’]|di\s+)?
        (?P<mn4>[^\W\d_]{3,14})\.?(?:,?\s*(?:de\s+)?(?P<y4>\d{4}))?
   |(?P<mn5>(?<![^\W\d_])[^\W\d_]{3,14})\.?\s+(?P<d5>\d{1,2})(?:st|nd|rd|th|\.)?(?:,?\s+(?P<y5>\d{4}))?
   |(?:(?P<y6>\d{4})\s*[年년]\s*)?(?P<m6>\d{1,2})\s*[月월]\s*(?P<d6>\d{1,2})\s*[日일号號]?
)"""


# Words before an end date, in lower case, in 20 languages. English and East Asian numeric
# dates read month first; the rest of Europe reads day first.
def _phrases(text: str) -> list[str]:
    return [p.strip() for p in text.split("|") if p.strip()]


_ENGLISH = frozenset(
    _phrases(
        """until|till|thru|through|expire|expires|expiring|expiry|valid to|valid thru|
        valid through|ends on|expiry date|expires on|expiring on|expiration|expiration date"""
    )
)
_EAST_ASIAN = frozenset(
    _phrases(
        """有效期至|有效期到|截至|截止|截止到|到|至|有效期限|有效期限为|有效期限為|到期日|
        有効期限|有効期限は|期限|期限は|유효기간|유효기간은|만료일|만료일은"""
    )
)
# The end of a range ("Nov 1 – Dec 31", "11/1 to 12/31"): read only right after a date.
_RANGE = frozenset(_phrases("to|-|–|—"))
_DATE_BEFORE = re.compile(
    r"(?:\d{1,2}[./]\d{1,2}\.?|[^\W\d_]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?"
    r"|\d{1,2}(?:st|nd|rd|th|\.)?\s+[^\W\d_]{3,9}\.?),?\s*$"
)
_BEFORE_WORDS = (
    *_RANGE,
    *_ENGLISH,
    *_EAST_ASIAN,
    *_phrases(
        """bis|bis zum|bis zur|bis am|bis einschließlich|ablaufdatum|läuft am|endet am|
        jusqu'au|jusqu’au|jusqu'à|jusqu’à|jusqu'a|jusqu'au le|expire le|date d'expiration|
        hasta|hasta el|vence el|vence em|vence no dia|caduca el|fecha de vencimiento|
        vencimiento|vencimento|data de validade|
        até|ate|até o|até o dia|até dia|
        fino al|fino a|fino il|scade il|scadenza|
        tot|tot en met|t/m|verloopt op|vervaldatum|
        do|do dnia|data ważności|wygasa|
        până la|până pe|până în|până la data de|pana la|pana pe|expiră la|expiră pe|
        до|по|истекает|спливає|
        till och med|t.o.m.|t.o.m|til|til og med|indtil|inntil|frem til|utgångsdatum|
        udløbsdato|utløpsdato|utløper|udløber|går ut|
        kuni|aegub|vanhenee|lejárat|eddig"""
    ),
)
_AFTER_KEYWORD = (
    r"(?:\s*[:：])?(?:\s+(?:the|le|el|o|il|den|dem))?\s*(?:[^\W\d_]{1,14}\.?,?\s+)??" + _DATE
)
# A European keyword ends at a space or colon; East Asian ones run into the date (到12月31日).
_PREFIX = re.compile(
    r"(?P<kw>"
    + alternation(w for w in _BEFORE_WORDS if w not in _EAST_ASIAN)
    + r")(?=[\s:：])"
    + _AFTER_KEYWORD,
    re.VERBOSE,
)
_PREFIX_EAST_ASIAN = re.compile(
    r"(?P<kw>" + alternation(_EAST_ASIAN) + r")" + _AFTER_KEYWORD, re.VERBOSE
)
# Postpositions after an end date: Hungarian -ig, Turkish kadar, Finnish asti/saakka,
# Estonian -ni, Japanese まで, Korean 까지, Chinese 为止/前. Found first (they are rare
# strings), then the date is read backwards from them.
_EAST_ASIAN_AFTER = frozenset(_phrases("まで|迄|까지|为止|為止|前"))
_SUFFIX_WORD = re.compile(
    alternation((*_EAST_ASIAN_AFTER, *_phrases("-ig|-éig|-jéig|kadar|asti|saakka|mennessä|-ni")))
)
_BEFORE_SUFFIX = re.compile(
    _DATE + r"(?:\s*['’]?[^\W\d_]{1,3}|\s+tarihine|\s+päivään)?\s*$", re.VERBOSE
)
_CJK = re.compile(r"[\u3040-\u9fff\uac00-\ud7af]")
_WORD_AFTER = re.compile(r"[ \t]*[^\W\d_]")
_TIME_AFTER = re.compile(r"\s*(?:uhr|h\b|hod|óra|час|am\b|pm\b|a\.m|p\.m|o['’]clock|:\d)")


_DAY_FIRST, _MONTH_FIRST, _MONTH_FIRST_IF_SLASH = "dm", "md", "md/"


@dataclass(frozen=True, slots=True)
class EndDate:
    days: int  # snapped to ALLOWED
    start: int
    end: int


def find_end_dates(lowered: str, on: date) -> list[EndDate]:
    """Every stated end date in lower-cased `lowered`, as a period from `on`."""
    found: list[EndDate] = []
    prefixes = (_PREFIX, _PREFIX_EAST_ASIAN) if _CJK.search(lowered) else (_PREFIX,)
    for prefix in prefixes:
        pos = 0
        tries = 0
        while tries < _MOST_TRIES and (m := prefix.search(lowered, pos)) is not None:
            tries += 1
            pos = m.end()
            keyword = " ".join(m.group("kw").split())
            if prefix is _PREFIX and _inside_word(lowered, m.start(), m.end("kw")):
                pos = m.end("kw")
                continue
            if keyword in _RANGE and not _DATE_BEFORE.search(
                lowered, max(0, m.start() - 16), m.start()
            ):
                pos = m.end("kw")
                continue
            if keyword in _EAST_ASIAN or keyword in ("eddig", "lejárat"):  # Hungarian: 12. 18.
                order = _MONTH_FIRST
            else:
                english = keyword in _ENGLISH or keyword == "to"
                order = _MONTH_FIRST_IF_SLASH if english else _DAY_FIRST
            days = _days(m, lowered, on, order)
            if days is None:  # "bis Ende 12/31" read "ende 12" as a month and day: look on
                pos = m.end("kw")
            else:
                found.append(EndDate(days, m.start(), m.end()))
    for tries, word in enumerate(_SUFFIX_WORD.finditer(lowered)):
        if tries == _MOST_TRIES:
            break
        cjk = word.group() in _EAST_ASIAN_AFTER
        if not cjk and word.end() < len(lowered) and lowered[word.end()].isalnum():
            continue  # "kadarka", "-ignore"
        start = max(0, word.start() - 40)
        before = _BEFORE_SUFFIX.search(lowered, start, word.start())
        if before is None:
            continue
        # East Asian and Hungarian dates read month first (12/31まで, 12.31-ig).
        month_first = cjk or word.group().endswith("ig")
        order = _MONTH_FIRST if month_first else _DAY_FIRST
        if (days := _days(before, lowered, on, order)) is not None:
            found.append(EndDate(days, before.start(), word.end()))
    return found


def _inside_word(text: str, start: int, end: int) -> bool:
    """Whether a keyword found at start:end is part of a longer word ("video", "total")."""
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_'’"):
        return True
    return end < len(text) and text[end].isalpha()


def _days(m: re.Match[str], text: str, on: date, order: str) -> int | None:
    """The period to the date `m` matched; `order` says which of a numeric date's two
    readings to try first."""
    g = m.group
    if g("y1"):
        return _period(_candidates(int(g("y1")), int(g("m1")), int(g("d1")), on), on)
    if g("a2"):
        year = int(g("y2"))
        year += 2000 if year < 100 else 0
        a, b = int(g("a2")), int(g("b2"))
        first = _month_first(order, "/" if "/" in m.group() else ".")
        orders = [(b, a), (a, b)] if first else [(a, b), (b, a)]  # (day, month)
        readings = [c for d, mo in orders for c in _candidates(year, mo, d, on)]
        return _period(readings, on)
    if g("a3"):
        if _TIME_AFTER.match(text, m.end()):
            return None  # 10.30 Uhr
        if g("s3") == "-" and not m.group().endswith(".") and _WORD_AFTER.match(text, m.end()):
            return None  # 10-12 Tage
        a, b = int(g("a3")), int(g("b3"))
        first = _month_first(order, g("s3"))
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


def _month_first(order: str, separator: str) -> bool:
    return order == _MONTH_FIRST or (order == _MONTH_FIRST_IF_SLASH and separator == "/")


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
    """The offered period nearest a reading; an earlier reading (the language's own order)
    wins unless a later one lands clearly nearer an offered period."""
    best: tuple[float, int] | None = None
    for when in readings:
        days = (when - on).days
        if not 0 < days <= _LONGEST:
            continue
        snapped = min(ALLOWED, key=lambda p: abs(math.log(days / p)))
        miss = abs(math.log(days / snapped))
        if best is None or miss < best[0] - _CLEARLY:
            best = (miss, snapped)
    return best[1] if best else None
