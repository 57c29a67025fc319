"""Who wrote which part: forwards and replies in many mail clients and languages.

The strings are those the clients print (Gmail, Outlook desktop and OWA, Outlook 2013, Outlook
for Mac's "On ... wrote:", Apple Mail, Thunderbird, Yahoo); names and addresses are made up.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from parsers import mailclients
from parsers.dates import parse_header_date
from parsers.extract import extract
from parsers.forwarded import Ambiguous, Kind, segments, subject_kind
from parsers.records import Reason
from tests.pipeline.mailgen import code_for

NAME, ADDR = "Emily Carter", "emily.carter@example.net"
STAFF = "Hannah Mills <hannah@brand.example>"
CODE = code_for(1, "fwd")


def creator(body: str, subject: str = "Fwd: code") -> tuple[Kind, str | None, str | None]:
    """The kind, name and address of the part below the first boundary."""
    parts = segments(body, subject=subject)
    assert len(parts) >= 2, body
    assert "code below" in parts[1].text and "FYI" not in parts[1].text
    return parts[1].kind, parts[1].sender_name, parts[1].sender_email


def test_polish_w_dniu_attribution_names_the_sender() -> None:
    # issue 11: "W dniu" was known to two of three regexes; the quote lost its sender.
    body = (
        "Tak, proszę.\n\n"
        "W dniu 28.10.2021 o 12:46, Jan Kowalski <jan@example.pl> napisał:\n"
        "> Prosimy o kod.\n> Dzięki\n"
    )
    parts = segments(body, subject="Odp: kod")
    assert [(p.kind, p.sender_name, p.sender_email) for p in parts] == [
        (Kind.TOP, None, None),
        (Kind.REPLY, "Jan Kowalski", "jan@example.pl"),
    ]
    assert parts[0].text == "Tak, proszę."


# Gmail translates only the From label; Date, Subject and To stay English.
GMAIL_FROM_ONLY = ["От:", "Від:", "Kimden:", "Feladó:", "Lähettäjä:", "Saatja:", "Šalje:",
                   "De la:", "差出人:", "보낸사람:", "发件人："]  # fmt: skip


@pytest.mark.parametrize("label", GMAIL_FROM_ONLY)
def test_gmail_forward_translating_only_from(label: str) -> None:
    body = (
        "FYI\n\n---------- Forwarded message ---------\n"
        f"{label} {NAME} <{ADDR}>\nDate: Wed, Nov 4, 2026 at 9:05 AM\nSubject: code\n"
        f"To: {STAFF}\n\n\nHi, code below\n"
    )
    assert creator(body) == (Kind.FORWARD, NAME, ADDR)


OUTLOOK_BLOCKS = [
    ("da", "-----Oprindelig meddelelse-----", ("Fra:", "Dato:", "Til:", "Emne:"), "VS:"),
    ("fi", "-----Alkuperäinen viesti-----", ("Lähettäjä:", "Päivämäärä:", "Vastaanottaja:", "Aihe:"), "VL:"),
    ("tr", "-----Özgün İleti-----", ("Kimden:", "Tarih:", "Kime:", "Konu:"), "İLT:"),
    ("pl", "-----Oryginalna wiadomość-----", ("Od:", "Wysłano:", "Do:", "Temat:"), "PD:"),
    ("cs", "-----Původní zpráva-----", ("Od:", "Odesláno:", "Komu:", "Předmět:"), "FW:"),
    ("hu", "-----Eredeti üzenet-----", ("Feladó:", "Elküldve:", "Címzett:", "Tárgy:"), "Továbbítás:"),
    ("ko", "-----Original Message-----", ("보낸 사람:", "보낸 날짜:", "받는 사람:", "제목:"), "전달:"),
    ("zh", "-----原始邮件-----", ("发件人:", "发送时间:", "收件人:", "主题:"), "转发:"),
    ("ja", "", ("差出人:", "送信日時:", "宛先:", "件名:"), "転送:"),
    ("ru", "________________________________", ("От:", "Отправлено:", "Кому:", "Тема:"), "Пересл.:"),
]  # fmt: skip


@pytest.mark.parametrize(("lang", "separator", "labels", "prefix"), OUTLOOK_BLOCKS)
def test_outlook_blocks(lang: str, separator: str, labels: tuple[str, ...], prefix: str) -> None:
    frm, sent, to, subject = labels
    body = (
        f"FYI\n\n{separator}\n{frm} {NAME} <{ADDR}>\n{sent} 4.11.2026 9:05\n"
        f"{to} {STAFF}\n{subject} code\n\nHi, code below\n"
    )
    assert creator(body, f"{prefix} code") == (Kind.FORWARD, NAME, ADDR), lang


def test_outlook_2013_keeps_the_mailto_address() -> None:
    body = (
        f"FYI\n\nFrom: {NAME} [mailto:{ADDR}]\nSent: Wednesday, November 4, 2026 9:05 AM\n"
        f"To: {STAFF}\nSubject: code\n\nHi, code below\n"
    )
    assert creator(body, "FW: code") == (Kind.FORWARD, NAME, ADDR)


def test_bold_tab_separated_and_full_width_labels() -> None:
    body = (
        f"FYI\n\n*From:*\t{NAME} <{ADDR}>\n*Sent:*\tWednesday, November 4, 2026 9:05 AM\n"
        f"*To:*\t{STAFF}\n*Subject:*\tcode\n\nHi, code below\n"
    )
    assert creator(body) == (Kind.FORWARD, NAME, ADDR)
    body = (
        f"FYI\n\n发件人：{NAME} <{ADDR}>\n日期：2026年11月4日 9:05\n主题：code\n\nHi, code below\n"
    )
    assert creator(body, "转发：code") == (Kind.FORWARD, NAME, ADDR)


APPLE_SEPARATORS = ["Vidarebefordrat mejl:", "Start på videresendt besked:", "Videresendt melding:",
                    "Início da mensagem encaminhada:", "Välitetty viesti alkaa:", "転送されたメッセージ:",
                    "Začátek přeposílané zprávy:", "Начало переадресованного сообщения:"]  # fmt: skip


@pytest.mark.parametrize("separator", APPLE_SEPARATORS)
def test_apple_mail_separators(separator: str) -> None:
    quoted = (
        f"FYI\n\n{separator}\n\n> Från: {NAME} <{ADDR}>\n> Ämne: code\n"
        f"> Datum: 4 november 2026 09:05:00 CET\n> Till: {STAFF}\n> \n> Hi, code below\n"
    )
    assert creator(quoted) == (Kind.FORWARD, NAME, ADDR)


def test_yahoo_glued_one_line_block() -> None:
    body = (
        f"FYI\n\n----- Weitergeleitete Nachricht -----Von: {NAME} <{ADDR}>An: {STAFF}"
        "Gesendet: Mittwoch, 4. November 2026, 09:05:00 MEZBetreff: code\n\nHi, code below\n"
    )
    assert creator(body) == (Kind.FORWARD, NAME, ADDR)


ATTRIBUTIONS = [
    f'On 04/11/2026 09:05, "{NAME}" <{ADDR}> wrote:',
    f'Am 04.11.2026 um 09:05 schrieb "{NAME}" <{ADDR}>:',
    f"Am Mi., 4. Nov. 2026 um 09:05 Uhr schrieb {NAME} <{ADDR}>:",
    f"{NAME} <{ADDR}> kirjoitti 04/11/2026 09.05:",
    f"W dniu śr., 4 lis 2026 o 09:05 {NAME} <{ADDR}> napisał(a):",
    f"Le mer. 4 nov. 2026 à 09:05, {NAME} <{ADDR}> a écrit :",
    f"El mié, 4 nov 2026 a las 9:05, {NAME} (<{ADDR}>) escribió:",
    f"ср, 4 нояб. 2026 г. в 09:05, {NAME} <{ADDR}>:",
    f"2026年11月4日(水) 9:05 {NAME} <{ADDR}>:",
    f"{NAME} <{ADDR}> 于2026年11月4日周三 09:05写道：",
    f"2026년 11월 4일 (수) 오전 9:05, {NAME} <{ADDR}>님이 작성:",
    f"{NAME} <{ADDR}> ezt írta (időpont: 2026. nov. 4., Sze, 9:05):",
    f"04.11.2026, 09:05, «{NAME}» <{ADDR}>:",
    f"On Wed, Nov 4, 2026 at 9:05 AM {NAME} <\n{ADDR}> wrote:",  # wrapped by the client
]


@pytest.mark.parametrize("line", ATTRIBUTIONS)
def test_reply_attributions_in_any_order(line: str) -> None:
    body = f"FYI\n\n{line}\n> Hi, code below\n> Thanks\n"
    kind, name, addr = creator(body, "Re: code")
    assert (kind, name, addr) == (Kind.REPLY, NAME, ADDR)
    parts = segments(body, subject="Re: code")
    when = parse_header_date(parts[1].date_text or "")
    assert when is not None and (when.year, when.month, when.day) == (2026, 11, 4), line


def test_outlook_on_wrote_under_a_forward_subject_is_a_forward() -> None:
    body = 'FYI\n\nOn 28/10/2021 12:46, "John Doe" <john@acme.com> wrote:\n\n    Hi, code below\n'
    assert creator(body, "FW: code") == (Kind.FORWARD, "John Doe", "john@acme.com")
    assert creator(body, "RE: code")[0] is Kind.REPLY


def test_outlook_block_under_a_reply_subject_is_a_reply() -> None:
    body = (
        f"FYI\n\n________________________________\nFrom: {NAME} <{ADDR}>\n"
        f"Sent: Wednesday, November 4, 2026 9:05 AM\nTo: {STAFF}\nSubject: code\n\nHi, code below\n"
    )
    assert creator(body, "RE: code")[0] is Kind.REPLY
    assert creator(body, "AW: code")[0] is Kind.REPLY
    assert creator(body, "code")[0] is Kind.FORWARD
    # A separator that says "forwarded" wins over the subject.
    gmail = body.replace(
        "________________________________", "---------- Forwarded message ---------"
    )
    assert creator(gmail, "Re: code")[0] is Kind.FORWARD


def test_vs_is_a_forward_in_danish_and_a_reply_in_finnish() -> None:
    da = f'FYI\n\nD. 04/11/2026 09.05 skrev "{NAME}" <{ADDR}>:\n\n    Hi, code below\n'
    assert creator(da, "VS: code")[0] is Kind.FORWARD
    fi = (
        f"FYI\n\n-----Alkuperäinen viesti-----\nLähettäjä: {NAME} <{ADDR}>\n"
        f"Lähetetty: 4. marraskuuta 2026 9.05\nVastaanottaja: {STAFF}\nAihe: code\n\nHi, code below\n"
    )
    assert creator(fi, "VS: code")[0] is Kind.REPLY


@pytest.mark.parametrize(
    ("subject", "kind"),
    [
        ("Fwd: x", Kind.FORWARD), ("FW: x", Kind.FORWARD), ("TR : x", Kind.FORWARD),
        ("WG: x", Kind.FORWARD), ("RV: x", Kind.FORWARD), ("I: x", Kind.FORWARD),
        ("PD: x", Kind.FORWARD), ("ENC: x", Kind.FORWARD), ("Doorst: x", Kind.FORWARD),
        ("Továbbítás: x", Kind.FORWARD), ("Пересл.: x", Kind.FORWARD), ("转发: x", Kind.FORWARD),
        ("転送: x", Kind.FORWARD), ("전달: x", Kind.FORWARD), ("VB: x", Kind.FORWARD),
        ("İLT: x", Kind.FORWARD), ("[Summer] Fwd: x", Kind.FORWARD),
        ("Re: x", Kind.REPLY), ("AW: x", Kind.REPLY), ("SV: x", Kind.REPLY),
        ("Odp: x", Kind.REPLY), ("YNT: x", Kind.REPLY), ("Отв: x", Kind.REPLY),
        ("回复: x", Kind.REPLY), ("答复: x", Kind.REPLY), ("RE[2]: x", Kind.REPLY),
        ("My code", None), ("Code: #abc", None),
    ],
)  # fmt: skip
def test_subject_prefixes(subject: str, kind: Kind | None) -> None:
    assert subject_kind(subject) == kind


def test_vs_prefix_is_ambiguous() -> None:
    assert isinstance(subject_kind("VS: x"), Ambiguous)


def test_every_label_list_is_defined_once() -> None:
    # issue 11: openers lived in three regexes and drifted apart.
    assert "w dniu" in mailclients.OPENERS
    assert {"napisał", "kirjoitti", "写道"} <= mailclients.VERBS
    assert mailclients.field_of("Lähettäjä") == "from"
    assert mailclients.field_of("Päivämäärä") == "date"
    assert mailclients.field_of("Tárgy") == "subject"
    assert mailclients.field_of("Etiqueta") == ""


def mail(body: str, subject: str, sender: str = STAFF, to: str = "spark@brand.example") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = "Wed, 04 Nov 2026 12:00:00 +0000"
    msg["Message-ID"] = "<fwd-test@brand.example>"
    msg.set_content(body)
    return msg.as_bytes()


def test_a_code_only_in_the_brands_quoted_request_is_not_a_code() -> None:
    body = (
        "Hi Hannah, I'll send it tomorrow, the video is still rendering.\n\n"
        f"On Tue, Nov 3, 2026 at 9:00 AM Hannah Mills <hannah@brand.example> wrote:\n"
        f"> Please send your Spark code, it looks like {CODE}\n> Thanks\n"
    )
    result = extract(mail(body, "Re: Spark code", sender=f"{NAME} <{ADDR}>"), "t")
    assert result.rows == ()
    assert result.failure is not None and result.failure.reason is Reason.NO_CODE_FOUND
    assert result.failure.identity.creator_email == ADDR


def test_a_code_only_in_an_outlook_block_under_re_is_not_a_code() -> None:
    body = (
        "Sure, coming soon.\n\n________________________________\n"
        "From: Hannah Mills <hannah@brand.example>\nSent: Tuesday, November 3, 2026 9:00 AM\n"
        f"To: {NAME} <{ADDR}>\nSubject: Spark code\n\nPlease send a code such as {CODE}\n"
    )
    result = extract(mail(body, "RE: Spark code", sender=f"{NAME} <{ADDR}>"), "t")
    assert result.rows == ()


def test_a_forwards_failure_names_the_original_sender() -> None:
    body = (
        "FYI, no code in here?\n\n---------- Forwarded message ---------\n"
        f"Kimden: {NAME} <{ADDR}>\nDate: Wed, Nov 4, 2026 at 9:05 AM\nSubject: code\n"
        f"To: {STAFF}\n\nHi, I will send the code next week.\n"
    )
    result = extract(mail(body, "Fwd: code"), "t")
    assert result.failure is not None and result.failure.reason is Reason.NO_CODE_FOUND
    record = result.failure.as_record()
    assert (record["creator_email"], record["creator_name"]) == (ADDR, NAME)


def test_a_forward_under_on_wrote_credits_the_original_sender() -> None:
    body = (
        "FYI\n\n"
        f'On 04/11/2026 09:05, "{NAME}" <{ADDR}> wrote:\n\n'
        f"    Hi Hannah, here is my code: {CODE}\n    It is valid for 30 days.\n"
    )
    result = extract(mail(body, "FW: code"), "t")
    assert [(r.spark_code, r.duration_days, r.identity.creator_email) for r in result.rows] == [
        (CODE, 30, ADDR)
    ]
    assert result.rows[0].authorized_at is not None
    assert result.rows[0].authorized_at.isoformat() == "2026-11-04T09:05:00+00:00"


def test_the_quoted_only_failure_says_why() -> None:
    body = (
        "I'll send it tomorrow.\n\n"
        "On Tue, Nov 3, 2026 at 9:00 AM Hannah Mills <hannah@brand.example> wrote:\n"
        f"> Please send your Spark code, for example {CODE}\n"
    )
    result = extract(mail(body, "Re: Spark code", sender=f"{NAME} <{ADDR}>"), "t")
    assert result.failure is not None and "quoted text" in result.failure.detail


HTML_QUOTES = [
    # Gmail: the attribution in gmail_attr, the quote in a blockquote
    '<div dir="ltr">I will send it tomorrow.</div><br><div class="gmail_quote">'
    '<div dir="ltr" class="gmail_attr">On Tue, Nov 3, 2026 at 9:00 AM Hannah Mills '
    '&lt;<a href="mailto:hannah@brand.example">hannah@brand.example</a>&gt; wrote:<br></div>'
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
    "<div>Please send your Spark code, e.g. {code}</div></blockquote></div>",
    # Apple Mail
    '<div>I will send it tomorrow.</div><div><br><blockquote type="cite">'
    "<div>On Nov 3, 2026, at 9:00 AM, Hannah Mills &lt;hannah@brand.example&gt; wrote:</div>"
    "<br><div><div>Please send your Spark code, e.g. {code}</div></div></blockquote></div>",
    # Outlook: divRplyFwdMsg
    '<div>I will send it tomorrow.</div><hr style="display:inline-block;width:98%">'
    '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>From:</b> Hannah Mills '
    "&lt;hannah@brand.example&gt;<br><b>Sent:</b> Tuesday, November 3, 2026 9:00 AM<br>"
    f"<b>To:</b> {NAME} &lt;{ADDR}&gt;<br><b>Subject:</b> Spark code</font><div>&nbsp;</div></div>"
    "<div>Please send your Spark code, e.g. {code}</div>",
]


@pytest.mark.parametrize("html", HTML_QUOTES, ids=["gmail_quote", "apple_cite", "divRplyFwdMsg"])
def test_html_quotes_make_no_row(html: str) -> None:
    msg = EmailMessage()
    msg["From"] = f"{NAME} <{ADDR}>"
    msg["To"] = "hannah@brand.example"
    msg["Subject"] = "RE: Spark code"
    msg["Date"] = "Wed, 04 Nov 2026 12:00:00 +0000"
    msg["Message-ID"] = "<html-quote@example.net>"
    msg.set_content(html.format(code=CODE), subtype="html")
    result = extract(msg.as_bytes(), "t")
    assert result.rows == ()
    assert result.failure is not None and result.failure.identity.creator_email == ADDR


def test_no_date_header_falls_back_to_the_arrival_time() -> None:
    from datetime import UTC, datetime

    from parsers.records import DurationSource

    msg = EmailMessage()
    msg["From"] = f"{NAME} <{ADDR}>"
    msg["To"] = "spark@brand.example"
    msg["Subject"] = "code"
    msg["Message-ID"] = "<no-date@example.net>"
    msg.set_content(f"Here is my code: {CODE}\nValid for 30 days.\n")
    arrived = datetime(2026, 11, 4, 9, 5, tzinfo=UTC)
    (row,) = extract(msg.as_bytes(), "t", received_at=arrived).rows
    assert row.authorized_at == arrived
    assert row.expires_at is not None and row.expires_at.date().isoformat() == "2026-12-04"
    assert row.duration_source is DurationSource.STATED_FROM_ARRIVAL
    # The Received headers date a file read from disk.
    msg["Received"] = "from mx.example.net by mx.brand.example; Wed, 4 Nov 2026 10:00:00 +0000"
    (row,) = extract(msg.as_bytes(), "t").rows
    assert row.authorized_at == datetime(2026, 11, 4, 10, 0, tzinfo=UTC)


def test_a_broken_encoded_word_in_a_forward_header_is_kept_as_written() -> None:
    body = (
        "FYI\n\n---------- Forwarded message ---------\n"
        f"From: =?utf-8?b?A?= <{ADDR}>\nDate: Wed, Nov 4, 2026 at 9:05 AM\n"
        "Subject: =?utf-8?b?A?=\n\nHi, code below\n"
    )
    assert creator(body)[2] == ADDR


NAME_ONLY_ATTRIBUTIONS = [
    f"On Wed, 2026-11-04 at 09:05 +0100, {NAME} wrote:",  # Evolution
    f"On 04.11.2026 09:05, {NAME} wrote:",  # Roundcube, Thunderbird
    f"Am 04.11.2026 09:05, schrieb {NAME}:",  # Roundcube (de)
    f"Le 04/11/2026 à 09:05, {NAME} a écrit :",  # Thunderbird (fr)
]


@pytest.mark.parametrize("line", NAME_ONLY_ATTRIBUTIONS)
def test_attributions_with_a_name_and_no_address(line: str) -> None:
    body = f"FYI\n\n{line}\n> Hi, code below\n"
    assert creator(body, "Re: code") == (Kind.REPLY, NAME, None)


def test_k9_forward_with_its_separator_and_labels() -> None:
    body = (
        "FYI\n\n-------- Original Message --------\n"
        f"From: {NAME} <{ADDR}>\nSent: 4 November 2026 09:05:00 CET\nTo: {STAFF}\n"
        "Subject: code\n\nHi, code below\n"
    )
    assert creator(body) == (Kind.FORWARD, NAME, ADDR)


def test_a_creators_own_label_list_is_not_a_header_block() -> None:
    body = (
        "Hi Hannah!\n\n"
        f"Name: {NAME} <{ADDR}>\nDate: 04/11/2026\nSpark code: {CODE}\n"
        "Video: https://www.tiktok.com/@emily/video/7300000000000000001\nPeriod: 30 days\n"
    )
    result = extract(mail(body, "My code", sender=f"{NAME} <{ADDR}>"), "t")
    assert [(r.spark_code, r.duration_days, r.identity.creator_email) for r in result.rows] == [
        (CODE, 30, ADDR)
    ]


def test_a_brand_follow_up_quoting_its_own_example_makes_no_row() -> None:
    body = (
        "Any news on this?\n\n"
        "On Tue, Nov 3, 2026 at 9:00 AM Hannah Mills <hannah@brand.example> wrote:\n"
        f"> Please send your Spark code, for example {CODE}\n"
    )
    sent = mail(body, "Re: Spark code", sender=STAFF, to=f"{NAME} <{ADDR}>, spark@brand.example")
    assert extract(sent, "t").rows == ()
    # The same quote without the example word is her earlier mail sending a code on.
    sent = sent.replace(b"for example ", b"here it is: ")
    assert [r.identity.creator_email for r in extract(sent, "t").rows] == ["hannah@brand.example"]


# Thunderbird's forward block in each language (thunderbird-l10n: the forward separator and
# mime.properties' Subject, Date, From, To), in Thunderbird's order: Subject first.
THUNDERBIRD = [
    ("en", "-------- Forwarded Message --------", "Subject:", "Date:", "From:", "To:"),
    ("es", "-------- Mensaje reenviado --------", "Asunto:", "Fecha:", "De:", "Para:"),
    ("pt", "-------- Mensagem encaminhada --------", "Assunto:", "Data:", "De:", "Para:"),
    ("fr", "-------- Message transféré --------", "Sujet :", "Date :", "De :", "Pour :"),
    ("de", "-------- Weitergeleitete Nachricht --------", "Betreff:", "Datum:", "Von:", "An:"),
    ("it", "-------- Messaggio Inoltrato --------", "Oggetto:", "Data:", "Mittente:", "A:"),
    ("nl", "-------- Doorgestuurd bericht --------", "Onderwerp:", "Datum:", "Van:", "Aan:"),
    ("pl", "--- Treść przekazanej wiadomości ---", "Temat:", "Data:", "Nadawca:", "Adresat:"),
    ("cs", "-------- Přeposlaná zpráva --------", "Předmět:", "Datum:", "Od:", "Komu:"),
    ("sk", "-------- Preposlaná správa --------", "Predmet:", "Dátum:", "Od:", "Pre:"),
    ("hu", "-------- Továbbított üzenet --------", "Tárgy:", "Dátum:", "Feladó:", "Címzett:"),
    ("ro", "-------- Mesaj redirecționat --------", "Subiect:", "Dată:", "de la:", "Către:"),
    ("ru", "-------- Перенаправленное сообщение --------", "Тема:", "Дата:", "От:", "Кому:"),
    ("uk", "-------- Переслане повідомлення --------", "Тема:", "Дата:", "Від:", "Кому:"),
    ("tr", "-------- İletilen İleti --------", "Konu:", "Tarih:", "Kimden:", "Kime:"),
    ("sv", "-------- Vidarebefordrat meddelande --------", "Ämne:", "Datum:", "Från:", "Till:"),
    ("da", "-------- Videresendt meddelelse --------", "Emne:", "Dato:", "Fra:", "Til:"),
    ("no", "-------- Videresendt melding --------", "Emne:", "Dato:", "Fra:", "Til:"),
    ("fi", "-------- Välitetty viesti / Fwd.Msg --------", "Aihe:", "Päiväys:", "Lähettäjä:", "Vastaanottaja:"),
    ("et", "-------- Edastatud kiri --------", "Teema:", "Kuupäev:", "Saatja:", "Saaja:"),
    ("ja", "-------- Forwarded Message --------", "件名:", "日付:", "差出人:", "宛先:"),
    ("zh", "-------- 转发的消息 --------", "主题:", "日期:", "发件人:", "收件人:"),
    ("ko", "-------- 전달된 메시지 --------", "제목:", "날짜:", "보낸 사람:", "받는 사람:"),
]  # fmt: skip


@pytest.mark.parametrize(("lang", "sep", "subject", "date", "frm", "to"), THUNDERBIRD)
def test_thunderbird_forward_in_every_language(
    lang: str, sep: str, subject: str, date: str, frm: str, to: str
) -> None:
    body = (
        f"FYI\n\n{sep}\n{subject} \tcode\n{date} \t4.11.2026 9:05\n{frm} \t{NAME} <{ADDR}>\n"
        f"{to} \t{STAFF}\n\n\n\nHi, code below\n"
    )
    assert creator(body) == (Kind.FORWARD, NAME, ADDR), lang


# Gmail's reply line in the languages not covered above.
GMAIL_REPLIES = [
    f"Em qua., 4 de nov. de 2026 às 09:05, {NAME} <{ADDR}> escreveu:",
    f"Il giorno mer 4 nov 2026 alle ore 09:05 {NAME} <{ADDR}> ha scritto:",
    f"Op wo 4 nov. 2026 om 09:05 schreef {NAME} <{ADDR}>:",
    f"st 4. 11. 2026 v 9:05 odesílatel {NAME} <{ADDR}> napsal:",
    f"st 4. 11. 2026 o 9:05 {NAME} <{ADDR}> napísal(a):",
    f"{NAME} <{ADDR}> a scris pe mie., 4 nov. 2026 la 09:05:",
    f"ср, 4 лист. 2026 о 09:05 {NAME} <{ADDR}> пише:",
    f"{NAME} <{ADDR}>, 4 Kas 2026 Çar, 09:05 tarihinde şunu yazdı:",
    f"Den ons 4 nov. 2026 kl 09:05 skrev {NAME} <{ADDR}>:",
    f"Den ons. 4. nov. 2026 kl. 09.05 skrev {NAME} <{ADDR}>:",
    f"ons. 4. nov. 2026 kl. 09:05 skrev {NAME} <{ADDR}>:",
    f"Kolmapäev, 4. november 2026 kell 09:05 kirjutas {NAME} <{ADDR}>:",
]


@pytest.mark.parametrize("line", GMAIL_REPLIES)
def test_gmail_reply_lines(line: str) -> None:
    test_reply_attributions_in_any_order(line)


def test_an_unattributed_quote_of_a_request_is_not_the_writers_own_mail() -> None:
    # The quote borrows no sender from the writer above it: its example code is not hers.
    body = (
        f"Here is my code:\n{code_for(2, 'fwd')}\n\nThanks, Emily\n\n"
        f"> Please send your Spark code, it should look like {CODE}\n> Best, Hannah\n"
    )
    result = extract(mail(body, "Re: code", sender=f"{NAME} <{ADDR}>"), "t")
    assert [r.spark_code for r in result.rows] == [code_for(2, "fwd")]


def test_korean_thunderbird_reply_line() -> None:
    body = "FYI\n\n26. 11. 4. 09:05에 Emily Carter 이(가) 쓴 글:\n> Hi, code below\n"
    assert creator(body, "Re: code") == (Kind.REPLY, "Emily Carter", None)


def test_yahoo_date_glued_to_the_next_label() -> None:
    glued = "quarta-feira, 18 de novembro de 2026, 17:34:42 WETAssunto O meu código"
    parsed = parse_header_date(glued)
    assert parsed is not None
    assert parsed.isoformat() == "2026-11-18T17:34:42+00:00"
