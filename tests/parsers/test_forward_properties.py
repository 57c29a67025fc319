"""A header block is found by its shape: labels no client list knows still yield the sender."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import mailclients
from parsers.forwarded import Kind, segments

LETTERS = st.characters(categories=["Lu", "Ll", "Lo"], exclude_characters="ǅǈǋǲ")
WORD = st.text(LETTERS, min_size=1, max_size=8)
LABEL = (
    st.lists(WORD, min_size=1, max_size=3)
    .map(" ".join)
    .filter(lambda x: len(x) <= 30 and mailclients.field_of(x) == "")
)
LOCAL = st.text("abcdefghijklmnopqrstuvwxyz0123456789.", min_size=1, max_size=12).filter(
    lambda x: not x.startswith(".") and not x.endswith(".") and ".." not in x
)
DATES = st.sampled_from(
    [
        "Wed, Nov 4, 2026 at 9:05 AM",
        "4. marraskuuta 2026 klo 9.05",
        "2026年11月4日(水) 9:05",
        "среда, 4 ноября 2026 г. 9:05",
        "04/11/2026 09:05",
        "2026-11-04 09:05:00",
    ]
)
SEPARATORS = st.sampled_from(
    [
        "---------- {w} ---------",
        "-------- {w} --------",
        "-----{w}-----",
        "________________________________",
        "{w}:",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    labels=st.lists(LABEL, min_size=4, max_size=4, unique_by=str.lower),
    name=st.lists(WORD, min_size=1, max_size=3).map(" ".join),
    sender=LOCAL,
    date=DATES,
    subject=st.lists(WORD, min_size=1, max_size=5).map(" ".join),
    separator=SEPARATORS,
    separator_words=st.lists(WORD, min_size=1, max_size=3).map(" ".join),
    thunderbird_order=st.booleans(),
    colon=st.sampled_from([":", "：", " :"]),
    tab=st.booleans(),
    quoted=st.booleans(),
)
def test_unknown_labels_still_yield_the_sender(
    labels: list[str],
    name: str,
    sender: str,
    date: str,
    subject: str,
    separator: str,
    separator_words: str,
    thunderbird_order: bool,
    colon: str,
    tab: bool,
    quoted: bool,
) -> None:
    addr = f"{sender}@creator.example"
    values = {
        "from": f"{name} <{addr}>",
        "date": date,
        "to": "Hannah Mills <hannah@brand.example>",
        "subject": subject,
    }
    # Gmail, Outlook, Apple order: From first; Thunderbird's: Subject, Date, From, To.
    order = (
        ["subject", "date", "from", "to"]
        if thunderbird_order
        else ["from", "date", "to", "subject"]
    )
    gap = "\t" if tab else " "
    prefix = "> " if quoted else ""
    block = "\n".join(
        f"{prefix}{label}{colon}{gap}{values[key]}"
        for label, key in zip(labels, order, strict=True)
    )
    body = (
        "FYI, see below.\n\n"
        + separator.format(w=separator_words)
        + f"\n{block}\n{prefix}\n{prefix}Hi, the code is coming.\n"
    )
    parts = segments(body)
    assert len(parts) == 2, body
    assert parts[1].kind is Kind.FORWARD
    assert parts[1].sender_email == addr, body
    assert parts[1].date_text == date
    assert "the code is coming" in parts[1].text
    assert parts[0].text == "FYI, see below."
