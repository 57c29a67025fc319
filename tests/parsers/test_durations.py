"""Authorization periods in words, digits, end dates and 23 languages."""

from __future__ import annotations

import time
from datetime import date
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from parsers.durations import find_periods
from parsers.extract import extract
from tests.pipeline.mailgen import code_for

ON = date(2026, 11, 3)
NOV_1 = date(2026, 11, 1)


def _days(text: str, on: date | None = ON) -> list[int]:
    return [p.days for p in find_periods(text, on)]


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("valid for 60 days", 60),
        ("30 days", 30),
        ("a 7-day code", 7),
        ("365 days", 365),
        ("1 year", 365),
        ("a year", 365),
        ("one year", 365),
        ("two months", 60),
        ("12 months", 365),
        ("6 months", 180),
        ("thirty days", 30),
        ("2 weeks", 14),
        ("a week", 7),
        ("the 30d code", 30),
        ("30 calendar days", 30),
        ("half a year", 180),
        ("valid for the next 30 days", 30),
        ("Authorization period: 60 days", 60),
    ],
)
def test_english(text: str, days: int) -> None:
    assert _days(text) == [days]


# One row per language: digits with the unit in its cases, number words, compounds.
@pytest.mark.parametrize(
    ("text", "days"),
    [
        # es, pt
        ("60 días", 60),
        ("sesenta días", 60),
        ("un año", 365),
        ("dos meses", 60),
        ("30 dias", 30),
        ("um ano", 365),
        ("sessenta dias", 60),
        ("uma semana", 7),
        # fr, de, it, nl
        ("30 jours", 30),
        ("trente jours", 30),
        ("un an", 365),
        ("une semaine", 7),
        ("7 Tage", 7),
        ("dreißig Tage", 30),
        ("ein Jahr", 365),
        ("zwei Monate", 60),
        ("30-tägige Freigabe", 30),
        ("30 giorni", 30),
        ("sessanta giorni", 60),
        ("un anno", 365),
        ("60 dagen", 60),
        ("1 jaar", 365),
        ("zestig dagen", 60),
        # pl, cs, sk
        ("60 dni", 60),
        ("sześćdziesiąt dni", 60),
        ("1 rok", 365),
        ("2 miesiące", 60),
        ("30-dniowy kod", 30),
        ("jeden tydzień", 7),
        ("30 dní", 30),
        ("12 měsíců", 365),
        ("třicet dní", 30),
        ("30denní autorizace", 30),
        ("60 dní", 60),
        ("30-dňový kód", 30),
        ("tridsať dní", 30),
        ("12 mesiacov", 365),
        # hu, ro
        ("60 napig", 60),
        ("30 napos", 30),
        ("egy évre", 365),
        ("két hónap", 60),
        ("hat hónapos", 180),
        ("30 de zile", 30),
        ("treizeci de zile", 30),
        ("o lună", 30),
        ("12 luni", 365),
        # ru, uk
        ("30 дней", 30),
        ("шестьдесят дней", 60),
        ("1 год", 365),
        ("одну неделю", 7),
        ("2 мес.", 60),
        ("7-дневный", 7),
        ("полгода", 180),
        ("60 днів", 60),
        ("тридцять днів", 30),
        ("один рік", 365),
        ("60-денний", 60),
        # tr
        ("7 günlük", 7),
        ("1 yıl", 365),
        ("bir yıllık", 365),
        ("otuz gün", 30),
        ("12 ay", 365),
        # sv, da, no
        ("60 dagar", 60),
        ("ett år", 365),
        ("sju dagar", 7),
        ("30-dagars", 30),
        ("30 dage", 30),
        ("tredive dage", 30),
        ("Godkendt i tres dage.", 60),  # Danish sixty, not Spanish three
        ("en måned", 30),
        ("7 dager", 7),
        ("ett år", 365),
        ("seksti dager", 60),
        # fi, et
        ("365 päivää", 365),
        ("kolmekymmentä päivää", 30),
        ("1 vuodeksi", 365),
        ("yhden vuoden", 365),
        ("30-päiväinen", 30),
        ("7 päeva", 7),
        ("kolmkümmend päeva", 30),
        ("üks aasta", 365),
        # ja, zh, ko
        ("30日間", 30),
        ("３０日間", 30),
        ("1年", 365),
        ("一年", 365),
        ("1ヶ月", 30),
        ("一週間", 7),
        ("60日間有効", 60),
        ("7天", 7),
        ("三十天", 30),
        ("六十天", 60),
        ("一个月", 30),
        ("有効期間は１か月です。", 30),
        ("两个月", 60),
        ("60일", 60),
        ("30일간", 30),
        ("1년", 365),
        ("12개월", 365),
        ("한 달", 30),
        ("일주일", 7),
    ],
)
def test_languages(text: str, days: int) -> None:
    assert _days(text) == [days]


