"""TikTok's answer about a code + the video the creator linked + now -> the row's TikTok status.

Pure: no I/O, no clock read (``now`` is given), never raises on an odd answer.

Statuses, first match wins:

1. ``unverified``: no answer (not configured, or a temporary failure; retried next run), or
   an ``ad_auth_status`` nobody has documented (kept in the detail for a person to read).
2. ``rejected``: TikTok refused the code (unknown, deleted, malformed: any per-code refusal
   whose message does not say "expired" or name the video), or an authorization status
   saying it was cancelled or revoked.
3. ``expired``: ``ad_auth_status`` EXPIRED, ``auth_end_time`` not after ``now``, or a refusal
   saying the code expired.
4. ``wrong_video``: TikTok's ``item_id`` is not the video the creator linked. Before
   video availability: a code for another post is the wrong code whatever that post's state.
5. ``video_unavailable``: the post is deleted, private, under review, or banned
   (``item_info.status`` such as USER_DELETE, AUDIT_DELETE, ONLY_AUTHOR_SEE, ONLY_FRIEND_SEE,
   REVIEW_PENDING, ``ITEM_STATUS_...`` variants), or a refusal naming the video as gone.
6. ``active``: authorized, not expired, post available, same video. A post status not known
   either way (TikTok lists none officially) counts as available and is kept in ``item_status``.

TikTok's own numbers for bad codes in Ads Manager (4013, 4025, 4002, auth_code_not_found) have
no documented API form, so refusals are read from the message text; TikTok's raw code and
message always land in ``tiktok_detail``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from parsers.records import TikTokStatus

from .answers import PostInfo, Refusal, Unchecked

__all__ = ["TikTokStatus", "Verdict", "judge"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the row gets. ``auth_end_time`` becomes ``expires_at`` when TikTok answered."""

    tiktok_status: TikTokStatus
    tiktok_detail: str
    tiktok_item_id: str
    tiktok_name: str
    auth_end_time: datetime | None
    checked_at: datetime | None
    ad_auth_status: str = ""
    item_status: str = ""
    request_id: str = ""
    # True when ``auth_end_time`` is not TikTok's: it said EXPIRED before the end time it
    # gave, so the code ended at some unknown moment no later than the check.
    end_unknown: bool = False

    @property
    def answered(self) -> bool:
        """TikTok gave a verdict (anything but ``unverified``): the row's TikTok fields are
        facts, and ``auth_end_time`` (when set) replaces the period worked out from the email."""
        return self.tiktok_status is not TikTokStatus.UNVERIFIED


_UNAVAILABLE_POST = re.compile(
    r"DELETE|ONLY_AUTHOR|ONLY_FRIEND|PRIVATE|SELF_SEE|REVIEW|AUDIT|BAN|UNAVAILABLE|INVISIBLE"
    r"|NOT_VISIBLE|REMOVED|TAKEN_DOWN"
)
_CANCELLED_AUTH = re.compile(r"CANCEL|REVOKE|DELETE|INVALID|REJECT|UNAUTHORI[SZ]ED|TERMINAT")
_EXPIRED_TEXT = re.compile(r"expire", re.IGNORECASE)
_VIDEO_GONE_TEXT = re.compile(
    r"\b(video|post|item)s?\b.*\b(delet\w*|unavailable|not available|private|removed|under review"
    r"|not exist\w*|does not exist|invisible)"
    r"|\b(delet\w*|unavailable|removed|private)\b.*\b(video|post|item)s?\b",
    re.IGNORECASE,
)


def judge(
    answer: PostInfo | Refusal | Unchecked | None,
    linked_video_id: str | None,
    now: datetime,
) -> Verdict:
    """The verdict on one code. ``now`` must be timezone-aware (UTC)."""
    if answer is None or isinstance(answer, Unchecked):
        reason = answer.reason if isinstance(answer, Unchecked) else "not checked"
        return Verdict(TikTokStatus.UNVERIFIED, reason, "", "", None, None)
    if isinstance(answer, Refusal):
        return _refused(answer, now)
    return _answered(answer, (linked_video_id or "").strip(), now)


def _refused(refusal: Refusal, now: datetime) -> Verdict:
    message = refusal.message
    if _EXPIRED_TEXT.search(message):
        status = TikTokStatus.EXPIRED
    elif _VIDEO_GONE_TEXT.search(message):
        status = TikTokStatus.VIDEO_UNAVAILABLE
    else:
        status = TikTokStatus.REJECTED
    return Verdict(status, refusal.detail, "", "", None, now, request_id=refusal.request_id)


def _answered(post: PostInfo, linked: str, now: datetime) -> Verdict:
    auth = post.ad_auth_status
    status: TikTokStatus
    detail = ""
    end = post.auth_end_time
    end_unknown = False
    if auth == "EXPIRED" or "EXPIRE" in auth:
        status, detail = TikTokStatus.EXPIRED, f"ad_auth_status {auth}"
        if end is None or end > now:
            # An end still ahead would show the row as running (expiry_status, colours,
            # `expiring`): it ended by now at the latest.
            if end is not None:
                detail += f" before its auth_end_time {post.auth_end_raw}"
            end, end_unknown = now.replace(microsecond=0), True
    elif post.auth_end_time is not None and post.auth_end_time <= now:
        status, detail = TikTokStatus.EXPIRED, f"auth_end_time {post.auth_end_raw} has passed"
    elif auth and auth != "AUTHORIZED" and _CANCELLED_AUTH.search(auth):
        status, detail = TikTokStatus.REJECTED, f"ad_auth_status {auth}"
    elif auth != "AUTHORIZED":
        shown = auth or "missing"
        status, detail = TikTokStatus.UNVERIFIED, f"unknown ad_auth_status {shown}"
    elif linked and post.item_id and post.item_id != linked:
        status = TikTokStatus.WRONG_VIDEO
        detail = f"the code is for video {post.item_id}, not the linked video {linked}"
    elif post.item_status and _UNAVAILABLE_POST.search(post.item_status):
        status, detail = TikTokStatus.VIDEO_UNAVAILABLE, f"post status {post.item_status}"
    else:
        status = TikTokStatus.ACTIVE
    return Verdict(
        tiktok_status=status,
        tiktok_detail=detail,
        tiktok_item_id=post.item_id,
        tiktok_name=post.tiktok_name,
        auth_end_time=end,
        checked_at=now,
        ad_auth_status=auth,
        item_status=post.item_status,
        request_id=post.request_id,
        end_unknown=end_unknown,
    )
