"""Point a real gspread client at the emulator.

gspread 6.x builds absolute ``https://sheets.googleapis.com/v4/...`` and
``https://www.googleapis.com/drive/v3/...`` URLs, so instead of patching gspread we
give it a ``requests.Session`` whose transport adapter, mounted on those two origins,
rewrites each URL to the emulator before sending. ``gspread.Client(auth=None,
session=session)`` then uses the session as-is (no credentials, no token refresh).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gspread
import requests
from gspread.http_client import HTTPClient
from requests.adapters import HTTPAdapter

GOOGLE_ORIGINS = ("https://sheets.googleapis.com/", "https://www.googleapis.com/")


class RewritingAdapter(HTTPAdapter):
    """Sends requests for ``prefix...`` to ``target...`` instead."""

    def __init__(self, prefix: str, target: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.target = target if target.endswith("/") else target + "/"

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        url = request.url or ""
        if url.startswith(self.prefix):
            request.url = self.target + url[len(self.prefix) :]
        kwargs["proxies"] = {}  # never route the local emulator through a proxy
        return super().send(request, **kwargs)


def emulated_session(base_url: str) -> requests.Session:
    """A Session whose Google API traffic goes to ``base_url``."""
    session = requests.Session()
    session.trust_env = False  # ignore HTTP(S)_PROXY / netrc from the environment
    for origin in GOOGLE_ORIGINS:
        session.mount(origin, RewritingAdapter(origin, base_url))
    return session


def emulated_client(
    base_url: str,
    *,
    http_client: type[HTTPClient] = HTTPClient,
    headers: Mapping[str, str] | None = None,
) -> gspread.Client:
    """A ``gspread.Client`` talking to the emulator at ``base_url``."""
    session = emulated_session(base_url)
    if headers:
        session.headers.update(headers)
    return gspread.Client(auth=None, session=session, http_client=http_client)  # type: ignore[arg-type]