# Languages without articles say "valid a month" with the bare noun.
@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Platí týden.", 7),
        ("Ważny przez tydzień.", 7),
        ("Ważny przez miesiąc.", 30),
        ("Код действует месяц.", 30),
        ("Код дійсний місяць.", 30),
        ("Термін — тиждень.", 7),
        ("Voimassa viikon.", 7),
        ("Voimassa kuukauden.", 30),
        ("Platí rok.", 365),
        ("Kod ważny na rok.", 365),
        ("Авторизация на месяц.", 30),
    ],
)
def test_bare_unit_after_a_validity_word(text: str, days: int) -> None:
    assert _days(text) == [days]


@pytest.mark.parametrize(
    ("text", "on", "days"),
    [
        ("valid until Jan 5", ON, 60),  # 63 days: the nearest offered period
        ("until January 5th, 2027", ON, 60),
        ("bis 5. Januar 2027", ON, 60),
        ("jusqu'au 5 janvier", ON, 60),
        ("hasta el 5 de enero", ON, 60),
        ("valid until 2027-01-05", ON, 60),
        ("valid until 12/31", NOV_1, 60),
        ("valid until 12/31", date(2026, 12, 1), 30),
        ("valid until 12/31", date(2026, 12, 24), 7),
        ("bis 31.12.", NOV_1, 60),
        ("до 31.12", NOV_1, 60),
        ("до 31 декабря", NOV_1, 60),
        ("до 31 грудня", NOV_1, 60),
        ("até 31/12", NOV_1, 60),
        ("jusqu'au 31/12", NOV_1, 60),
        ("fino al 31/12", NOV_1, 60),
        ("geldig tot 31-12-2026", NOV_1, 60),
        ("ważny do 31 grudnia", NOV_1, 60),
        ("platí do 31. prosince", NOV_1, 60),
        ("platný do 1.12.", NOV_1, 30),
        ("érvényes 12.31-ig", NOV_1, 60),
        ("valabil până la 31.12.2026", NOV_1, 60),
        ("31.12.'ye kadar geçerli", NOV_1, 60),
        ("giltig till 31/12", NOV_1, 60),
        ("gyldig til 1. december", NOV_1, 30),
        ("voimassa 31.12. asti", NOV_1, 60),
        ("kehtib kuni 31.12", NOV_1, 60),
        ("12月31日まで有効", NOV_1, 60),
        ("有效期至2026年12月31日", NOV_1, 60),
        ("12월 31일까지", NOV_1, 60),
        ("valid until 10/31/2027", NOV_1, 365),
        ("Platí do 18. 12..", date(2026, 11, 18), 30),
        ("Érvényes eddig: 12. 18.", date(2026, 11, 18), 30),
        ("Geldig tot 4-12.\nVideo:", date(2026, 11, 4), 30),
        ("Gyldig til 10/1.", date(2026, 11, 11), 60),  # Danish: 10 January, not October 1
        ("Expiration date: 12/31/2026", NOV_1, 60),
        ("it expires on Dec 31st", NOV_1, 60),
        ("until the 31st of December", NOV_1, 60),
        ("expire le 05/12", NOV_1, 30),  # French reads day first
        ("Ablaufdatum: 31.12.2026", NOV_1, 60),
        ("läuft am 31.12. ab", NOV_1, 60),
        ("fecha de vencimiento: 31/12", NOV_1, 60),
        ("有効期限：12月31日", NOV_1, 60),
        ("유효기간: 12월 31일", NOV_1, 60),
        ("Valid 11/1 - 12/31", NOV_1, 60),
        ("from Nov 1 to Dec 31", NOV_1, 60),
        ("gültig 1.11. – 1.12.", NOV_1, 30),
        # 05/12 reads 12 May (192 days) or 5 December (34): the near reading wins.
        ("valid until 05/12", NOV_1, 30),
    ],
)
def test_end_dates(text: str, on: date, days: int) -> None:
    assert _days(text, on) == [days]


