"""Load and validate the TOML configuration; every error names the key and what is wrong.

pydantic does the validation (types, ranges, unknown keys) so the messages are precise and
uniform; relative paths are read against the config file's own folder, so a cron job started
from anywhere finds the same files.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

CONFIG_NAME = "sparkcodes.toml"


class ConfigError(ValueError):
    """The configuration cannot be used; the message is one sentence per problem."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LocalSettings(_Section):
    paths: list[Path] = Field(default_factory=list)


class CsvSettings(_Section):
    path: Path = Path("out/spark_codes.csv")
    failures_path: Path = Path("out/failures.csv")


class ParsingSettings(_Section):
    default_duration_days: Annotated[int, Field(gt=0, le=3650)] | None = None
    max_message_bytes: Annotated[int, Field(gt=1024)] = 25 * 1024 * 1024


class Settings(_Section):
    local: LocalSettings = LocalSettings()
    csv: CsvSettings = CsvSettings()
    parsing: ParsingSettings = ParsingSettings()
    path: Path | None = None  # where the settings were read from

    def resolve(self, value: Path) -> Path:
        """A path from the config, read against the config file's folder."""
        value = value.expanduser()
        if value.is_absolute() or self.path is None:
            return value
        return self.path.parent / value


def default_path() -> Path:
    """./sparkcodes.toml, else the XDG config dir."""
    here = Path.cwd() / CONFIG_NAME
    if here.exists():
        return here
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "sparkcodes" / CONFIG_NAME


def load(path: Path | None = None) -> Settings:
    """Read and validate the config file; raises ConfigError with readable sentences."""
    path = path or default_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"no config file at {path} (create one with a [csv] section)") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return parse(data, path)


def parse(data: dict[str, Any], path: Path | None = None) -> Settings:
    try:
        return Settings.model_validate({**data, "path": path})
    except ValidationError as exc:
        raise ConfigError(_sentences(exc, path)) from None


def _sentences(exc: ValidationError, path: Path | None) -> str:
    where = f"{path}: " if path else ""
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"{where}unknown key '{key}'")
        else:
            lines.append(f"{where}'{key}': {err['msg'].lower()}")
    return "\n".join(lines)
