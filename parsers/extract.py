"""One raw email to code rows or one failure: the parsers put together.

Every part of an email (the sender's own text, each forwarded original, each quoted reply,
each message attached as message/rfc822) is searched for codes. A code belongs to the deepest
part that contains it: that part's sender is the creator and its date the authorization date.
Periods and videos are read from that part first, then from the forwarders' notes above it,
never from quoted text below it (the brand's own request). A code found only in quoted text
makes no row (an example in the brand's request), unless the receiving side quotes what a
creator sent.
"""

from __future__ import annotations

import dataclasses
import email.parser
import email.utils
import functools
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timezone

from parsers.codes import (
    CodeMatch,
    DamagedCode,
    candidate_texts,
    find_codes,
    mask_urls,
    may_hold_code,
    normalize_text,
)
from parsers.dates import parse_header_date
from parsers.durations import PeriodMatch, expiry, find_periods
from parsers.forwarded import Kind, segments
from parsers.message import DecodedMessage, ImagePart, UndecodableMessage, decode
from parsers.options import Campaign, Options
from parsers.records import (
    CodeRow,
    CodeSource,
    DurationSource,
    Extraction,
    Failure,
    MessageIdentity,
    Reason,
)
from parsers.tiktok import VideoLink, find_handles, find_videos

_SNIPPET = 240


@dataclass
class _Part:
    """One author's text inside an email, with what is known of that author."""

    kind: Kind
    depth: int
    text: str
    sender_name: str | None
    sender_email: str | None
    sent: datetime | str | None  # a header's date, read only when a code needs it
    tz: timezone | None = None
    phrases: tuple[tuple[str, int], ...] = ()
    parent: _Part | None = None
    dated_by_arrival: bool = False  # `sent` is when the email arrived: it had no Date
    found: list[CodeMatch] = field(default_factory=list)
    damaged: list[DamagedCode] = field(default_factory=list)

    @functools.cached_property
    def date(self) -> datetime | None:
        if isinstance(self.sent, str):
            return parse_header_date(self.sent, self.tz)
        return self.sent

    @functools.cached_property
    def videos(self) -> list[VideoLink]:
        return find_videos(self.text)

    @functools.cached_property
    def periods(self) -> list[PeriodMatch]:
        return find_periods(self.text, self.date.date() if self.date else None, self.phrases)


def extract(
    raw: bytes,
    source: str,
    *,
    options: Options | None = None,
    received_at: datetime | None = None,
) -> Extraction:
    """Rows for every code in the email, or one failure; never raises."""
    opts = options or Options()
    try:
        return _extract(raw, source, opts, received_at)
    except Exception as exc:  # a parser bug must cost one review item, never the run
        identity = header_identity(raw, source, received_at)
        return _failure(
            Reason.PARSER_ERROR,
            f"the parser failed on this email ({type(exc).__name__}); please report it",
            "",
            identity,
        )


def _extract(raw: bytes, source: str, opts: Options, received_at: datetime | None) -> Extraction:
    if len(raw) > opts.max_bytes:
        identity = header_identity(raw, source, received_at)
        detail = f"{len(raw):,} bytes, over the {opts.max_bytes:,}-byte limit"
        return _failure(Reason.MESSAGE_TOO_LARGE, detail, "", identity)
    labels = opts.label_pattern
    try:
        message = decode(raw, worth_rendering=lambda text: may_hold_code(text, labels))
    except UndecodableMessage as exc:
        identity = header_identity(raw, source, received_at)
        return _failure(Reason.UNDECODABLE, f"not a readable email: {exc}", "", identity)

    # Without a Date header the code was authorized no later than it arrived: the arrival
    # time (IMAP INTERNALDATE, else the Received headers) dates it, and rows say so.
    arrival = received_at or message.received_at if message.date is None else None
    parts = _parts(message, opts, arrival=arrival)
    found = any(p.found for p in parts)
    if not found and _use_html(message, opts.label_pattern):
        parts = _parts(message, opts, arrival=arrival)
        found = any(p.found for p in parts)

    identity = MessageIdentity(
        creator_email=None,
        creator_name=None,
        subject=message.subject,
        message_id=message.message_id or _synthetic_id(raw),
        received_at=received_at or message.received_at,
        source=source,
        campaign=_campaign(message, parts, opts.campaigns),
    )
    if found:
        extraction = _rows(
            parts, identity, opts, functools.cache(lambda: _recipient_domains(message))
        )
        if extraction.rows:
            return extraction
    return _no_rows(message, parts, identity, opts)


