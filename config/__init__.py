"""Settings: a TOML file and environment variables turned into one validated object."""

from config.settings import ConfigError, Settings, load

__all__ = ["ConfigError", "Settings", "load"]
