"""Authorization periods as creators write them: "30 days", "a year", "60 dni", "7 günlük",
"30日間", "sesenta días", "valid until 12/31", in 23 languages.

TikTok offers 7, 30, 60 and 365 days, but creators and agencies state any number of days, in
digits (ASCII or full-width) or words, with the unit in whatever case their grammar asks for;
a week counts 7 days, a month 30, a year 365, and twelve months a full year. End dates are read
by `parsers.until`. "60 days ago", "in 7 days I'll post" and "24/7" are not periods.

Languages: en es pt fr de it nl pl cs sk hu ro ru uk tr sv da no fi et ja zh ko. To add one,
add its unit forms to `_UNIT_FORMS` (every case a number governs, and compound adjectives),
its number words to `parsers.numbers`, its "ago"/"in N days" words to `_AGO_*`/`_AHEAD_*`,
its validity words to `_CONTEXT` and `_BARE`, and its "until" words to `parsers.until`
(month names come from dateparser); then a row per form in tests/parsers/test_durations.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from parsers.caseless import aligned_lower
from parsers.numbers import CJK_NUMERALS, KOREAN_NATIVE, NUMBER_WORDS, ONE_WORDS, cjk_number
from parsers.until import find_end_dates
from parsers.wordtrie import alternation

# Unit words in lower case, by unit: first the forms a "one"/"a" word may stand before
# ("a week", "ein Jahr", "egy hónap", "bir yıl"), then every other case and plural, and the
# adjective forms of compounds ("30-dniowy", "30denní", "7-дневный", "30 napos", "7 günlük").
_UNIT_FORMS: dict[str, tuple[str, str]] = {
    "day": (
        "",  # never "a day": "send it a day before posting"
        """days day d tag tage tagen tages tägig tägige tägigen tägiger tägiges jour jours
        día días dia dias giorno giorni dag dagen dagar dagars dage dages dager dagers døgn
        døgns dygn dygns dzień dni dnia dniach dniowy dniowa dniowe dniowego dniową dniowej
        dniowym den dny dní dnů dnu dnech dnům denní denního denním deň dňa dňoch dňom dňový
        dňová dňové dňového dňovú dňovej nap napig napos napra napot napon napnyi napnak
        zi zile zilei день дня дней дн дні днів суток сутки діб доби дневный дневная
        дневное дневного дневной дневную денний денна денне денного денну gün günlük
        günlüğüne günü güne gündür günlüğü päivä päivää päivän päiväksi päivät päiväinen
        päiväisen pv päev päeva päevaks päevad päevane päevase""",
    ),
    "week": (
        """week woche semaine semana settimana tydzień týden týždeň hét hetet săptămână
        saptamana săptămâna неделю неделя тиждень hafta vecka uge uke viikko viikon viikoksi
        nädal nädalaks hetes hétig hétre hetig haftalık haftalığına""",
        """weeks wk wks wochen wöchig wöchige wöchigen semaines semanas settimane weken
        tygodnie tygodni tygodnia tygodniowy tygodniowa tygodniowe týdny týdnů týdne týdnu
        týdenní týždne týždňov týždňa týždenný săptămâni saptamani
        недели недель недельный тижні тижнів тижня тижневий veckor
        veckors uger ugers uker ukers viikkoa viikkoinen nädalat nädala nädalane""",
    ),
    "month": (
        """month monat mois mes mês mese maand miesiąc měsíc mesiac hónap lună luna месяц
        місяць ay månad måned kuukausi kuukaudeksi kuukauden kuu kuuks hónapig hónapos
        hónapra hónapot hónapnyi aylık aylığına""",
        """months mo mos mth mths monate monaten monats monatig monatige monatigen meses mesi
        maanden miesiące miesięcy miesiąca miesięczny miesięczna miesięczne měsíce měsíců
        měsíci měsíční mesiace mesiacov mesiaca mesačný mesačná luni месяца месяцев мес
        месячный місяці місяців місяця міс місячний månader månaders måneder måneders
        kuukautta kk kuud kuune""",
    ),
    "year": (
        """year yr jahr an année año ano anno jaar rok év год рік yıl sene år vuosi vuodeksi
        vuoden aasta aastaks évig éves évre évet évnyi yıllık yıllığına senelik""",
        """years yrs jahre jahren jahres jährig jährige jährigen ans années años anos anni
        jaren lata lat roku roczny roczna roczne roky let roční rokov ročný ročná ani anul
        года лет годовой годичный роки років року річний års året vuotta aastat aastane""",
    ),
}
# Danish tens read differently from the same word elsewhere: "tres dage" is sixty days,
# "tres días" three.
_DANISH = {"tres": 60, "halvtreds": 50}
_DANISH_UNITS = frozenset(str.split("dage dages dag døgn uger ugers måneder måneders år års"))
_UNIT_DAYS = {"day": 1, "week": 7, "month": 30, "year": 365}
_UNIT_OF: dict[str, str] = {}
_SINGULAR: set[str] = set()
for _unit, (_singular, _other) in _UNIT_FORMS.items():
    for _form in (*_singular.split(), *_other.split()):
        _UNIT_OF.setdefault(_form, _unit)
    _SINGULAR.update(_singular.split())


def _words(text: str, separator: str | None = None) -> list[str]:
    return [w.strip() for w in text.split(separator) if w.strip()]


# Articles that are also other words: "a semana" is Portuguese for "the week", "o ano" for
# "the year", "en año" Spanish for "in a year"; each counts as "one" only in its own language.
_ONE_BEFORE = {
    "a": frozenset(_words("week month year yr")),
    "an": frozenset(_words("year yr")),
    "o": frozenset(_words("lună luna săptămână saptamana săptămâna")),
    "en": frozenset(_words("vecka månad år uge måned uke dygn døgn")),
    "et": frozenset(_words("år døgn")),
    "ett": frozenset(_words("år dygn døgn")),
}


# Digits may touch their unit ("30d", "30denní"); a word needs a space or hyphen ("today"
# is not "to day", Danish for two days).
_NUMBER = (
    r"(?:(?P<num>\d{1,4})(?:\s*-\s*|\s+)?|(?P<word>"
    + alternation(NUMBER_WORDS)
    + r")(?:\s*-\s*|\s+))"
)
# Words between a number and its unit: "30 full days", "30 de zile", "30 calendar days".
_FILLER = (
    r"(?:(?:full|whole|entire|complete|calendar|ganzen?|ganzes|vollen?|volles|entiers?|"
    r"entières?|completos?|interi|inteiros?|hele|volledige?|de|pełnych|celých|teljes|"
    r"целых|полных|повних|hela|fulla|kokonaista|täit)\s+)?"
)
# Matched on lower-cased text (parsers.caseless), case-sensitive for speed.
_PERIOD = re.compile(
    r"(?<![\w.,/:=+#$€£¥₹\-])"
    + _NUMBER
    + _FILLER
    + r"(?P<unit>"
    + alternation(_UNIT_OF)
    + r")(?!\w)"
)
# East Asian: no spaces between words, so no word edges; a day after a month (12月31日,
# 12월 31일) is a date, and 月 alone is a month name, not a number of months.
_CJK_NUMBER = r"(?P<num>\d{1,4}|[" + CJK_NUMERALS + r"百]{1,5}|" + "|".join(KOREAN_NATIVE) + ")"
_CJK_PERIOD = re.compile(
    r"(?<![\d.,/:\-])" + _CJK_NUMBER + r"\s*(?:"
    r"(?P<day>日間|日间|天|日|일간|일)"
    r"|(?P<week>週間|个星期|個星期|星期|周|週|주일|주간|주)"
    r"|(?P<month>(?:个|個|ヶ|ケ|か|カ|ヵ|箇)月間?|개월간?|달)"
    r"|(?P<year>年間|年间|年|개년|년간|년))"
)
# Whole phrases: one week, one year, half a year. A plain word list, so that the engine can
# skip ahead on their first letters.
_FIXED_DAYS = {
    **dict.fromkeys(_words("일주일|일 주일|一週間|一周|一星期", "|"), 7),
    **dict.fromkeys(_words("일년|일 년", "|"), 365),
    **dict.fromkeys(
        _words(
            """half a year|half-year|halbes jahr|pół roku|půl roku|pol roka|полгода|пол года|
            пів року|півроку|fél év|puoli vuotta|pool aastat|medio año|meio ano|半年|반년""",
            "|",
        ),
        180,
    ),
}
_FIXED = re.compile(alternation(_FIXED_DAYS))
# A unit with no number after a validity word, as languages without articles say "a month":
# "Platí týden.", "Ważny przez miesiąc.", "Код действует месяц.", "Voimassa kuukauden."
_BARE = re.compile(
    alternation(
        _words(
            """valid|gültig|gilt|valable|válido|válida|valido|valida|geldig|ważny|ważna|ważne|
            obowiązuje|platí|platný|platná|platné|platnosť|platnost|érvényes|valabil|valabilă|
            действует|действителен|действительна|срок|срок действия|діє|дійсний|дійсна|термін|
            geçerli|giltig|gäller|gyldig|gælder|voimassa|kehtib|kehtiv|lasts|runs|
            autoryzacja|autorizace|autorizácia|авторизация|авторизація|доступ|dostęp|
            freigabe|engedély|yetki|godkendelse|behörighet""",
            "|",
        )
    )
    + r"(?:\s*[—–:-]\s*|\s+)(?:"
    + alternation(
        _words(
            """for|für|pour|por|durante|para|per|voor|przez|na|po dobu|на|в течение|протягом|
            i|en|pendant|während|one|a""",
            "|",
        )
    )
    + r"\s+)?(?P<unit>"
    + alternation(_SINGULAR)
    + r")(?!\w)"
)

# "60 days ago" in each language: words after the period, or before it.
_AGO_AFTER = re.compile(
    r"\s*(?:ago\b|fa\b|geleden|temu\b|назад|тому\b|önce|sedan\b|siden\b|sitten\b|tagasi\b|"
    r"ezelőtt|earlier|old\b|alt\b|前|전|之前|以前)"
)
_AGO_BEFORE = re.compile(r"(?:\bhace|\bhá|\bil\s+y\s+a|\bvor|\bpřed|\bpred|\bacum)\s+$")
# "in 7 days", "within 7 days", "7日後": a date ahead, a period only beside an expiry word.
_AHEAD_BEFORE = re.compile(
    r"(?:\bin|\bwithin|\bafter|\bdans|\baprès|\ben|\bem|\bdentro\s+de|\bentro|\btra|"
    r"\bfra|\bover|\bbinnen|\bnach|\bza|\bo|\bpo|\bîn|\bdupă|через|\bom|\binom|\binnen)\s+$"
)
_AHEAD_AFTER = re.compile(
    r"\s*(?:múlva|päästä|kuluttua|pärast|sonra|içinde|later|from\s+now|後|后|以内|内|이내|후|뒤|안에)"
)
_EXPIRY = re.compile(
    r"expir|\bends?\b|run\s+out|runs\s+out|ablauf|läuft|abläuft|vence|venc|caduc|scad|"
    r"verloop|verval|wygas|vyprš|vyprší|skonč|lejár|expiră|истека|истечёт|истечет|закончит|"
    r"спливає|спливе|закінч|sona\s+er|\bbit(?:er|ecek|iyor|iş)|går\s+ut|löper\s+ut|udløb|"
    r"utløp|vanhene|päätty|"
    r"aegub|lõpe|期限|切れ|失效|过期|過期|到期|만료|끝"
)
_RATE_AFTER = re.compile(r"\s+(?:a|per|each|every)\s+(?:week|month|year)")  # 7 days a week
_RATE_BEFORE = re.compile(r"\b(?:days?|hours?|times|mal|fois|veces|vezes|volte|keer)\s+$")
_PHRASE_CONTEXT = 50
# Words near a number that make it an authorization period rather than, say, a posting
# deadline; used to choose when a text states several. Stems, in lower case, in 23 languages.
_CONTEXT = re.compile(
    r"valid|authori[sz]|expir|usage|use|run|ads?\b|spark|code|period|duration|last"
    r"|g[üu]ltig|freigabe|laufzeit|autorisier|dauer"
    r"|valable|validit|autoris|durée"
    r"|v[áa]lid|duraci[óo]n|dura[çc][ãa]o|autoriza|vigencia|vigência|validade|c[óo]digo"
    r"|durata|valid|autorizz|codice"
    r"|geldig|looptijd|machtiging"
    r"|ważn|autoryzac|kod|okres|czas"
    r"|platn|autorizac|kód|doba|období|obdobie|autorizáci"
    r"|érvényes|engedély|időtartam|jóváhagy|hirdetés"
    r"|valabil|autorizar|perioad|durat"
    r"|действ|авториз|код|срок|период|разрешен|реклам"
    r"|дійсн|діє|термін|період|дозвіл"
    r"|geçerli|yetki|süre|onay|reklam"
    r"|giltig|auktoris|varaktighet|behörighet|annons"
    r"|gyldig|godkend|kode|varighed|annonce|varighet|godkjen|annonse"
    r"|voimassa|valtuut|koodi|kausi|kesto|lupa|mainos|hyväksy"
    r"|kehti|volitu|kood|periood|kestus|luba|reklaam"
    r"|認証|承認|許可|コード|期間|有効|広告|授权|授權|代码|代碼|码|期限|有效|广告|廣告"
    r"|승인|인증|권한|코드|기간|유효|광고"
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
        word: str | None = m.group("word")
        form: str = m.group("unit")
        unit = _UNIT_OF[form]
        if word is None:
            count = int(m.group("num"))
        elif word in ONE_WORDS:
            if form not in _SINGULAR or form not in _ONE_BEFORE.get(word, _SINGULAR):
                continue
            count = 1
        else:
            if form == "d":
                continue
            count = _DANISH.get(word, 0) if form in _DANISH_UNITS else 0
            count = count or NUMBER_WORDS[word]
        _add(found, lowered, m, count, unit)
    if _CJK.search(lowered):
        for m in _CJK_PERIOD.finditer(lowered):
            unit = m.lastgroup or "day"
            cjk_count = _cjk_count(m.group("num"))
            if cjk_count is not None and not (unit == "day" and _is_day_of_month(lowered, m)):
                _add(found, lowered, m, cjk_count, unit)
    for m in _BARE.finditer(lowered):
        if m.start() and lowered[m.start() - 1].isalnum():
            continue  # inside a word
        start = m.start("unit")
        days = _UNIT_DAYS[_UNIT_OF[m.group("unit")]]
        if not _not_a_period(lowered, start, m.end()):
            found.append(PeriodMatch(days, start, m.end(), True))
    for m in _FIXED.finditer(lowered):
        days = _FIXED_DAYS[" ".join(m.group().split())]
        if not _not_a_period(lowered, m.start(), m.end()):
            found.append(PeriodMatch(days, m.start(), m.end(), _near_context(lowered, m.start())))
    if authorized_on is not None:
        for end_date in find_end_dates(lowered, authorized_on):
            found.append(PeriodMatch(end_date.days, end_date.start, end_date.end, True))
    found.sort(key=lambda p: p.start)
    return _without_overlaps(found)


def _add(found: list[PeriodMatch], lowered: str, m: re.Match[str], count: int, unit: str) -> None:
    in_days = _to_days(count, unit)
    if in_days is None or _not_a_period(lowered, m.start(), m.end()):
        return
    found.append(PeriodMatch(in_days, m.start(), m.end(), _near_context(lowered, m.start())))


def _not_a_period(lowered: str, start: int, end: int) -> bool:
    """A time ago, a date ahead with no expiry word beside it, or a rate ("7 days a week")."""
    before = lowered[max(0, start - 14) : start]
    if _AGO_AFTER.match(lowered, end) or _AGO_BEFORE.search(before):
        return True
    if _RATE_AFTER.match(lowered, end) or _RATE_BEFORE.search(before):
        return True
    if _AHEAD_BEFORE.search(before) or _AHEAD_AFTER.match(lowered, end):
        window = lowered[max(0, start - 40) : end + 30]
        return _EXPIRY.search(window) is None
    return False


_CJK = re.compile(r"[\u3040-\u9fff\uac00-\ud7af]")


def _cjk_count(word: str) -> int | None:
    if word[0].isdigit():
        return int(word)
    return KOREAN_NATIVE.get(word) or cjk_number(word)


def _is_day_of_month(lowered: str, m: re.Match[str]) -> bool:
    """12月31日, 12월 31일, 31日まで, 30일까지: a calendar day, not a count of days."""
    before = lowered[max(0, m.start() - 3) : m.start()].rstrip()
    if before.endswith(("月", "월")):
        return True
    follows = lowered.startswith(("まで", "까지", "에", "に", "から", "부터", "起", "号"), m.end())
    return follows and m.group("day") in ("日", "일")


def _to_days(count: int, unit: str) -> int | None:
    if count <= 0:
        return None
    whole_years = unit == "month" and count % 12 == 0
    days = 365 * (count // 12) if whole_years else count * _UNIT_DAYS[unit]
    return days if days <= 5 * 365 else None


def _near_context(lowered: str, start: int) -> bool:
    window = lowered[max(0, start - _PHRASE_CONTEXT) : start + 40]
    return _CONTEXT.search(window) is not None


def _without_overlaps(found: list[PeriodMatch]) -> list[PeriodMatch]:
    """One reading per stretch of text: "一週間" is one week, not also "一週"."""
    kept: list[PeriodMatch] = []
    for p in found:
        if kept and p.start < kept[-1].end:
            if p.end - p.start > kept[-1].end - kept[-1].start:
                kept[-1] = p
            continue
        kept.append(p)
    return kept
