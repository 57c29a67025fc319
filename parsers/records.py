"""The two record types every stage and every sink share: a code row and a failure.

Defined once so the JSON Lines output, the CSV files and the spreadsheet all use the same
column names in the same order.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Reason(StrEnum):
    """Why an email needs a person: the review queue's small, documented vocabulary.

    The first five mean the email gave no code row. The others come with rows that are
    written anyway: a video or a period left blank (`unpaired_codes`, `ambiguous_period`), a
    code read off a screenshot for a person to check (`code_from_screenshot`), or TikTok's
    verdict that the code will not run an ad (`tiktok_rejected`, `wrong_video`,
    `video_unavailable`, `expired_on_arrival`): ops ask the creator for a new code.
    """

    NO_CODE_FOUND = "no_code_found"
    CODE_IN_IMAGE_ATTACHMENT = "code_in_image_attachment"
    MALFORMED_CODE = "malformed_code"
    MESSAGE_TOO_LARGE = "message_too_large"
    UNDECODABLE = "undecodable"
    UNPAIRED_CODES = "unpaired_codes"
    AMBIGUOUS_PERIOD = "ambiguous_period"
    PARSER_ERROR = "parser_error"  # a bug in sparkcodes; the email is kept for review
    CODE_FROM_SCREENSHOT = "code_from_screenshot"
    TIKTOK_REJECTED = "tiktok_rejected"
    WRONG_VIDEO = "wrong_video"
    VIDEO_UNAVAILABLE = "video_unavailable"
    EXPIRED_ON_ARRIVAL = "expired_on_arrival"


class CodeSource(StrEnum):
    """Where a row's `spark_code` was read: typed text, or OCR of a screenshot."""

    TEXT = "text"
    SCREENSHOT = "screenshot"


class TikTokStatus(StrEnum):
    """A code row's `tiktok_status`: TikTok's verdict (pipeline/tiktok/verdicts.py), or
    `unverified` until it has given one (no `[tiktok]`, or a temporary failure)."""

    ACTIVE = "active"
    EXPIRED = "expired"
    VIDEO_UNAVAILABLE = "video_unavailable"
    WRONG_VIDEO = "wrong_video"
    REJECTED = "rejected"
    UNVERIFIED = "unverified"


class ReviewStatus(StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"
    IGNORED = "ignored"


class ExpiryStatus(StrEnum):
    """A code row's `expiry_status`, kept current by the sinks at every run."""

    ACTIVE = "active"
    EXPIRING = "expiring"  # within review.expiring_within_days of expires_at
    EXPIRED = "expired"
    UNKNOWN = ""  # no (readable) expires_at: the cell stays empty


# What people type in a Status cell (the sheet's dropdown, a CSV edited by hand), lower-cased.
_STATUS_WORDS: dict[str, ReviewStatus] = {
    **dict.fromkeys(
        ("open", "new", "todo", "to do", "pending", "reopen", "reopened"), ReviewStatus.OPEN
    ),
    **dict.fromkeys(
        (
            "resolved",
            "resolve",
            "done",
            "fixed",
            "handled",
            "closed",
            "complete",
            "completed",
            "ok",
            "solved",
        ),
        ReviewStatus.RESOLVED,
    ),
    **dict.fromkeys(
        (
            "ignored",
            "ignore",
            "skip",
            "skipped",
            "dismissed",
            "wontfix",
            "won't fix",
            "not needed",
            "n/a",
            "spam",
        ),
        ReviewStatus.IGNORED,
    ),
}


def review_status(text: str) -> ReviewStatus | None:
    """A Status cell as a status: case and spacing aside, with common synonyms (`Done`,
    `fixed`, `ignore`); a blank cell is open; None for a word sparkcodes does not know."""
    words = " ".join(text.split()).lower().rstrip(".!")
    return _STATUS_WORDS.get(words) if words else ReviewStatus.OPEN


def failure_id(message_id: str, content_key: str = "") -> str:
    """A short, stable id for a review item, the same on every run and in every sink.

    From the Message-ID alone, as long as no other email claims it; a different email reusing
    a Message-ID (broken mailers, resent drafts) adds its `content_key` so each email keeps
    its own review item.
    """
    text = f"{message_id}\0{content_key}" if content_key else message_id
    return "f" + hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]


class DurationSource(StrEnum):
    """Where `duration_days` came from, so a defaulted period is never mistaken for a stated one."""

    STATED = "stated"
    DEFAULT = "default"
    NONE = ""
    # A stated period counted from when the email arrived: it carried no Date header.
    STATED_FROM_ARRIVAL = "stated_from_arrival"
    # TikTok's own auth_end_time: it wins over what the email said.
    TIKTOK = "tiktok"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True, slots=True)
class MessageIdentity:
    """Who sent the code and which email carried it; shared by rows and failures."""

    creator_email: str | None
    creator_name: str | None
    subject: str | None
    message_id: str
    received_at: datetime | None
    source: str
    campaign: str | None = None
    # Set only when another email already holds this Message-ID's review item: a hash of the
    # email's bytes, which tells the two apart (see `failure_id`).
    content_key: str = ""

    @property
    def failure_id(self) -> str:
        """The id of the review item this email has (or would have)."""
        return failure_id(self.message_id, self.content_key)


