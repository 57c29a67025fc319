"""Settings: a TOML file and environment variables turned into one validated object.

`config.settings` (pydantic) loads on first use of `load`, `Settings` or `ConfigError`, not on
`import config`: `sparkcodes parse` and the error classes need none of it at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from config.errors import SparkcodesError, TerminalError, TransientError

if TYPE_CHECKING:
    from config.settings import ConfigError, Settings, load

__all__ = [
    "ConfigError",
    "Settings",
    "SparkcodesError",
    "TerminalError",
    "TransientError",
    "load",
]


def __getattr__(name: str) -> Any:
    if name in ("ConfigError", "Settings", "load", "settings"):
        import config.settings

        return config.settings if name == "settings" else getattr(config.settings, name)
    raise AttributeError(f"module 'config' has no attribute {name!r}")