def _campaign(message: DecodedMessage, parts: list[_Part], rules: Sequence[Campaign]) -> str | None:
    if not rules:
        return None
    senders: list[str | None] = [p.sender_email for p in parts if p.sender_email]
    for rule in rules:
        subject, recipients = message.subject or "", message.recipients
        if any(rule.matches(subject, recipients, sender) for sender in senders or [None]):
            return rule.name
    return None


def _use_html(message: DecodedMessage, labels: re.Pattern[str] | None) -> bool:
    """Read the HTML alternative instead of the plain part, in this message and the ones
    attached to it, where it may show a code the plain part does not (a code split across
    <span>s, a plain part that is a stub); whether any message changed."""
    changed = False
    if message.alternative_html:
        known = candidate_texts(normalize_text(message.text), labels)
        text = message.alternative_text(lambda t: bool(candidate_texts(t, labels) - known))
        message.alternative_html = []
        if text is not None:
            message.text = text
            changed = True
    for inner in message.attached:
        changed = _use_html(inner, labels) or changed
    return changed


def _parts(
    message: DecodedMessage, opts: Options, depth: int = 0, arrival: datetime | None = None
) -> list[_Part]:
    """Every author's text in the message and in messages attached to it, outermost first.

    `arrival` dates the message itself when it has no Date header."""
    text = message.text
    top = _Part(
        Kind.TOP,
        depth,
        "",
        message.from_name,
        message.from_email,
        message.date or arrival,
        None,
        opts.period_phrases,
    )
    top.dated_by_arrival = message.date is None and arrival is not None
    labels = opts.label_pattern
    body = normalize_text(text)
    # One look at the whole body rules out most code-less mail before any part is searched.
    searchable = may_hold_code(body, labels)

    code_free: set[int] = set()  # ids of quoted texts already searched and found code-free

    def quotes_matter(quoted: str) -> bool:
        if searchable and may_hold_code(quoted, labels):
            return True
        code_free.add(id(quoted))  # the segment keeps the text alive, so its id stays its own
        return False

    parts: list[_Part] = []
    parent: _Part | None = None
    for seg in segments(body, quotes_matter=quotes_matter, subject=message.subject):
        if seg.kind is Kind.TOP:
            part = top
        else:
            part = _Part(
                seg.kind,
                depth,
                "",
                seg.sender_name,
                seg.sender_email,
                seg.date_text,
                message.tz,
                opts.period_phrases,
            )
        part.text = seg.text
        part.depth = depth
        part.parent = parent
        if searchable and id(seg.text) not in code_free:
            part.found, part.damaged = find_codes(part.text, labels)
        parts.append(part)
        parent = part
        depth += 1
    subject = normalize_text(message.subject or "")
    if subject and may_hold_code(subject, labels):  # a code the creator put in the Subject
        parts.insert(1, _subject_part(subject, parts, labels))
    for inner in message.attached:
        inner_parts = _parts(inner, opts, depth=depth)
        if inner_parts:
            inner_parts[0].kind = Kind.FORWARD
            inner_parts[0].parent = parent
        parts.extend(inner_parts)
    return parts


def _subject_part(subject: str, parts: list[_Part], labels: re.Pattern[str] | None) -> _Part:
    """The Subject as a part of its own, for codes the body does not hold, listed after the top
    part (which stays first for the caller). Its author is the deepest original in the body (a
    forward keeps the creator's Subject); its period and video are read from that body."""
    originals = [p for p in parts if p.kind is not Kind.REPLY and (p.sender_email or p.sender_name)]
    author = originals[-1] if originals else parts[0]
    part = dataclasses.replace(author, text=subject, parent=author, found=[], damaged=[])
    found, part.damaged = find_codes(subject, labels)
    in_body = {m.code for p in parts for m in p.found}  # the body says more about those
    part.found = [m for m in found if m.code not in in_body]
    return part


