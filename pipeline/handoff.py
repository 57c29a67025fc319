"""Taking the review hand-off back: once a review item is handled (`reprocess` now parses it,
`resolve` closes it), its message loses the review keyword on the server, so ops' mail
client stops listing it as waiting for review.

The review commands work without the mail server; when it cannot be reached the keyword
stays, and the sentence returned says so.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from config.settings import Settings
from pipeline.imap import ImapError, Mailbox, read_secret


def take_back(settings: Settings, items: Iterable[Mapping[str, Any]]) -> str | None:
    """Remove `review.imap_keyword` from the messages of these review items.

    Returns one sentence for the user, or None when there was nothing to do (no IMAP, the
    keyword turned off, items read from local files).
    """
    imap, keyword = settings.imap, settings.review.imap_keyword
    if imap is None or not keyword:
        return None
    ids = [
        str(item["message_id"])
        for item in items
        if str(item.get("source") or "").startswith("imap://") and item.get("message_id")
    ]
    if not ids:
        return None
    folder = settings.review.imap_move_to or imap.folder
    try:
        with Mailbox(imap, read_secret(imap)) as mailbox:
            done = mailbox.take_back(keyword, folder, ids)
    except ImapError as exc:
        return (
            f"{keyword} stays on {len(ids)} message(s) in '{folder}': the server could not be "
            f"reached ({exc}); remove it in a mail client, or run this again later"
        )
    return f"removed {keyword} from {done} message(s) in '{folder}' on the server"
