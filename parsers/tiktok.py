"""TikTok video links and @handles in text.

A full video link names the creator and the video; a short share link (vm.tiktok.com,
tiktok.com/t/) names neither until it is resolved, so it is kept as written.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

_VIDEO = regex.compile(
    r"(?i)(?:https?://)?(?:www\.|m\.|vm\.)?tiktok\.com/@(?P<handle>[\w.]{2,24})/"
    r"(?:video|photo)/(?P<id>\d{6,25})[^\s<>\"'“”)\]]*"
)
_SHORT = regex.compile(
    r"(?i)(?:https?://)?(?:(?:vm|vt)\.tiktok\.com/[A-Za-z0-9]+|(?:www\.)?tiktok\.com/t/"
    r"[A-Za-z0-9]+)/?"
)
_HANDLE = regex.compile(
    r"(?<![\w.@/+-])@(?P<handle>[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,22}[A-Za-z0-9_])?)(?![\w@])"
)


@dataclass(frozen=True, slots=True)
class VideoLink:
    url: str
    video_id: str | None
    handle: str | None
    start: int
    end: int


def find_videos(text: str) -> list[VideoLink]:
    """Every distinct TikTok video link, in order; the same video twice counts once."""
    links: list[VideoLink] = []
    lowered = text.lower()
    if "tiktok" not in lowered:
        return links
    seen: set[str] = set()
    for m in _VIDEO.finditer(text):
        handle = m.group("handle")
        url = f"https://www.tiktok.com/@{handle}/video/{m.group('id')}"
        if url not in seen:
            seen.add(url)
            links.append(VideoLink(url, m.group("id"), "@" + handle, m.start(), m.end()))
    short = ("vm.tiktok", "vt.tiktok", "tiktok.com/t/")
    for m in _SHORT.finditer(text) if any(s in lowered for s in short) else ():
        url = m.group()
        if not url.lower().startswith("http"):
            url = "https://" + url
        if url not in seen:
            seen.add(url)
            links.append(VideoLink(url, None, None, m.start(), m.end()))
    links.sort(key=lambda v: v.start)
    return links


def find_handles(text: str) -> list[str]:
    """@handles mentioned in prose (not email addresses, not inside links), deduplicated."""
    found: list[str] = []
    for m in _HANDLE.finditer(text):
        handle = "@" + m.group("handle")
        if handle.lower() not in (h.lower() for h in found):
            found.append(handle)
    return found