def _rows(
    parts: list[_Part],
    base: MessageIdentity,
    opts: Options,
    home_domains: Callable[[], frozenset[str]],
) -> Extraction:
    """One row per code; a review item beside them when a video or period is left blank
    because the email does not say which belongs to which."""
    # The deepest part holding a code is where its creator wrote it.
    home: dict[str, tuple[_Part, CodeMatch]] = {}
    order: list[str] = []
    for part in parts:
        for match in part.found:
            if match.code not in home:
                order.append(match.code)
            home[match.code] = (part, match)
    # A code that appears only in quoted text is not being sent: an example code in the
    # brand's request, a template, "the code you sent last month". A row for it would credit
    # the quoted sender, or rewrite the real row with the quoter as creator.
    # Only a brand member's quote of what a creator sent counts (a colleague's "Thanks, got
    # it!" above the creator's mail, copied to the shared inbox).
    fresh = {m.code for p in parts if not _quoted(p) for m in p.found}
    fresh |= {
        m.code
        for p in parts
        if p.found and _quoted(p) and _quote_is_sent(p, home_domains)
        for m in p.found
        if not _EXAMPLE.search(p.text, max(0, m.start - 80), m.start)
    }
    order = [c for c in order if c in fresh]
    # Rows come in the order the codes appear in their creators' text.
    order.sort(key=lambda c: (parts.index(home[c][0]), home[c][1].start))
    rows = []
    unpaired: list[str] = []
    ambiguous: list[str] = []
    for code in order:
        part, match = home[code]
        days, unclear = _period_for(part, match)
        if unclear:
            ambiguous.append(code)
        video = _video_for(part, match, parts if len(order) == 1 else None)
        if video is None and len(part.found) > 1 and part.videos:
            unpaired.append(code)
        name, addr = _author(part)
        authorized = part.date
        handle = video.handle if video and video.handle else _handle(part)
        row = _row(code, days, video, handle, authorized, name, addr, base, opts.default_days)
        if part.dated_by_arrival and row.duration_source is DurationSource.STATED:
            row = dataclasses.replace(row, duration_source=DurationSource.STATED_FROM_ARRIVAL)
        rows.append(row)
    review = None
    if unpaired or ambiguous:
        first = rows[0].identity
        reason, codes = (
            (Reason.UNPAIRED_CODES, unpaired) if unpaired else (Reason.AMBIGUOUS_PERIOD, ambiguous)
        )
        what = "video" if unpaired else "period"
        detail = (
            f"{len(codes)} of {len(order)} codes written without a {what}: the email does not "
            f"say which {what} goes with {', '.join(_shorten(c, 14) for c in codes)}"
        )
        part = home[codes[0]][0]
        review = Failure(reason, detail, _around(part.text, home[codes[0]][1].start), first)
    return Extraction(rows=tuple(rows), failure=review)


# Words that present a code in a request as an example, not as the code being sent.
_EXAMPLE = re.compile(
    r"(?i)\b(?:e\.g\.|for example|for instance|example|such as|template|placeholder|"
    r"z\.\s?b\.|zum beispiel|beispiel|por ejemplo|ejemplo|par exemple|"
    r"exemple|por exemplo|exemplo|ad esempio|esempio|bijvoorbeeld|voorbeeld|np\.|na przykład|"
    r"przykład|např\.|například|napr\.|napríklad|például|minta|de exemplu|exemplu|например|"
    r"пример|наприклад|örneğin|örnek|till exempel|exempel|f\.eks\.|for eksempel|eksempel|"
    r"esimerkiksi|esimerkki|näiteks|näide)|例えば|例如|比如|示例|예를 들어|예:"
)


