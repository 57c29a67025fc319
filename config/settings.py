"""Load and validate the TOML configuration; every error names the key and what is wrong.

pydantic does the validation (types, ranges, unknown keys) so the messages are precise and
uniform; numbers are strict (`"30"` in quotes is an error, not silently 30: TOML has real
numbers, so a quoted one is a mistake worth naming). Relative paths are read against the
config file's own folder, so a cron job started from anywhere finds the same files.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from config.errors import TerminalError

CONFIG_NAME = "sparkcodes.toml"


class ConfigError(ValueError, TerminalError):
    """The configuration cannot be used; the message is one sentence per problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalSettings(_Section):
    paths: list[Path] = Field(default_factory=list)


class ImapSettings(_Section):
    host: str
    port: Annotated[int, Field(gt=0, lt=65536, strict=True)] | None = None
    security: Literal["ssl", "starttls", "none"] = "ssl"
    username: str
    auth: Literal["password", "oauth2"] = "password"
    password_env: str | None = None
    password_file: Path | None = None
    oauth2_token_file: Path | None = None
    oauth2_token_command: str | None = None
    folder: str = "INBOX"
    ca_file: Path | None = None
    mark: Literal["keyword", "move", "none"] = "keyword"
    keyword: str = "$SparkParsed"
    move_to: str | None = None
    batch_size: Annotated[int, Field(gt=0, le=5000, strict=True)] = 200
    timeout_seconds: Annotated[float, Field(gt=0, le=600, strict=True)] = 60.0

    @field_validator("ca_file", "password_file", "oauth2_token_file", "password_env", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _consistent(self) -> ImapSettings:
        if self.auth == "password" and not (self.password_env or self.password_file):
            raise ValueError("set password_env (a variable name) or password_file")
        if self.auth == "oauth2" and not (self.oauth2_token_file or self.oauth2_token_command):
            raise ValueError("set oauth2_token_file or oauth2_token_command for auth = 'oauth2'")
        if self.mark == "move" and not self.move_to:
            raise ValueError("set move_to (a folder) for mark = 'move'")
        if self.port == 993 and self.security != "ssl":
            # The client would wait for a plaintext greeting that never comes, then time out.
            raise ValueError(
                f"port 993 speaks TLS from the start, so security = '{self.security}' cannot "
                "work there; use security = 'ssl' (or port 143 for 'starttls')"
            )
        if self.security == "none" and self.host not in ("localhost", "127.0.0.1", "::1"):
            raise ValueError("security = 'none' sends the password in clear; only for loopback")
        return self

    @property
    def effective_port(self) -> int:
        return self.port or (993 if self.security == "ssl" else 143)


class StateSettings(_Section):
    path: Path | None = None  # default: $XDG_STATE_HOME/sparkcodes/state.sqlite3


class WatchSettings(_Section):
    idle_seconds: Annotated[float, Field(gt=0, le=600, strict=True)] = 540.0
    poll_seconds: Annotated[float, Field(gt=0, le=3600, strict=True)] = 60.0
    max_backoff_seconds: Annotated[float, Field(gt=0, le=3600, strict=True)] = 300.0


class CsvSettings(_Section):
    path: Path = Path("out/spark_codes.csv")
    failures_path: Path = Path("out/failures.csv")


class SheetsSettings(_Section):
    spreadsheet: str  # key or URL
    worksheet: str = "Spark codes"
    failures_worksheet: str = "Needs review"
    credentials_file: Path | None = None
    endpoint: str | None = None  # a Sheets API emulator; SPARKCODES_SHEETS_ENDPOINT also works
    max_attempts: Annotated[int, Field(ge=1, le=20, strict=True)] = 6
    max_backoff_seconds: Annotated[float, Field(gt=0, le=600, strict=True)] = 32.0

    @field_validator("credentials_file", "endpoint", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class TikTokSettings(_Section):
    """`[tiktok]`: check every code with TikTok's Business API (and optionally add good posts
    to the ad account). Absent, sparkcodes sends no request to TikTok at all."""

    advertiser_id: str
    access_token_env: str | None = None
    access_token_file: Path | None = None
    authorize: Annotated[bool, Field(strict=True)] = False
    max_requests_per_second: Annotated[float, Field(gt=0, le=50, strict=True)] = 10.0
    endpoint: str | None = None  # an emulator's base URL; SPARKCODES_TIKTOK_ENDPOINT also works

    @field_validator("advertiser_id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        # A bare number in TOML is the same id; the API wants it as text either way.
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("advertiser_id")
    @classmethod
    def _digits(cls, value: str) -> str:
        value = value.strip()
        if not value.isdigit():
            # The value is not shown: it may be the access token pasted in the wrong place.
            raise ValueError("advertiser_id must be TikTok's advertiser id (digits)")
        return value

    @field_validator("access_token_env")
    @classmethod
    def _variable_name(cls, value: str | None) -> str | None:
        if value is not None and not _ENV_NAME.fullmatch(value):
            # Most likely the token itself: never repeat it.
            raise ValueError(
                "access_token_env is the NAME of an environment variable (letters, digits, _) "
                "holding the token, not the token itself"
            )
        return value

    @field_validator("access_token_env", "access_token_file", "endpoint", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("endpoint")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value.strip())
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(
                    "endpoint must be a base URL with http:// or https://, such as "
                    "http://127.0.0.1:8080 (an emulator)"
                )
            return value.strip()
        return value

    @model_validator(mode="after")
    def _one_token(self) -> TikTokSettings:
        if bool(self.access_token_env) == bool(self.access_token_file):
            raise ValueError(
                "set one of access_token_env (a variable name) or access_token_file for the "
                "TikTok access token"
            )
        return self

    @property
    def effective_endpoint(self) -> str | None:
        """The base URL to call: the config's, else SPARKCODES_TIKTOK_ENDPOINT, else TikTok's."""
        return self.endpoint or os.environ.get("SPARKCODES_TIKTOK_ENDPOINT") or None


class CampaignRule(_Section):
    name: str
    subject_tag: str | None = None
    plus_tag: str | None = None
    sender_domain: str | None = None

    @model_validator(mode="after")
    def _has_a_test(self) -> CampaignRule:
        if not (self.subject_tag or self.plus_tag or self.sender_domain):
            raise ValueError(f"campaign '{self.name}' needs subject_tag, plus_tag or sender_domain")
        return self


class RulesSettings(_Section):
    code_labels: list[str] = Field(default_factory=list)
    period_phrases: dict[str, Annotated[int, Field(gt=0, le=3650, strict=True)]] = Field(
        default_factory=dict
    )
    campaigns: list[CampaignRule] = Field(default_factory=list)


class ReviewSettings(_Section):
    expiring_within_days: Annotated[int, Field(ge=0, le=365, strict=True)] = 7
    store_max_mb: Annotated[float, Field(ge=0, strict=True)] = 200.0
    imap_keyword: str | None = "$SparkReview"  # "" turns the hand-off keyword off
    imap_move_to: str | None = None  # e.g. "Spark/Needs review"

    @field_validator("imap_keyword", "imap_move_to", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value


class ParsingSettings(_Section):
    default_duration_days: Annotated[int, Field(gt=0, le=3650, strict=True)] | None = None
    max_message_bytes: Annotated[int, Field(gt=1024, strict=True)] = 25 * 1024 * 1024


class Settings(_Section):
    imap: ImapSettings | None = None
    local: LocalSettings = LocalSettings()
    csv: CsvSettings | None = CsvSettings()
    sheets: SheetsSettings | None = None
    tiktok: TikTokSettings | None = None
    state: StateSettings = StateSettings()
    watch: WatchSettings = WatchSettings()
    parsing: ParsingSettings = ParsingSettings()
    rules: RulesSettings = RulesSettings()
    review: ReviewSettings = ReviewSettings()
    path: Path | None = None  # where the settings were read from

    @model_validator(mode="after")
    def _has_source(self, info: ValidationInfo) -> Settings:
        # `parse --config` reads only the rules and options: a file holding just those will do.
        parsing_only = bool(info.context and info.context.get("parsing_only"))
        if self.imap is None and not self.local.paths and not parsing_only:
            raise ValueError("no mail to read: add an [imap] section or [local] paths")
        if self.csv is not None:
            codes, failures = (
                self._resolve(p).resolve() for p in (self.csv.path, self.csv.failures_path)
            )
            if codes == failures:
                raise ValueError(
                    f"csv.path and csv.failures_path are the same file ({codes}); "
                    "the codes and the review queue each need their own file"
                )
        return self

    @property
    def review_store(self) -> Path:
        """Where the raw emails of review items are kept, beside the state file."""
        return self.state_path.parent / "review"

    @property
    def state_path(self) -> Path:
        if self.state.path is not None:
            return self.state.path
        base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
        return Path(base) / "sparkcodes" / "state.sqlite3"

    def _resolve(self, value: Path) -> Path:
        """A path from the config, read against the config file's folder."""
        value = value.expanduser()
        if value.is_absolute() or self.path is None:
            return value
        return self.path.parent / value

    def _absolute(self) -> Settings:
        """The same settings with every path read against the config file's folder.

        The one place "relative to the config file" is decided: every path a loaded Settings
        exposes is final, so sources, sinks and checks use them as they are. A new path key
        (a token file, say) is added here.
        """
        r = self._resolve

        def paths(section: BaseModel, *keys: str) -> Any:
            found = {k: getattr(section, k) for k in keys}
            return section.model_copy(update={k: r(v) for k, v in found.items() if v is not None})

        update: dict[str, Any] = {
            "local": self.local.model_copy(update={"paths": [r(p) for p in self.local.paths]}),
            "state": paths(self.state, "path"),
        }
        if self.imap is not None:
            update["imap"] = paths(self.imap, "password_file", "oauth2_token_file", "ca_file")
        if self.csv is not None:
            update["csv"] = paths(self.csv, "path", "failures_path")
        if self.sheets is not None:
            update["sheets"] = paths(self.sheets, "credentials_file")
        if self.tiktok is not None:
            update["tiktok"] = paths(self.tiktok, "access_token_file")
        return self.model_copy(update=update)


def default_path() -> Path:
    """./sparkcodes.toml, else the XDG config dir."""
    here = Path.cwd() / CONFIG_NAME
    if here.exists():
        return here
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sparkcodes" / CONFIG_NAME


def load(path: Path | None = None, *, parsing_only: bool = False) -> Settings:
    """Read and validate the config file; raises ConfigError with readable sentences.

    `parsing_only` accepts a file without a mail source, for `parse --config`.
    """
    path = path or default_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(
            f"no config file at {path}; write one with `sparkcodes init` (or pass --config FILE)"
        ) from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return parse(data, path, parsing_only=parsing_only)


def parse(
    data: dict[str, Any], path: Path | None = None, *, parsing_only: bool = False
) -> Settings:
    try:
        settings = Settings.model_validate(
            {**data, "path": path}, context={"parsing_only": parsing_only}
        )
    except ValidationError as exc:
        raise ConfigError(_sentences(exc, path)) from None
    return settings._absolute()


def _sentences(exc: ValidationError, path: Path | None) -> str:
    where = f"{path}: " if path else ""
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        msg = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            lines.append(f"{where}unknown key '{key}'")
        elif err["type"] == "missing":
            lines.append(f"{where}missing key '{key}'")
        elif key:
            lines.append(f"{where}[{key}]: {msg}" if "." not in key else f"{where}'{key}': {msg}")
        else:
            lines.append(f"{where}{msg}")
    return "\n".join(lines)
