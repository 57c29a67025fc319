"""TikTok's answers about one Spark code, read defensively into small typed records.

TikTok documents few of its values (``ad_auth_status`` has no official list; times come as
``YYYY-MM-DD HH:MM:SS`` in SDK comments and as ISO ``...Z`` in examples), so reading never
raises: a missing or odd field becomes ``""`` / ``None`` and the raw value is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

__all__ = ["PostInfo", "PostPage", "Refusal", "Unchecked", "parse_time"]


def _obj(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, int | float | str):
        return str(value).strip()
    return ""


def parse_time(raw: object) -> datetime | None:
    """A TikTok time (UTC) as an aware datetime: ``2026-05-24 07:09:07``, ISO with ``Z`` or an
    offset, or epoch seconds. ``None`` for anything else."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, int | float):
        try:
            return datetime.fromtimestamp(float(raw), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(raw, str) or not raw.strip():
        return None
    text = raw.strip()
    if text.isdigit():
        return parse_time(int(text))
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class PostInfo:
    """One post as ``/tt_video/info/`` (its ``data``) or one ``/tt_video/list/`` entry shows it.

    Preview and poster URLs are left out on purpose: they expire within the hour.
    """

    auth_code: str = ""
    ad_auth_status: str = ""
    auth_start_time: datetime | None = None
    auth_end_time: datetime | None = None
    auth_end_raw: str = ""
    item_id: str = ""
    item_type: str = ""
    item_status: str = ""
    text: str = ""
    tiktok_name: str = ""
    identity_id: str = ""
    identity_type: str = ""
    video_id: str = ""
    request_id: str = ""

    @classmethod
    def from_data(cls, data: object, request_id: str = "") -> PostInfo:
        if not isinstance(data, Mapping):
            data = {}
        auth = _obj(data, "auth_info")
        item = _obj(data, "item_info")
        user = _obj(data, "user_info")
        video = _obj(data, "video_info")
        return cls(
            auth_code=_text(item, "auth_code"),
            ad_auth_status=_text(auth, "ad_auth_status").upper(),
            auth_start_time=parse_time(auth.get("auth_start_time")),
            auth_end_time=parse_time(auth.get("auth_end_time")),
            auth_end_raw=_text(auth, "auth_end_time"),
            item_id=_text(item, "item_id"),
            item_type=_text(item, "item_type"),
            item_status=_text(item, "status").upper(),
            text=_text(item, "text"),
            tiktok_name=_text(user, "tiktok_name"),
            identity_id=_text(user, "identity_id"),
            identity_type=_text(user, "identity_type"),
            video_id=_text(video, "video_id"),
            request_id=request_id,
        )


@dataclass(frozen=True, slots=True)
class PostPage:
    """One page of ``/tt_video/list/``."""

    posts: tuple[PostInfo, ...]
    page: int
    total_page: int
    total_number: int


@dataclass(frozen=True, slots=True)
class Refusal:
    """TikTok answered, and refused this one code (``code`` != 0, not a run-wide error)."""

    code: int
    message: str
    request_id: str = ""

    @property
    def detail(self) -> str:
        return f"{self.code}: {self.message}" if self.message else str(self.code)


@dataclass(frozen=True, slots=True)
class Unchecked:
    """No verdict from TikTok: not configured, or a temporary failure (retried next run)."""

    reason: str = "not checked"