def _recipient_domains(message: DecodedMessage) -> frozenset[str]:
    """The domains the email was sent to (the receiving side); none when the headers are
    too damaged to read."""
    try:
        addresses = message.recipients
    except Exception:  # the stdlib header parser raises several types on broken headers
        return frozenset()
    return frozenset(a.rpartition("@")[2].lower() for a in addresses if "@" in a)


def _quote_is_sent(part: _Part, home_domains: Callable[[], frozenset[str]]) -> bool:
    """Whether a quote's codes are being sent on: quoted by a member of the receiving side
    (a brand colleague replying to a creator, copying the shared inbox), or a writer quoting
    their own earlier mail. A creator quoting the brand's request is not sending its codes."""
    writer = part.parent
    while writer is not None and _quoted(writer):
        writer = writer.parent
    if writer is None or not writer.sender_email:
        return False
    quoted_from = part.sender_email  # its own: an unattributed quote is nobody's yet
    if quoted_from and quoted_from == writer.sender_email:
        return True
    return writer.sender_email.rpartition("@")[2] in home_domains()


def _quoted(part: _Part) -> bool:
    """Inside a reply quote, at any depth (a forward quoted in a reply is still quoted)."""
    node: _Part | None = part
    while node is not None:
        if node.kind is Kind.REPLY:
            return True
        node = node.parent
    return False


def _row(
    code: str,
    days: int | None,
    video: VideoLink | None,
    handle: str | None,
    authorized: datetime | None,
    name: str | None,
    addr: str | None,
    base: MessageIdentity,
    default_days: int | None,
) -> CodeRow:
    identity = dataclasses.replace(base, creator_email=addr, creator_name=name)
    row = CodeRow(
        spark_code=code,
        duration_days=days,
        duration_source=DurationSource.STATED if days is not None else DurationSource.NONE,
        creator_handle=handle,
        video_url=video.url if video else None,
        video_id=video.video_id if video else None,
        authorized_at=authorized,
        expires_at=expiry(authorized, days) if authorized and days is not None else None,
        identity=identity,
    )
    if default_days is not None:
        row = row.with_default_duration(default_days)
    return row


def _period_for(part: _Part, match: CodeMatch) -> tuple[int | None, bool]:
    """The creator's own words first, then notes of whoever forwarded it; never quotes below.

    Returns the period and whether it was left blank because the text is ambiguous.
    """
    if part.periods:
        return _nearest_period(part.text, part.periods, match, part.found)
    above = part.parent
    while above is not None:
        if above.kind is not Kind.REPLY:
            values = {p.days for p in above.periods}
            if len(values) == 1:
                return values.pop(), False
            if len(values) > 1:
                return None, True
        above = above.parent
    return None, False


def _nearest_period(
    text: str, periods: list[PeriodMatch], match: CodeMatch, codes: list[CodeMatch]
) -> tuple[int | None, bool]:
    values = {p.days for p in periods}
    if len(values) == 1:
        return periods[0].days, False
    stated = [p for p in periods if p.in_context] or periods
    if len(codes) == 1:
        distinct = {p.days for p in stated}
        return (stated[0].days, False) if len(distinct) == 1 else (None, True)
    # Several codes, several periods: each code takes the one nearest by lines; a tie in
    # lines between different periods is a question for a person, not a guess.
    span = (match.start, match.end)

    def lines_away(p: PeriodMatch) -> int:
        lo, hi = sorted((p.start, span[0]))
        return text.count("\n", lo, hi)

    ranked = sorted(stated, key=lambda p: _distance(text, (p.start, p.end), span))
    best = ranked[0]
    rivals = [p for p in ranked[1:] if p.days != best.days]
    if rivals and lines_away(rivals[0]) == lines_away(best) and lines_away(best) > 0:
        return None, True
    return best.days, False


