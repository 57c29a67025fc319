"""The emulator's world: Spark codes in every state TikTok can report, and the ad account.

What TikTok does not document (the refusal texts for unknown, deleted and malformed codes, the
answer to a second authorize) is modelled with plausible texts drawn from Ads Manager's names
(``auth_code_not_found``, ``auth_code_format_error``); tests must not depend on their exact
wording beyond what the client is designed to read.
"""

from __future__ import annotations

import base64
import random
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Json = dict[str, Any]

ACTIVE = "active"
EXPIRED = "expired"
VIDEO_DELETED = "video_deleted"
VIDEO_PRIVATE = "video_private"
VIDEO_UNDER_REVIEW = "video_under_review"
CODE_DELETED = "code_deleted"  # the creator deleted the code: TikTok refuses it
STATES = (ACTIVE, EXPIRED, VIDEO_DELETED, VIDEO_PRIVATE, VIDEO_UNDER_REVIEW, CODE_DELETED)

_ITEM_STATUS = {
    ACTIVE: "HESITATE_RECOMMEND",
    EXPIRED: "HESITATE_RECOMMEND",
    VIDEO_DELETED: "USER_DELETE",
    VIDEO_PRIVATE: "ONLY_AUTHOR_SEE",
    VIDEO_UNDER_REVIEW: "REVIEW_PENDING",
}

# A code as TikTok's "Copy code" gives it: '#' and base64 text (A-Z a-z 0-9 + /), '=' padding.
WELL_FORMED = re.compile(r"^#[A-Za-z0-9+/]{20,200}={0,2}$")

NOT_FOUND = (40007, "auth_code_not_found: the auth code does not exist or has been deleted")
FORMAT_ERROR = (40002, "auth_code_format_error: auth_code is invalid")
ALREADY = (40002, "The post has already been authorized to this ad account.")


def spark_code(rng: random.Random, *, with_plus_and_slash: bool = True) -> str:
    """A realistic code; by default one that holds both '+' and '/' (the encoding traps)."""
    while True:
        text = base64.b64encode(rng.randbytes(rng.randint(40, 66))).decode()
        if not with_plus_and_slash or ("+" in text and "/" in text):
            return "#" + text


def tiktok_time(moment: datetime, iso: bool) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ" if iso else "%Y-%m-%d %H:%M:%S")


@dataclass
class EmulatedCode:
    auth_code: str
    item_id: str
    state: str = ACTIVE
    auth_start: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(days=1))
    auth_end: datetime = field(default_factory=lambda: datetime.now(UTC) + timedelta(days=29))
    tiktok_name: str = "creator"
    identity_id: str = ""
    text: str = "caption"
    iso_times: bool = False
    ad_auth_status: str | None = None  # override (e.g. an undocumented status)
    item_status: str | None = None  # override

    def info(self) -> Json:
        """``data`` of ``/tt_video/info/`` (and one ``/tt_video/list/`` entry)."""
        status = self.ad_auth_status or ("EXPIRED" if self.state == EXPIRED else "AUTHORIZED")
        return {
            "auth_info": {
                "ad_auth_status": status,
                "auth_start_time": tiktok_time(self.auth_start, self.iso_times),
                "auth_end_time": tiktok_time(self.auth_end, self.iso_times),
                "invite_start_time": tiktok_time(self.auth_start, self.iso_times),
            },
            "item_info": {
                "auth_code": self.auth_code,
                "item_id": self.item_id,
                "item_type": "VIDEO",
                "text": self.text,
                "status": self.item_status or _ITEM_STATUS.get(self.state, "HESITATE_RECOMMEND"),
            },
            "user_info": {
                "tiktok_name": self.tiktok_name,
                "identity_id": self.identity_id or f"id-{self.item_id[-6:]}",
                "identity_type": "AUTH_CODE",
            },
            "video_info": {
                "video_id": f"v09044g40000{self.item_id[-8:]}",
                "duration": 13.5,
                "width": 720,
                "height": 1280,
                "poster_url": "https://p16-sign.tiktokcdn.example/poster.jpeg?x-expires=1",
                "preview_url": "https://v16m.tiktokcdn.example/preview.mp4?x-expires=1",
            },
        }

    def refusal(self) -> tuple[int, str] | None:
        """How TikTok refuses this code at ``/tt_video/info/``, if it does."""
        if self.state == CODE_DELETED:
            return NOT_FOUND
        return None

    def authorize_refusal(self) -> tuple[int, str] | None:
        """How TikTok refuses to add this code's post to the ad account, if it does."""
        if self.state == CODE_DELETED:
            return NOT_FOUND
        if self.state == EXPIRED or self.ad_auth_status == "EXPIRED":
            return (40002, "auth_code_expired: the authorization of this post has expired")
        if self.state in (VIDEO_DELETED, VIDEO_PRIVATE, VIDEO_UNDER_REVIEW):
            return (
                40002,
                "The video is unavailable: it was deleted, made private or is under review",
            )
        return None
