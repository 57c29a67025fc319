"""Authorization periods as creators write them: "30 days", "a year", "zwei Monate", "until Jan 5".

TikTok offers 7, 30, 60 and 365 days, but creators and agencies state any number of days, in
digits or words, in several languages; a month counts 30 days, twelve of them a full year.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import regex

from parsers.caseless import aligned_lower
from parsers.dates import parse_day

_NUMBER_WORDS = {
    # English
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fourteen": 14,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "forty-five": 45,
    "sixty": 60,
    "ninety": 90,
    # German
    "ein": 1,
    "eine": 1,
    "einen": 1,
    "einem": 1,
    "zwei": 2,
    "drei": 3,
    "vier": 4,
    "sechs": 6,
    "sieben": 7,
    "zwölf": 12,
    "vierzehn": 14,
    "dreißig": 30,
    "dreissig": 30,
    "sechzig": 60,
    "neunzig": 90,
    # French
    "un": 1,
    "une": 1,
    "deux": 2,
    "trois": 3,
    "sept": 7,
    "douze": 12,
    "quinze": 15,
    "trente": 30,
    "soixante": 60,
    "quatre-vingt-dix": 90,
    # Spanish, Portuguese, Italian
    "uno": 1,
    "una": 1,
    "dos": 2,
    "tres": 3,
    "seis": 6,
    "siete": 7,
    "doce": 12,
    "treinta": 30,
    "sesenta": 60,
    "noventa": 90,
    "um": 1,
    "uma": 1,
    "dois": 2,
    "duas": 2,
    "três": 3,
    "sete": 7,
    "doze": 12,
    "trinta": 30,
    "sessenta": 60,
    "due": 2,
    "tre": 3,
    "sei": 6,
    "sette": 7,
    "dodici": 12,
    "trenta": 30,
    "sessanta": 60,
    "novanta": 90,
    # Dutch
    "een": 1,
    "één": 1,
    "twee": 2,
    "drie": 3,
    "zes": 6,
    "zeven": 7,
    "twaalf": 12,
    "dertig": 30,
    "zestig": 60,
    "negentig": 90,
}
# Articles that mean "one" only before a long unit ("a year", not "a day before posting").
_ARTICLES = {"a": 1, "an": 1}

_UNITS = {
    "day": 1,
    "week": 7,
    "month": 30,
    "year": 365,
}
_UNIT_WORDS = regex.compile(
    r"""(?ix)
    (?P<day>days?|d|tage?n?|tag|jours?|d[ií]as?|giorn[oi]|dag(?:en)?)
    |(?P<week>weeks?|wochen?|semaines?|semanas?|settiman[ae]|weken|week)
    |(?P<month>months?|monate?n?|monat|mois|mes(?:es)?|m[eê]s|mesi|mese|maand(?:en)?)
    |(?P<year>years?|yr|jahre?n?|jahr|ans?|ann[ée]es?|a[ñn]os?|anni|anno|jaar|jaren)
    """
)
_NUMBER = (
    r"(?P<num>\d{1,4}|"
    + "|".join(
        sorted((regex.escape(w) for w in (*_NUMBER_WORDS, *_ARTICLES)), key=len, reverse=True)
    )
    + r")"
)
# Matched against lower-cased text (parsers.caseless): case-sensitive, the engine rules out
# most of the number words on their first letter.
_PERIOD = re.compile(
    r"(?<![\w.,/:=+#-])" + _NUMBER + r"(?:[\s-]|\s*-\s*)?"
    r"(?:(?:full|whole|entire|complete|ganzes?|vollen?|volles|entier|entière|completo|"
    r"intero|inteiro|hele|volledig)\s+)?(?P<unit>[a-zäöüßéèêíóúñãç]+)\b"
)
_UNTIL = re.compile(  # on lower-cased text, as _PERIOD
    r"\b(?:until|till|through|thru|expires?(?:\s+on)?|valid\s+to|bis(?:\s+zum)?|"
    r"g[üu]ltig\s+bis|jusqu['’]\s*(?:au|à)|hasta(?:\s+el)?|at[ée](?:\s+(?:o\s+)?dia)?|"
    r"fino\s+al|tot(?:\s+en\s+met)?)\s+"
    r"(?P<day>(?:[^\W\d_]+\.?,?\s+)?(?:\d{1,2}(?:st|nd|rd|th|er|º)?\.?\s*(?:de\s+)?"
    r"[^\W\d_]{3,}\.?(?:\s+(?:de\s+)?\d{4})?|[^\W\d_]{3,}\.?\s+\d{1,2}(?:st|nd|rd|th)?"
    r"(?:,?\s+\d{4})?|\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}(?:[./]\d{2,4})?))"
)
# Words near a number that make it an authorization period rather than, say, a posting
# deadline; used to choose when a text states several.
_CONTEXT = re.compile(  # on lower-cased text
    r"valid|authori[sz]|expir|usage|use|run|ads?\b|spark|code|period|duration|g[üu]ltig|"
    r"freigabe|laufzeit|valable|validit|autoris|v[áa]lid|duraci[óo]n|dura[çc][ãa]o|"
    r"autoriza|durata|valido|geldig|looptijd"
)


@dataclass(frozen=True, slots=True)
class PeriodMatch:
    days: int
    start: int
    end: int
    in_context: bool


def expiry(authorized_at: datetime, days: int) -> datetime:
    """An authorization ends N whole days of 24 hours after it started."""
    return authorized_at + timedelta(days=days)


def find_periods(
    text: str, authorized_on: date | None = None, phrases: Sequence[tuple[str, int]] = ()
) -> list[PeriodMatch]:
    """Every stated period in `text`, in order; "until <date>" needs `authorized_on`.

    `phrases` are the ops team's own (config rules), such as ("the whole campaign", 60).
    """
    found: list[PeriodMatch] = []
    lowered = aligned_lower(text)
    for phrase, days in phrases:
        start = lowered.find(phrase.lower())
        while start >= 0:
            found.append(PeriodMatch(days, start, start + len(phrase), True))
            start = lowered.find(phrase.lower(), start + 1)
    for m in _PERIOD.finditer(lowered):
        unit_match = _UNIT_WORDS.fullmatch(m.group("unit"))
        if unit_match is None or unit_match.lastgroup is None:
            continue
        unit = unit_match.lastgroup
        word = m.group("num")
        if word.isdigit():
            count = int(word)
        elif word in _ARTICLES:
            if unit not in ("month", "year"):
                continue
            count = 1
        else:
            count = _NUMBER_WORDS[word]
        if unit == "day" and m.group("unit") == "d" and not word.isdigit():
            continue
        in_days = _to_days(count, unit)
        if in_days is None:
            continue
        found.append(PeriodMatch(in_days, m.start(), m.end(), _near_context(lowered, m.start())))
    if authorized_on is not None:
        for until in _UNTIL.finditer(lowered):
            day = parse_day(until.group("day"), authorized_on)
            if day is None:
                continue
            days = (day - authorized_on).days
            if 0 < days <= 3 * 365:
                found.append(PeriodMatch(days, until.start(), until.end(), True))
    found.sort(key=lambda p: p.start)
    return found


def _to_days(count: int, unit: str) -> int | None:
    if count <= 0:
        return None
    days = 365 * (count // 12) if unit == "month" and count % 12 == 0 else count * _UNITS[unit]
    return days if days <= 5 * 365 else None


def _near_context(lowered: str, start: int) -> bool:
    window = lowered[max(0, start - 50) : start + 40]
    return _CONTEXT.search(window) is not None
