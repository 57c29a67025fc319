"""Settings: a TOML file and environment variables turned into one validated object."""

from config.errors import SparkcodesError, TerminalError, TransientError
from config.settings import ConfigError, Settings, load

__all__ = [
    "ConfigError",
    "Settings",
    "SparkcodesError",
    "TerminalError",
    "TransientError",
    "load",
]
