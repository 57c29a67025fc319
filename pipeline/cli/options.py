"""Options more than one command takes."""

from __future__ import annotations

from pathlib import Path

import click

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file (default: ./sparkcodes.toml, then $XDG_CONFIG_HOME/sparkcodes/).",
)