def _video_for(part: _Part, match: CodeMatch, every_part: list[_Part] | None) -> VideoLink | None:
    """The video the email pairs with this code; `every_part` is given when it has one code."""
    videos = part.videos
    if not videos:  # the only code, and the only video anywhere in the email (a note above)
        unique = {v.url: v for p in every_part or () for v in p.videos}
        return next(iter(unique.values())) if len(unique) == 1 else None
    codes = part.found
    if len(videos) == len(codes):
        return videos[codes.index(match)]
    if len(codes) == 1:
        return videos[0] if len(videos) == 1 else None

    # Pair a code and a video only when each is the other's nearest.
    text = part.text
    video = min(videos, key=lambda v: _distance(text, (v.start, v.end), (match.start, match.end)))
    nearest_code = min(
        codes, key=lambda c: _distance(text, (video.start, video.end), (c.start, c.end))
    )
    return video if nearest_code == match else None


def _handle(part: _Part) -> str | None:
    handles = find_handles(mask_urls(part.text))
    return handles[0] if len(handles) == 1 else None


def _distance(text: str, a: tuple[int, int], b: tuple[int, int]) -> int:
    """Characters between two spans; each line break between them counts as a far jump,
    because people put a code's period or link on its own line or bullet."""
    (a_start, a_end), (b_start, b_end) = a, b
    if a_end <= b_start:
        lo, hi = a_end, b_start
    elif b_end <= a_start:
        lo, hi = b_end, a_start
    else:
        return 0
    return hi - lo + 1000 * text.count("\n", lo, hi)


def _author(part: _Part) -> tuple[str | None, str | None]:
    """The part's sender; an unattributed quote borrows the nearest known sender above it."""
    node: _Part | None = part
    while node is not None:
        if node.sender_email or node.sender_name:
            return node.sender_name, node.sender_email
        node = node.parent
    return None, None


def _no_rows(
    message: DecodedMessage, parts: list[_Part], base: MessageIdentity, opts: Options
) -> Extraction:
    originals = [p for p in parts if not _quoted(p) and (p.sender_email or p.sender_name)]
    creator = originals[-1] if originals else parts[0]
    name, addr = _author(creator)
    identity = dataclasses.replace(base, creator_email=addr, creator_name=name)
    damaged = [(p, d) for p in parts for d in p.damaged]
    if damaged:
        part, bad = damaged[0]
        detail = f"text given as a code ({_shorten(bad.text, 24)}) is {bad.why}"
        return _failure(Reason.MALFORMED_CODE, detail, _around(part.text, bad.start), identity)
    images = _all_images(message)
    snippet = _shorten(" ".join(creator.text.split()), _SNIPPET)
    if images:
        return _screenshot_rows(images, creator, parts, identity, opts, snippet)
    quoted = next((m for p in parts if _quoted(p) for m in p.found), None)
    if quoted is not None:
        detail = (
            f"the only code ({_shorten(quoted.code, 14)}) is in quoted text: an example or an "
            "earlier email, not one being sent"
        )
        return _failure(Reason.NO_CODE_FOUND, detail, snippet, identity)
    return _failure(Reason.NO_CODE_FOUND, "no Spark code in the email", snippet, identity)


# Screenshots read per email, and the encoded sizes worth reading: under 2 KB is an icon or a
# tracking pixel, over 20 MB no phone screenshot. Each read costs about half a second.
_MAX_SCREENSHOTS = 4
_MIN_IMAGE_BYTES = 2_000
_MAX_IMAGE_BYTES = 20_000_000


