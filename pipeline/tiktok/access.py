"""The TikTok access token: read from where `[tiktok]` says, and got once from an auth code.

The token is a long-term secret (it dies only when the advertiser revokes it), so it is read
from an environment variable or a file, never from the config itself, and no sentence built
here carries it, the app secret or the auth code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from config.errors import TerminalError
from config.settings import TikTokSettings

from .client import API_PREFIX, DEFAULT_ENDPOINT

__all__ = ["TokenGrant", "TokenSetupError", "exchange_auth_code", "read_token"]

TOKEN_PATH = "/oauth2/access_token/"


class TokenSetupError(PermissionError, TerminalError):
    """The token cannot be read, or TikTok would not give one for the auth code."""


def read_token(settings: TikTokSettings) -> str:
    """The access token, from `access_token_env` or `access_token_file`."""
    if settings.access_token_env:
        value = os.environ.get(settings.access_token_env)
        if not value or not value.strip():
            state = "is not set" if value is None else "is set but empty"
            raise TokenSetupError(
                f"environment variable {settings.access_token_env} (tiktok.access_token_env) "
                f"{state}; put the TikTok access token there (see `sparkcodes tiktok-token`)"
            )
        return value.strip()
    path = settings.access_token_file
    assert path is not None
    try:
        value = Path(path).read_text(encoding="utf-8-sig").strip()  # Notepad's BOM
    except OSError as exc:
        raise TokenSetupError(
            f"cannot read tiktok.access_token_file {path}: {exc.strerror or type(exc).__name__}"
        ) from None
    if not value:
        raise TokenSetupError(f"tiktok.access_token_file {path} is empty")
    return value


@dataclass(frozen=True, slots=True)
class TokenGrant:
    access_token: str
    advertiser_ids: tuple[str, ...]
    scopes: tuple[int, ...]

    def __repr__(self) -> str:  # the token stays out of any log or traceback
        return f"TokenGrant(advertiser_ids={self.advertiser_ids!r}, scopes={self.scopes!r})"


def exchange_auth_code(
    app_id: str,
    secret: str,
    auth_code: str,
    *,
    endpoint: str | None = None,
    timeout: float = 30.0,
) -> TokenGrant:
    """POST /oauth2/access_token/: the redirect's one-hour, single-use `auth_code` for a
    long-term access token. Not retried: TikTok accepts an auth code once."""
    base = (endpoint or DEFAULT_ENDPOINT).rstrip("/").removesuffix(API_PREFIX)
    url = f"{base}{API_PREFIX}{TOKEN_PATH}"
    auth_code = _from_redirect(auth_code.strip())
    secrets = [s for s in (secret, auth_code) if s]

    def scrub(text: str) -> str:
        for s in secrets:
            text = text.replace(s, "[hidden]")
        return text

    problem = ""
    payload: object = None
    try:
        response = requests.post(
            url,
            json={"app_id": app_id, "secret": secret, "auth_code": auth_code},
            timeout=timeout,
            allow_redirects=False,
        )
        try:
            payload = response.json()
        except ValueError:
            problem = f"HTTP {response.status_code}, not TikTok's JSON envelope"
    except requests.exceptions.RequestException as exc:
        problem = f"network error: {type(exc).__name__}"
    if problem:
        raise TokenSetupError(f"TikTok did not exchange the auth code ({problem})")
    if not isinstance(payload, dict) or not isinstance(payload.get("code"), int):
        raise TokenSetupError("TikTok did not exchange the auth code (an unexpected answer)")
    if payload["code"] != 0:
        message = scrub(str(payload.get("message") or ""))
        lowered = message.lower()
        if payload["code"] == 40001 or any(w in lowered for w in ("secret", "app_id", "app id")):
            raise TokenSetupError(
                f"TikTok refused the app id or secret ({payload['code']}: {message}); check "
                "--app-id and the app secret (TikTok for Business developers portal, My Apps)"
            )
        raise TokenSetupError(
            f"TikTok refused the auth code ({payload['code']}: {message}); an auth code is "
            "valid for one hour and only once: authorize the app again for a new one"
        )
    data = payload.get("data") if isinstance(payload.get("data"), dict) else {}
    assert isinstance(data, dict)
    token = str(data.get("access_token") or "").strip()
    if not token:
        raise TokenSetupError("TikTok's answer carried no access_token")
    ids = tuple(str(a) for a in data.get("advertiser_ids") or () if str(a).strip())
    scopes = tuple(int(s) for s in data.get("scope") or () if str(s).strip().isdigit())
    return TokenGrant(token, ids, scopes)


def _from_redirect(text: str) -> str:
    """The auth code itself when the whole redirect address was pasted (``...?auth_code=``)."""
    if "auth_code=" not in text:
        return text
    values = parse_qs(urlsplit(text).query or text.partition("?")[2]).get("auth_code")
    return values[0].strip() if values and values[0].strip() else text
