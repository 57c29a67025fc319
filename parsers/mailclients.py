"""Every localized word mail clients print around a forward or a reply, in one place.

The words are the strings the clients print (Thunderbird's and K-9's message header and
forward strings from their l10n files, Outlook's and OWA's forward/reply headers, Gmail's
forward separator and reply line, Apple Mail, Roundcube, Evolution, Yahoo) in the 23 languages
sparkcodes is measured on: en, es, pt, fr, de, it, nl, pl, cs, sk, hu, ro, ru, uk, tr, sv, da,
no, fi, et, ja, zh, ko (plus neighbours that share a client string, such as hr "Šalje"). They
were checked against thunderbird-l10n and the per-client, per-locale sample forwards published
with crisp-oss/email-forward-parser; a few Outlook strings are written from the client itself.

The parsers recognise forwards and replies by their shape first; these words only raise
confidence and say which field of a header block is the sender. Adding a language or a client
means adding its words here: every regex in `parsers.forwarded` is built from these tables.
All words are written in lower case (matching is caseless).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

# Header block labels, per field and language ("From:", "Sent:", ...).
FROM_LABELS: Mapping[str, tuple[str, ...]] = {
    "en": ("from", "sender"),
    "es": ("de", "remitente", "enviado por"),
    "pt": ("de", "remetente"),
    "fr": ("de", "expéditeur", "expediteur"),
    "de": ("von", "absender"),
    "it": ("da", "mittente"),
    "nl": ("van", "afzender"),
    "pl": ("od", "nadawca"),
    "cs": ("od", "odesílatel"),
    "sk": ("od", "odosielateľ"),
    "hu": ("feladó", "küldő"),
    "ro": ("de la", "de", "expeditor", "expeditorul"),
    "ru": ("от", "от кого", "отправитель", "пользователь"),
    "uk": ("від", "від кого", "відправник", "користувач"),
    "tr": ("kimden", "gönderen"),
    "sv": ("från", "avsändare"),
    "da": ("fra", "afsender"),
    "no": ("fra", "avsender"),
    "fi": ("lähettäjä",),
    "et": ("saatja", "kellelt"),
    "ja": ("差出人", "送信者", "送信元"),
    "zh": ("发件人", "發件人", "寄件者", "寄件人", "发信人"),
    "ko": ("보낸사람", "보낸 사람", "보낸이"),
    "hr": ("šalje", "pošiljatelj", "od"),
}
DATE_LABELS: Mapping[str, tuple[str, ...]] = {
    "en": ("date", "sent"),
    "es": ("fecha", "enviado", "enviado el", "enviada"),
    "pt": ("data", "enviado", "enviada", "enviado em", "enviada em"),
    "fr": ("date", "envoyé", "envoye", "envoyé le", "date d'envoi"),
    "de": ("datum", "gesendet", "gesendet am"),
    "it": ("data", "inviato", "inviato il", "inviata"),
    "nl": ("datum", "verzonden", "verstuurd", "verzonden op"),
    "pl": ("data", "wysłano", "wysłane", "wysłany"),
    "cs": ("datum", "odesláno", "odeslané"),
    "sk": ("dátum", "odoslané"),
    "hu": ("dátum", "küldve", "elküldve", "időpont"),
    "ro": ("dată", "data", "trimis", "trimis la"),
    "ru": ("дата", "отправлено", "отправлен"),
    "uk": ("дата", "надіслано", "відправлено"),
    "tr": ("tarih", "gönderildi", "gönderilen", "gönderilme", "gönderme tarihi"),
    "sv": ("datum", "skickat", "skickad", "skickades"),
    "da": ("dato", "sendt"),
    "no": ("dato", "sendt"),
    "fi": ("päivämäärä", "päiväys", "lähetetty", "lähetetty aika"),
    "et": ("kuupäev", "saadetud", "saatmisaeg"),
    "ja": ("日付", "送信日時", "送信日", "日時"),
    "zh": ("日期", "发送时间", "發送時間", "时间", "時間", "寄件日期", "发送日期"),
    "ko": ("날짜", "보낸 날짜", "보낸날짜", "보낸 시간"),
    "hr": ("poslano", "datum"),
}
TO_LABELS: Mapping[str, tuple[str, ...]] = {
    "en": ("to",),
    "es": ("para", "a", "destinatario"),
    "pt": ("para", "destinatário", "destinatario"),
    "fr": ("à", "a", "pour", "destinataire"),
    "de": ("an", "empfänger"),
    "it": ("a", "destinatario"),
    "nl": ("aan", "ontvanger"),
    "pl": ("do", "adresat", "odbiorca"),
    "cs": ("komu", "příjemce"),
    "sk": ("komu", "pre", "príjemca"),
    "hu": ("címzett", "címzettek"),
    "ro": ("către", "catre", "pentru", "destinatar", "destinatarul"),
    "ru": ("кому", "получатель"),
    "uk": ("кому", "одержувач", "отримувач"),
    "tr": ("kime", "alıcı"),
    "sv": ("till", "mottagare"),
    "da": ("til", "modtager"),
    "no": ("til", "mottaker"),
    "fi": ("vastaanottaja", "saaja"),
    "et": ("saaja", "kellele", "adressaat"),
    "ja": ("宛先", "受信者"),
    "zh": ("收件人", "收件者"),
    "ko": ("받는사람", "받는 사람", "받는이"),
    "hr": ("prima", "za"),
}
SUBJECT_LABELS: Mapping[str, tuple[str, ...]] = {
    "en": ("subject",),
    "es": ("asunto",),
    "pt": ("assunto",),
    "fr": ("objet", "sujet"),
    "de": ("betreff",),
    "it": ("oggetto",),
    "nl": ("onderwerp",),
    "pl": ("temat",),
    "cs": ("předmět",),
    "sk": ("predmet",),
    "hu": ("tárgy",),
    "ro": ("subiect", "subiectul"),
    "ru": ("тема",),
    "uk": ("тема",),
    "tr": ("konu",),
    "sv": ("ämne",),
    "da": ("emne",),
    "no": ("emne",),
    "fi": ("aihe",),
    "et": ("teema", "pealkiri"),
    "ja": ("件名",),
    "zh": ("主题", "主題", "主旨"),
    "ko": ("제목",),
    "hr": ("predmet", "naslov"),
}
OTHER_LABELS: Mapping[str, tuple[str, ...]] = {
    "en": ("cc", "bcc", "reply-to", "reply to", "importance"),
    "es": ("cco", "responder a", "copia"),
    "pt": ("cco", "cópia", "responder para"),
    "fr": ("cci", "répondre à", "copie"),
    "de": ("kopie", "blindkopie", "antwort an", "wichtigkeit"),
    "it": ("ccn", "copia", "risposta", "rispondi a"),
    "nl": ("kopie", "antwoord aan", "bcc"),
    "pl": ("dw", "udw", "kopia", "odpowiedź do"),
    "cs": ("kopie", "skrytá kopie", "odpověď komu"),
    "sk": ("kópia", "skrytá kópia"),
    "hu": ("másolat", "másolatot kap", "titkos másolat", "válaszcím"),
    "ro": ("cc", "bcc", "răspuns la"),
    "ru": ("копия", "скрытая копия", "ответить"),
    "uk": ("копія", "прихована копія"),
    "tr": ("bilgi", "gizli", "yanıt adresi"),
    "sv": ("kopia", "hemlig kopia", "svara till"),
    "da": ("kopi", "bcc", "svar til"),
    "no": ("kopi", "blindkopi", "svar til"),
    "fi": ("kopio", "piilokopio", "vastausosoite"),
    "et": ("koopia", "pimekoopia", "vastus"),
    "ja": ("cc", "bcc", "返信先"),
    "zh": ("抄送", "副本", "密送", "密件副本", "回复至"),
    "ko": ("참조", "숨은참조", "숨은 참조"),
    "hr": ("kopija",),
}

# Separator lines above a forwarded original ("---------- Forwarded message ---------",
# "Begin forwarded message:", "-----Original Message-----"). Those that say "forwarded"
# decide a forward whatever the subject says; "original message" ones are also used in replies.
FORWARD_SEPARATORS: Mapping[str, tuple[str, ...]] = {
    "en": ("forwarded message", "begin forwarded message", "forwarded e-mail", "forwarded email"),
    "es": ("mensaje reenviado", "inicio del mensaje reenviado", "correo reenviado"),
    "pt": (
        "mensagem encaminhada",
        "mensagem reencaminhada",
        "início da mensagem reencaminhada",
        "inicio da mensagem reencaminhada",
        "começo da mensagem encaminhada",
        "início da mensagem encaminhada",
        "e-mail encaminhado",
    ),
    "fr": (
        "message transféré",
        "message transfere",
        "début du message réexpédié",
        "début du message transféré",
        "message réexpédié",
    ),
    "de": (
        "weitergeleitete nachricht",
        "anfang der weitergeleiteten nachricht",
        "weitergeleitete e-mail",
        "weitergeleitete mail",
    ),
    "it": ("messaggio inoltrato", "inizio messaggio inoltrato", "e-mail inoltrata"),
    "nl": ("doorgestuurd bericht", "begin doorgestuurd bericht", "doorgestuurde e-mail"),
    "pl": (
        "wiadomość przekazana dalej",
        "przekazana wiadomość",
        "wiadomość przekazana",
        "początek przekazywanej wiadomości",
        "przekazany e-mail",
    ),
    "cs": ("přeposlaná zpráva", "začátek přeposílané zprávy", "přeposlaný e-mail"),
    "sk": ("preposlaná správa", "začiatok preposlanej správy", "preposlaný e-mail"),
    "hu": ("továbbított üzenet", "továbbított levél kezdete", "továbbított levél"),
    "ro": (
        "mesaj redirecționat",
        "mesaj redirectionat",
        "mesaj transmis",
        "începutul mesajului redirecționat",
        "început mesaj redirecționat",
    ),
    "ru": (
        "пересылаемое сообщение",
        "пересланное сообщение",
        "переадресованное сообщение",
        "начало переадресованного сообщения",
        "пересланное письмо",
    ),
    "uk": (
        "переслане повідомлення",
        "пересланий лист",
        "початок пересланого листа",
        "переадресоване повідомлення",
    ),
    "tr": (
        "iletilen ileti",
        "iletilmiş ileti",
        "yönlendirilmiş ileti",
        "iletilen mesaj",
        "yönlendirilen mesaj",
        "yönlendirilen iletinin başlangıcı",
        "iletilen iletinin başlangıcı",
    ),
    "sv": (
        "vidarebefordrat meddelande",
        "vidarebefordrat mejl",
        "vidarebefordrat e-postmeddelande",
        "början på vidarebefordrat meddelande",
    ),
    "da": (
        "videresendt meddelelse",
        "videresendt besked",
        "videresendt e-mail",
        "videresendt mail",
        "start på videresendt besked",
    ),
    "no": (
        "videresendt melding",
        "videresendt e-post",
        "begynnelse på videresendt melding",
        "videresendt e-postmelding",
    ),
    "fi": ("välitetty viesti", "välitetty viesti alkaa", "edelleenlähetetty viesti"),
    "et": ("edastatud kiri", "edastatud sõnum", "edasi saadetud kiri", "edastatud kirja algus"),
    "ja": ("転送されたメッセージ", "転送メッセージ", "転送メール"),
    "zh": ("转发的邮件", "轉寄的郵件", "转发邮件", "轉寄郵件", "以下是转发的邮件", "转发的消息"),
    "ko": ("전달된 메시지", "전달된 메일", "전달 메시지", "전달된 메시지 시작"),
    "hr": ("proslijeđena poruka", "prosleđena poruka"),
}
ORIGINAL_SEPARATORS: Mapping[str, tuple[str, ...]] = {
    "en": ("original message",),
    "es": ("mensaje original",),
    "pt": ("mensagem original",),
    "fr": ("message d'origine", "message original"),
    "de": ("ursprüngliche nachricht", "originalnachricht", "original-nachricht"),
    "it": ("messaggio originale",),
    "nl": ("oorspronkelijk bericht", "origineel bericht"),
    "pl": ("oryginalna wiadomość", "wiadomość oryginalna"),
    "cs": ("původní zpráva",),
    "sk": ("pôvodná správa",),
    "hu": ("eredeti üzenet",),
    "ro": ("mesaj original", "mesajul original"),
    "ru": ("исходное сообщение", "оригинальное сообщение"),
    "uk": ("початкове повідомлення", "оригінальне повідомлення", "вихідне повідомлення"),
    "tr": ("özgün ileti", "orijinal ileti", "orijinal mesaj"),
    "sv": ("ursprungligt meddelande", "originalmeddelande"),
    "da": ("oprindelig meddelelse", "original meddelelse"),
    "no": ("opprinnelig melding", "originalmelding"),
    "fi": ("alkuperäinen viesti",),
    "et": ("algne sõnum", "algne kiri", "esialgne sõnum"),
    "ja": ("元のメッセージ", "オリジナル メッセージ"),
    "zh": ("原始邮件", "原始郵件", "原邮件"),
    "ko": ("원본 메시지", "원래 메시지"),
    "hr": ("izvorna poruka",),
}

# Reply attribution lines: the word they open with ("On", "Am", "Le", "W dniu") and the verb
# ("wrote", "schrieb", "kirjoitti", "写道", "님이 작성"), in any order around a date and a name.
ATTRIBUTION_OPENERS: Mapping[str, tuple[str, ...]] = {
    "en": ("on",),
    "es": ("el",),
    "pt": ("em", "no dia", "às"),
    "fr": ("le",),
    "de": ("am",),
    "it": ("il", "il giorno", "giorno"),
    "nl": ("op", "heeft"),
    "pl": ("w dniu", "dnia", "użytkownik"),
    "cs": ("dne",),
    "sk": ("dňa", "používateľ"),
    "hu": ("időpontban",),
    "ro": ("pe", "în", "la"),
    "ru": ("в",),
    "uk": ("у", "в"),
    "tr": ("tarihinde",),
    "sv": ("den",),
    "da": ("den",),
    "no": ("den",),
    "fi": (),
    "et": (),
    "ja": (),
    "zh": ("在",),
    "ko": (),
}
ATTRIBUTION_VERBS: Mapping[str, tuple[str, ...]] = {
    "en": ("wrote",),
    "es": ("escribió",),
    "pt": ("escreveu",),
    "fr": ("a écrit",),
    "de": ("schrieb",),
    "it": ("ha scritto",),
    "nl": ("schreef", "geschreven"),
    "pl": ("napisał", "napisała", "napisał(a)"),
    "cs": ("napsal", "napsala", "napsal(a)"),
    "sk": ("napísal", "napísala", "napísal(a)"),
    "hu": ("írta", "ezt írta"),
    "ro": ("a scris",),
    "ru": ("написал", "написала", "написал(а)", "пишет"),
    "uk": ("написав", "написала", "пише"),
    "tr": ("yazdı",),
    "sv": ("skrev",),
    "da": ("skrev",),
    "no": ("skrev",),
    "fi": ("kirjoitti",),
    "et": ("kirjutas",),
    "ja": ("は書きました", "さんは書きました", "のメッセージ", "書きました"),
    "zh": ("写道", "寫道", "写入"),
    "ko": ("님이 작성", "작성함", "작성", "쓴 글"),
}

# Particles printed next to the name in a reply line: Korean "…09:05에 Name 이(가) 쓴 글:",
# Japanese "Name さんは書きました:", Chinese "Name 于 … 写道:".
NAME_PARTICLES: frozenset[str] = frozenset(
    {"에", "이(가)", "님이", "님", "さん", "さんは", "于", "在"}
)

# Subject prefixes: a forward's ("Fwd:", "WG:", "转发:") and a reply's ("Re:", "AW:", "Odp:").
# "VS" is a forward in Danish and Norwegian but a reply in Finnish: it decides nothing.
FORWARD_PREFIXES: Mapping[str, tuple[str, ...]] = {
    "en": ("fw", "fwd"),
    "es": ("rv", "reenviar", "reenv"),
    "pt": ("enc", "encaminhar", "reenc"),
    "fr": ("tr", "transfert"),
    "de": ("wg", "wtr", "weiterleitung"),
    "it": ("i", "inoltro", "inoltra"),
    "nl": ("doorst", "dk"),
    "pl": ("pd", "przekaż", "przek"),
    "cs": ("pd", "přep"),
    "sk": ("pd", "posl"),
    "hu": ("továbbítás", "tov"),
    "ro": ("redirecționare", "redirectionare", "redir"),
    "ru": ("пересл", "переслать", "fw"),
    "uk": ("пересл", "переслати"),
    "tr": ("ilt", "ilet"),
    "sv": ("vb", "vidarebefordra"),
    "da": ("vs",),
    "no": ("vs", "vidersend"),
    "fi": ("vl", "välitä"),
    "et": ("edasi", "edasta"),
    "ja": ("転送",),
    "zh": ("转发", "轉寄", "转寄", "轉發"),
    "ko": ("전달",),
}
REPLY_PREFIXES: Mapping[str, tuple[str, ...]] = {
    "en": ("re",),
    "es": ("re",),
    "pt": ("re", "res", "resp"),
    "fr": ("re", "rép"),
    "de": ("aw", "antw", "antwort"),
    "it": ("r", "rif", "ris"),
    "nl": ("antw",),
    "pl": ("odp",),
    "cs": ("odp",),
    "sk": ("odp",),
    "hu": ("vá", "válasz"),
    "ro": ("răs", "ras", "răspuns"),
    "ru": ("отв", "ответ"),
    "uk": ("від", "відп", "відповідь"),
    "tr": ("ynt", "yanıt", "cvp"),
    "sv": ("sv", "svar"),
    "da": ("sv", "svar"),
    "no": ("sv", "svar"),
    "fi": ("vs", "vast"),
    "et": ("vs", "vastus"),
    "ja": ("返信",),
    "zh": ("回复", "答复", "回覆", "答覆"),
    "ko": ("회신", "답장"),
}


def words(*tables: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """Every word of the given tables, all languages together."""
    return frozenset(w for table in tables for ws in table.values() for w in ws)


FIELDS: Mapping[str, frozenset[str]] = {
    "from": words(FROM_LABELS),
    "date": words(DATE_LABELS),
    "to": words(TO_LABELS),
    "subject": words(SUBJECT_LABELS),
}


def field_of(label: str) -> str:
    """Which header field a known label names ("from", "date", "to", "subject", "other"),
    or "" for a label no client is known to print. A word two fields share in different
    languages ("de": From in es/fr/pt/ro, "a": To in es/it) is read as the first listed."""
    key = " ".join(label.lower().split())
    for name, group in FIELDS.items():
        if key in group:
            return name
    return "other" if key in _OTHER else ""


_OTHER = words(OTHER_LABELS)
LABELS = frozenset().union(*FIELDS.values(), _OTHER)
SEPARATORS = words(FORWARD_SEPARATORS, ORIGINAL_SEPARATORS)
OPENERS = words(ATTRIBUTION_OPENERS)
VERBS = words(ATTRIBUTION_VERBS)
_AMBIGUOUS_PREFIXES = words(FORWARD_PREFIXES) & words(REPLY_PREFIXES)
FORWARD_PREFIX_WORDS = words(FORWARD_PREFIXES) - _AMBIGUOUS_PREFIXES
REPLY_PREFIX_WORDS = words(REPLY_PREFIXES) - _AMBIGUOUS_PREFIXES


def _language_index(*tables: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for table in tables:
        for lang, ws in table.items():
            for w in ws:
                index.setdefault(w, set()).add(lang)
    return {w: frozenset(langs) for w, langs in index.items()}


_LANGUAGES_OF = _language_index(
    FROM_LABELS,
    DATE_LABELS,
    TO_LABELS,
    SUBJECT_LABELS,
    OTHER_LABELS,
    FORWARD_SEPARATORS,
    ORIGINAL_SEPARATORS,
    ATTRIBUTION_OPENERS,
    ATTRIBUTION_VERBS,
)


def languages_of(word: str) -> frozenset[str]:
    """The languages whose clients print `word` (a label, verb, opener or separator)."""
    return _LANGUAGES_OF.get(" ".join(word.lower().split()), frozenset())


def prefix_languages(word: str) -> tuple[frozenset[str], frozenset[str]]:
    """The languages where a subject prefix means a forward, and those where it means a reply."""
    word = word.lower()
    return (
        frozenset(lang for lang, ws in FORWARD_PREFIXES.items() if word in ws),
        frozenset(lang for lang, ws in REPLY_PREFIXES.items() if word in ws),
    )