@dataclass(frozen=True, slots=True)
class CodeRow:
    """One Spark code: the unit a sink upserts, keyed by `spark_code`."""

    spark_code: str
    duration_days: int | None
    duration_source: DurationSource
    creator_handle: str | None
    video_url: str | None
    video_id: str | None
    authorized_at: datetime | None
    expires_at: datetime | None
    identity: MessageIdentity
    code_source: CodeSource = CodeSource.TEXT
    tiktok_status: TikTokStatus = TikTokStatus.UNVERIFIED
    tiktok_detail: str | None = None  # TikTok's code and message when not active
    tiktok_item_id: str | None = None
    tiktok_name: str | None = None
    checked_at: datetime | None = None
    ad_account: str | None = None  # "added", "failed: <message>", or blank
    # Not a column: other codes a screenshot's read may be, most likely first (`spark_code`
    # is the first), for TikTok to settle (issue 13).
    candidates: tuple[str, ...] = ()

    def as_record(self) -> dict[str, Any]:
        """The flat, JSON-ready form, with columns in `CODE_COLUMNS` order."""
        ident = self.identity
        return {
            "record": "code",
            "spark_code": self.spark_code,
            "duration_days": self.duration_days,
            "duration_source": str(self.duration_source),
            "tiktok_status": str(self.tiktok_status),
            "tiktok_detail": self.tiktok_detail,
            "creator_email": ident.creator_email,
            "creator_name": ident.creator_name,
            "creator_handle": self.creator_handle,
            "campaign": ident.campaign,
            "video_url": self.video_url,
            "video_id": self.video_id,
            "authorized_at": _iso(self.authorized_at),
            "expires_at": _iso(self.expires_at),
            "subject": ident.subject,
            "message_id": ident.message_id,
            "received_at": _iso(ident.received_at),
            "source": ident.source,
            "code_source": str(self.code_source),
            "tiktok_item_id": self.tiktok_item_id,
            "tiktok_name": self.tiktok_name,
            "checked_at": _iso(self.checked_at),
            "ad_account": self.ad_account,
        }

    def with_default_duration(self, days: int) -> CodeRow:
        """Fill a missing period from configuration, marked so nobody mistakes it for stated."""
        if self.duration_days is not None:
            return self
        expires = None
        if self.authorized_at is not None:
            from parsers.durations import expiry

            expires = expiry(self.authorized_at, days)
        return dataclasses.replace(
            self, duration_days=days, duration_source=DurationSource.DEFAULT, expires_at=expires
        )


@dataclass(frozen=True, slots=True)
class Failure:
    """One email that produced no code row, keyed by `message_id`, with a reason for review."""

    reason: Reason
    detail: str
    snippet: str
    identity: MessageIdentity

    @property
    def failure_id(self) -> str:
        return self.identity.failure_id

    def as_record(self) -> dict[str, Any]:
        ident = self.identity
        return {
            "record": "failure",
            "failure_id": self.failure_id,
            "reason": str(self.reason),
            "detail": self.detail,
            "creator_email": ident.creator_email,
            "creator_name": ident.creator_name,
            "subject": ident.subject,
            "message_id": ident.message_id,
            "received_at": _iso(ident.received_at),
            "source": ident.source,
            "campaign": ident.campaign,
            "snippet": self.snippet,
        }


CODE_COLUMNS: tuple[str, ...] = (
    "spark_code",
    "duration_days",
    "duration_source",
    "expiry_status",  # active / expiring / expired, kept current by the sinks
    "tiktok_status",  # TikTok's verdict (TikTokStatus); unverified until it gave one
    "tiktok_detail",
    "creator_email",
    "creator_name",
    "creator_handle",
    "campaign",
    "video_url",
    "video_id",
    "authorized_at",
    "expires_at",
    "subject",
    "message_id",
    "received_at",
    "source",
    "code_source",  # text / screenshot
    "tiktok_item_id",
    "tiktok_name",
    "checked_at",
    "ad_account",
)
FAILURE_COLUMNS: tuple[str, ...] = (
    "failure_id",
    "status",  # open / resolved / ignored; people may set it, the sync keeps it
    "reason",
    "detail",
    "creator_email",
    "creator_name",
    "subject",
    "received_at",
    "campaign",
    "snippet",
    "message_id",
    "source",
)


@dataclass(frozen=True, slots=True)
class TableSpec:
    """One stored table as every store keeps it: the CSV files, the sheet's tabs and the
    state's failures table all read their columns and key from here, so a new column is
    added in one place (its value comes from `CodeRow.as_record` / `Failure.as_record`)."""

    name: str
    columns: tuple[str, ...]
    key: str
    # Cells the stores keep current themselves, read without parsing whole rows.
    facts: tuple[str, ...]

    def __post_init__(self) -> None:
        assert self.columns[0] == self.key, "the key is the first column (people sort by it)"
        assert set(self.facts) <= set(self.columns)


CODE_TABLE = TableSpec("codes", CODE_COLUMNS, "spark_code", ("expires_at", "expiry_status"))
FAILURE_TABLE = TableSpec("failures", FAILURE_COLUMNS, "failure_id", ("status",))


@dataclass(frozen=True, slots=True)
class Extraction:
    """What one email yields: code rows, a review item, or rows with a review item beside
    them (a video or period the parser would not guess). Never neither."""

    rows: tuple[CodeRow, ...]
    failure: Failure | None

    @property
    def identity(self) -> MessageIdentity:
        return self.failure.identity if self.failure is not None else self.rows[0].identity

    def with_content_key(self, content_key: str) -> Extraction:
        """The same extraction, told apart from another email with its Message-ID."""
        rows = tuple(
            dataclasses.replace(
                r, identity=dataclasses.replace(r.identity, content_key=content_key)
            )
            for r in self.rows
        )
        failure = self.failure
        if failure is not None:
            ident = dataclasses.replace(failure.identity, content_key=content_key)
            failure = dataclasses.replace(failure, identity=ident)
        return Extraction(rows, failure)

    @property
    def records(self) -> list[dict[str, Any]]:
        records = [row.as_record() for row in self.rows]
        if self.failure is not None:
            records.append(self.failure.as_record())
        return records