@pytest.mark.parametrize(
    "text",
    [
        "send it a day before posting",
        "I posted 3 videos",
        "call me at 10:30",
        "in 2026",
        "30 minutes",
        "60 days ago",
        "in 7 days I'll post the video",
        "hace 60 días que lo subí",
        "vor 30 Tagen",
        "60 дней назад",
        "60 днів тому",
        "7 gün önce",
        "för 60 dagar sedan",
        "60 päivää sitten",
        "60日前",
        "7天前",
        "60일 전",
        "za 7 dni opublikuję",
        "через 7 дней выложу",
        "support 24/7",
        "7 days a week",
        "$30 per month",
        "order #12345",
        "a semana passada",
        "o ano passado",
        "en meses anteriores",
        "el 5 de enero publiqué",
        "12月31日に投稿します",
        "bis 10.30 Uhr",
        "bis 10-12 Tage später",
        "total 5.12 EUR",
        "10 - 12 videos",
        "pages 5 to 7",
        "posted half a year ago",
        "Видео опубликовано полгода назад",
        "the video is valid content",
        "valid from today",
        "I'm 3 years old",
    ],
)
def test_not_a_period(text: str) -> None:
    assert find_periods(text, ON) == []


def test_ahead_with_an_expiry_word_is_a_period() -> None:
    assert _days("the code expires in 30 days") == [30]
    assert _days("код истекает через 30 дней") == [30]


def test_until_without_a_date_to_count_from_is_ignored() -> None:
    assert find_periods("valid until Jan 5", None) == []


def test_context_words_in_other_languages() -> None:
    """A period beside an authorization word is preferred when a text states several."""
    for text in (
        "autoryzacja na 30 dni",
        "авторизация на 30 дней",
        "承認期間は30日間",
        "승인 기간 30일",
    ):
        assert [p.in_context for p in find_periods(text, ON)] == [True], text
    assert [p.in_context for p in find_periods("I posted it 30 days after the shoot", ON)] == [
        False
    ]


@pytest.mark.parametrize(
    "text",
    ["까지" * 50000, "bis 1. " * 20000, "31.12-ig " * 10000, "一" * 100000, "1 " * 50000],
)
def test_long_repetitive_text_is_read_quickly(text: str) -> None:
    """Many candidates in one text (a log, a table) must not take seconds."""
    started = time.perf_counter()
    find_periods(text, ON)
    assert time.perf_counter() - started < 5.0  # 25 s before; about 0.4 s now


@given(st.text(max_size=300))
def test_any_text_gives_periods_or_none(text: str) -> None:
    for p in find_periods(text, ON):
        assert 0 < p.days <= 5 * 365
        assert 0 <= p.start < p.end <= len(text)


def _mail(body: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "Creator <creator@example.net>"
    msg["To"] = "spark@brand.example"
    msg["Subject"] = "Spark code"
    msg["Date"] = "Sun, 01 Nov 2026 10:00:00 +0000"
    msg["Message-ID"] = "<periods@example.net>"
    msg.set_content(body)
    return msg.as_bytes()


CODE = code_for(7, "p")


# Whole creator emails: the period beside the code, with the dates, prices, posting plans and
# "24/7" that real mail holds around it.
@pytest.mark.parametrize(
    ("body", "days"),
    [
        (
            "Hi! Here is the code, valid for 60 days:\n{code}\n"
            "I'll post the next video in 7 days. Fee was $300 for 2 videos. Reachable 24/7.",
            60,
        ),
        ("Hola, te paso el código (válido por sesenta días):\n{code}\nSaludos", 60),
        ("Cześć, kod do filmu poniżej, ważny 60 dni.\n{code}\nPozdrawiam", 60),
        ("Dobrý den, posílám kód, platí do 31. 12.\n{code}\nS pozdravem", 60),
        ("Привет! Код действует до 1 декабря.\n{code}\nВидео выложила 3 дня назад.", 30),
        ("Merhaba, 7 günlük kodum:\n{code}\nVideo 2 gün önce paylaşıldı.", 7),
        ("Hei! Koodi on voimassa 365 päivää.\n{code}\nTerveisin", 365),
        ("Szia! A kód 30 napig érvényes.\n{code}\nÜdv", 30),
        ("Hej, koden gäller i en månad.\n{code}\nHälsningar", 30),
        ("こんにちは。広告コードです（有効期間：３０日間）。\n{code}\nよろしくお願いします。", 30),
        ("你好，授权码如下，有效期一年：\n{code}\n谢谢", 365),
        ("안녕하세요, 광고 코드 보내드립니다. 유효기간 60일입니다.\n{code}\n감사합니다", 60),
        ("Hi, code below is good until 12/31. Posted it Oct 30.\n{code}", 60),
    ],
)
def test_period_in_a_creator_email(body: str, days: int) -> None:
    rows = extract(_mail(body.format(code=CODE)), "t").rows
    assert [(r.spark_code, r.duration_days) for r in rows] == [(CODE, days)]
