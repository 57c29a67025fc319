"""Number words creators use for a period, in 23 languages, and CJK numerals.

Only the counts that authorization periods are stated in (one to twelve, fourteen, fifteen,
thirty, sixty, ninety), with the grammatical forms those take before a unit: Slavic cases
("dwóch", "трёх"), Finnish and Estonian genitives ("kahden", "kahe"), Romanian genders.
Every word is lower-case: callers match them on `parsers.caseless.aligned_lower` text.
"""

from __future__ import annotations

# Words that also serve as an article ("a", "ein", "en", "egy", "bir"): read as one only
# before a week, month or year, never a day ("a day before posting").
ONE_WORDS = frozenset(
    str.split(
        """a an one ein eine einen einem einer un une uno una um uma een één jeden jedna jedno
    jednego jedną jednu jednoho jedného egy o unu одна один одну одного одной одна один
    bir en ett et én yksi yhden yhdeksi üks ühe üheks"""
    )
)

_WORDS: dict[int, str] = {
    1: "",  # ONE_WORDS
    2: """two zwei deux dos dois duas due twee dwa dwie dwóch dwu dva dvě dve dvou dvoch két
        kettő doi două doua два две двух два дві двох iki två to kaksi kahden kahdeksi kaks
        kahe kaheks""",
    3: """three drei trois tres três tre drie trzy trzech tři tří tri troch három trei три
        трёх трех трьох üç tre kolme kolmen kolm""",
    4: """four vier quatre cuatro quatro quattro cztery čtyři štyri négy patru четыре
        чотири dört fyra fire neljä neli""",
    5: """five fünf cinq cinco cinque vijf pięć pět päť öt cinci пять п'ять beş fem viisi
        viis""",
    6: """six sechs seis sei zes sześć sześciu šest šesti šesť hat șase şase sase шесть шести
        шість шести altı sex seks kuusi kuuden kuus kuue""",
    7: """seven sieben sept siete sete sette zeven siedem siedmiu sedm sedmi sedem hét șapte
        şapte sapte семь семи сім семи yedi sju syv seitsemän seitse seitsme""",
    8: """eight acht huit ocho oito otto osiem osm osem nyolc opt восемь вісім sekiz åtta
        otte kahdeksan kaheksa""",
    9: """nine neun neuf nueve nove negen dziewięć devět deväť kilenc nouă девять дев'ять
        dokuz nio yhdeksän üheksa""",
    10: """ten zehn dix diez dez dieci tien dziesięć deset desať tíz zece десять tio
        kymmenen kümme""",
    12: """twelve zwölf zwoelf douze doce doze dodici twaalf dwanaście dwunastu dvanáct dvanácti
        dvanásť tizenkét tizenkettő doisprezece douăsprezece douasprezece двенадцать
        двенадцати дванадцять дванадцяти tolv kaksitoista kahdentoista kaksteist kaheteist""",
    14: """fourteen vierzehn quatorze catorce catorze quattordici veertien czternaście
        čtrnáct štrnásť fjorton fjorten""",
    15: """fifteen fünfzehn quinze quince quindici vijftien piętnaście patnáct pätnásť
        femton femten""",
    20: """twenty zwanzig vingt veinte vinte venti twintig dwadzieścia dvacet dvadsať húsz
        douăzeci двадцать двадцять yirmi tjugo tyve tjue""",
    30: """thirty dreißig dreissig trente treinta trinta trenta dertig trzydzieści trzydziestu
        třicet třiceti tridsať harminc treizeci тридцать тридцати тридцять тридцяти otuz
        trettio tredive tretti tredve kolmekymmentä kolmenkymmenen kolmkümmend kolmekümne""",
    45: "forty-five",
    60: """sixty sechzig soixante sesenta sessenta sessanta zestig sześćdziesiąt
        sześćdziesięciu šedesát šedesáti šesťdesiat hatvan șaizeci şaizeci saizeci шестьдесят
        шестидесяти шістдесят шістдесяти altmış sextio tres seksti kuusikymmentä
        kuudenkymmenen kuuskümmend kuuekümne""",
    90: """ninety neunzig quatre-vingt-dix noventa novanta negentig dziewięćdziesiąt devadesát
        deväťdesiat kilencven nouăzeci nouazeci девяносто дев'яносто doksan nittio halvfems
        nitti yhdeksänkymmentä üheksakümmend""",
}


def _table() -> dict[str, int]:
    words = {w: 1 for w in ONE_WORDS}
    for value, text in _WORDS.items():
        for word in text.split():
            # "tres" is three in Spanish, sixty in Danish ("tres dage"); "to" two in Danish
            # and Norwegian. The first language listed keeps the word.
            words.setdefault(word, value)
    return words


NUMBER_WORDS: dict[str, int] = _table()

# CJK numerals: 一 to 十 and their compounds (十二, 三十, 六十); 两/兩 is "two" before a unit.
_CJK_DIGITS = dict(zip("一二两兩三四五六七八九", (1, 2, 2, 2, 3, 4, 5, 6, 7, 8, 9), strict=True))
CJK_NUMERALS = "一二两兩三四五六七八九十"
# Korean native numbers, used before 달 (month) and 주 (week): 한 달, 두 달, 세 달.
KOREAN_NATIVE = {"한": 1, "두": 2, "세": 3, "네": 4, "여섯": 6, "일곱": 7, "열두": 12}


def cjk_number(text: str) -> int | None:
    """The value of a CJK numeral such as 七, 十二, 三十 or 三百六十五; None if not one."""
    if not text:
        return None
    total = 0
    current = 0
    for char in text:
        if char in _CJK_DIGITS:
            current = _CJK_DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
        else:
            return None
    return total + current