def _screenshot_rows(
    images: list[ImagePart],
    creator: _Part,
    parts: list[_Part],
    identity: MessageIdentity,
    opts: Options,
    snippet: str,
) -> Extraction:
    """Codes read off the email's images: each a row for TikTok to check and a review item for
    a person, since OCR can misread; no read keeps the email as `code_in_image_attachment`."""
    # Imported here: numpy and the OCR runtime load only for mail that needs them.
    from parsers.screenshots import ScreenshotRead, read_screenshot
    from parsers.screenshots.ocr import EngineMissing

    reads: list[tuple[str, ScreenshotRead]] = []
    why: list[str] = []
    for image in images[:_MAX_SCREENSHOTS]:
        data = image.data()
        if len(data) < _MIN_IMAGE_BYTES:
            why.append(f"{image.name}: {len(data)} bytes, too small to be a screenshot")
            continue
        if len(data) > _MAX_IMAGE_BYTES:
            why.append(f"{image.name}: {len(data):,} bytes, too large to be a screenshot")
            continue
        try:
            read = read_screenshot(data, content_type=image.content_type)
        except EngineMissing as exc:
            why.append(f"{image.name}: not read, {exc}")
            continue
        if isinstance(read, ScreenshotRead):
            if read.code not in {r.code for _, r in reads}:
                reads.append((image.name, read))
        else:
            why.append(f"{image.name}: {read.reason}")
    if not reads:
        names = ", ".join(image.name for image in images[:3])
        detail = f"no code in the text; the email carries images ({names}): read the code off it"
        if why:
            detail += " (" + "; ".join(why[:3]) + ")"
        return _failure(Reason.CODE_IN_IMAGE_ATTACHMENT, detail, snippet, identity)

    name, addr = _author(creator)
    videos = {v.url: v for p in parts if not _quoted(p) for v in p.videos}
    video = next(iter(videos.values())) if len(videos) == 1 else None
    handle = video.handle if video and video.handle else _handle(creator)
    text_days = _text_period(creator)
    rows = []
    for _, read in reads:
        days = read.period_days if read.period_days is not None else text_days
        row = _row(
            read.code, days, video, handle, creator.date, name, addr, identity, opts.default_days
        )
        rows.append(
            dataclasses.replace(
                row,
                code_source=CodeSource.SCREENSHOT,
                candidates=tuple(read.candidates(32)),
            )
        )
    detail = "; ".join(
        f"read off {file}: {read.code}"
        + (f" ; unsure: {read.describe_unsure()}" if read.unsure else " ; no character in doubt")
        for file, read in reads
    )
    review = Failure(Reason.CODE_FROM_SCREENSHOT, detail, reads[0][1].code, rows[0].identity)
    return Extraction(rows=tuple(rows), failure=review)


def _text_period(part: _Part) -> int | None:
    """The period the creator's words state, else a forwarder's note above; one value only."""
    node: _Part | None = part
    while node is not None:
        if node.kind is not Kind.REPLY:
            values = {p.days for p in node.periods}
            if len(values) == 1:
                return values.pop()
            if values:
                return None
        node = node.parent
    return None


def _all_images(message: DecodedMessage) -> list[ImagePart]:
    return message.images + [i for m in message.attached for i in _all_images(m)]


def _failure(reason: Reason, detail: str, snippet: str, identity: MessageIdentity) -> Extraction:
    return Extraction(rows=(), failure=Failure(reason, detail, snippet, identity))


def _around(text: str, pos: int) -> str:
    start = max(0, pos - 80)
    return _shorten(" ".join(text[start : pos + 160].split()), _SNIPPET)


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _synthetic_id(raw: bytes) -> str:
    """A stable key for a message without a Message-ID, so reruns still deduplicate it."""
    return f"<{hashlib.sha256(raw).hexdigest()[:32]}@sparkcodes.invalid>"


def header_identity(raw: bytes, source: str, received_at: datetime | None) -> MessageIdentity:
    """Whatever the headers alone tell, for emails too large or too broken to decode."""
    try:
        headers = email.parser.BytesHeaderParser().parsebytes(raw[:65536])
        name, addr = email.utils.parseaddr(str(headers.get("From", "")))
        subject = str(headers.get("Subject", "")) or None
        message_id = str(headers.get("Message-ID", "")).strip() or None
        date = _header_date(str(headers.get("Date", "")))
    except Exception:  # the headers are as broken as the rest
        name, addr, subject, message_id, date = "", "", None, None, None
    return MessageIdentity(
        creator_email=addr.lower() or None,
        creator_name=name or None,
        subject=subject,
        message_id=message_id or _synthetic_id(raw),
        received_at=received_at or date,
        source=source,
    )


def _header_date(value: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
