"""Code finding on the damage creators' mail clients do, and on look-alikes that are not codes."""

from __future__ import annotations

import pytest

from parsers.codes import find_codes, join_soft_break, looks_random, normalize_text

CODE = "#Ob5kzYC2/lQ3pR9vFh8wXtE0sN7mKd1UaGcJ4yB6iZrHqT+PeVxW2o3LnMfSgDuA0="
BODY = CODE[1:]


def codes_in(text: str) -> list[str]:
    return [c.code for c in find_codes(normalize_text(text))[0]]


@pytest.mark.parametrize(
    "text",
    [
        f"Here is my code: {CODE} thanks!",
        f"Code “{CODE}” for 30 days",  # smart quotes
        f"Code ‘{CODE}’.",
        f"({CODE})",
        f"code {CODE[:31]}\n{CODE[31:]}\nThanks",  # broken across lines
        f"code {CODE[:31]}\r\n{CODE[31:]}\r\nThanks",
        f"code {CODE[:31]} {CODE[31:]}\nThanks",  # a stray space
        f"code {CODE[:31]}=\n{CODE[31:]}\nThanks",  # a quoted-printable soft break left in
        f"code {CODE[:-1]}=3D bye",  # =3D for '='
        f"code {CODE[:20]}\u200b{CODE[20:]}",  # zero-width space
        f"code {CODE[:20]}\u00ad{CODE[20:]}",  # soft hyphen
        f"My Spark code is {BODY} ok",  # lost '#', labelled
        f"Autorisierungscode: {BODY}",
        f"código: {BODY}",
        f"CÓDİGO: {BODY}",  # Turkish dotted capital I: a label all the same
        f"CODİCE {BODY}",
        f"> {CODE[:31]}\n> {CODE[31:]}",  # inside a quote, wrapped
    ],
)
def test_repairs_damaged_code(text: str) -> None:
    assert codes_in(text) == [CODE]


@pytest.mark.parametrize(
    "text",
    [
        "#fyp #GlowBrandPartner #skincareroutine #ad",
        "#GlowBrandPartner2026 #summer2026",
        "Invoice #INV-2026-0042, order #123456",
        f"see https://x.example/page#{BODY}",  # a URL fragment
        f"track https://t.example/c?t={BODY}&u=1",  # a token inside a link
        f"<https://t.example/{BODY}>",
        f"-- \nJo Brand | ref {BODY}",  # a token in a signature, no label, no '#'
        f"no label here {BODY} at all",
    ],
)
def test_rejects_look_alikes(text: str) -> None:
    assert codes_in(text) == []


def test_several_codes_in_order_and_deduplicated() -> None:
    other = "#Zq8Lk3Hw/Yt5Rm2Nc7Vb1Xs9Pd4Gf6Jh0Ke+Ua3Wo8Ti5Ey2Ql7Zr1Mn=="
    text = f"Video 1: {CODE}\nVideo 2: {other}\n\n> {CODE}"
    assert codes_in(text) == [CODE, other]


def test_truncated_code_is_reported_damaged() -> None:
    found, damaged = find_codes("my code: #Zk9xR2VtTmF3aB1qW7e")
    assert found == []
    assert damaged and "characters long" in damaged[0].why


def test_two_codes_glued_together_are_damaged_not_guessed() -> None:
    glued = CODE + BODY[:-1] + BODY
    found, damaged = find_codes(f"code {glued}")
    assert found == []
    assert damaged


def test_randomness_separates_codes_from_camel_case() -> None:
    assert looks_random(BODY, strict=True)
    assert not looks_random("GlowBrandPartner2026", strict=True)


NO_PAD = (
    "#Hq4Tz9Wm2Kx7Rb3Nv8Ls1Pd6Yf0Gc5Ju2Ea+Io7Uk4Qs9Xn3Mt8Vw1Zy6Bh0Dj5Fl2Cr7Ap4Se9Ti3Og8Ku1Wm6Ly"
)


@pytest.mark.parametrize("width", [72, 74, 76, 78])
@pytest.mark.parametrize("lead", ["", "> ", "Code: "])
def test_code_cut_at_a_clients_wrap_width(width: int, lead: str) -> None:
    # Over 40 characters on the first line and no padding to say the code goes on.
    line = lead + NO_PAD
    first, rest = line[:width], line[width:]
    assert codes_in(f"{first}\n{'> ' if lead == '> ' else ''}{rest}\nThanks") == [NO_PAD]


@pytest.mark.parametrize(
    "after",
    [
        "TikTok video below",
        "YouTube too",
        "Thanks!",
        "30 days",
        "Video 2:",
        "Video2: https://www.tiktok.com/@mia/video/7300000000000000002",
        "McDonalds",
        "Valid30Days please",
        "iPhone15 footage",
    ],
)
def test_code_at_the_wrap_width_stays_apart_from_the_next_word(after: str) -> None:
    code = NO_PAD[:60]
    line = "Here you go: " + code
    assert 72 <= len(line) <= 78
    assert codes_in(f"{line}\n{after}\n") == [code]


def test_a_short_line_is_no_wrap() -> None:
    # The same break on a 50-column line is the creator's own: the code ends there.
    code = NO_PAD[:45]
    assert codes_in(f"code {code}\nAb12Cd\n") == [code]


@pytest.mark.parametrize("space", ["\u00a0", "\u202f", "\u2007"])
def test_no_break_space_inside_a_code(space: str) -> None:
    assert codes_in(f"code: {NO_PAD[:50]}{space}{NO_PAD[50:]}{space}thanks") == [NO_PAD]
    # ... and not glued to a word after a whole code.
    assert codes_in(f"code: {NO_PAD[:60]}{space}for 30 days") == [NO_PAD[:60]]
    assert codes_in(f"code: {NO_PAD[:60]}{space}TikTok") == [NO_PAD[:60]]


@pytest.mark.parametrize(
    ("left", "right", "joined"),
    [
        (f"code {NO_PAD[:50]} ", NO_PAD[50:], f"code {NO_PAD}"),  # a cut code
        (f"code {NO_PAD[:60]} ", "and thanks", f"code {NO_PAD[:60]} and thanks"),
        (f"code {NO_PAD[:60]} ", "30 days", f"code {NO_PAD[:60]} 30 days"),
        (f"code {CODE} ", "Ab12Cd", f"code {CODE} Ab12Cd"),  # padding ends a code
        ("a plain ", "line", "a plain line"),
        ("", "first", "first"),
    ],
)
def test_join_soft_break(left: str, right: str, joined: str) -> None:
    assert join_soft_break(left, right) == joined
