"""A mailbox of creator emails, a config with `[tiktok]` pointing at the emulator, and the
real CLI run in-process (click's CliRunner) with short TikTok retries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner, Result

from pipeline import wiring
from pipeline.cli import main
from pipeline.tiktok.client import RetryPolicy
from tests.pipeline.mailgen import code_for, creator_email
from tests.tiktok_emulator.server import TikTokEmulator

TOKEN_ENV = "TEST_TIKTOK_TOKEN"
VIDEO_BASE = 7300000000000000000  # mailgen's creator i links video VIDEO_BASE + i


def video_of(i: int) -> str:
    return str(VIDEO_BASE + i)


@dataclass
class Project:
    root: Path
    emu: TikTokEmulator
    config: Path

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def env(self) -> dict[str, str]:
        return {TOKEN_ENV: self.emu.token}

    def mail(self, *numbers: int, salt: str = "", days: int = 30) -> None:
        """Creator emails i (code `code_for(i, salt)`, video `video_of(i)`) into the inbox."""
        self.inbox.mkdir(exist_ok=True)
        for i in numbers:
            (self.inbox / f"{salt}{i}.eml").write_bytes(creator_email(i, salt=salt, days=days))

    def code(self, i: int, state: str = "active", *, salt: str = "", **fields: object) -> str:
        """Seed the emulator with creator i's code in `state`, for video i unless told."""
        fields.setdefault("item_id", video_of(i))
        return self.emu.add_code(state, auth_code=code_for(i, salt), **fields).auth_code

    def cli(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(
            main, [*args, "--config", str(self.config)], env={**self.env, **(env or {})}
        )

    def codes(self) -> pd.DataFrame:
        frame = pd.read_csv(
            self.root / "out" / "spark_codes.csv", dtype=str, encoding="utf-8-sig"
        ).fillna("")
        return frame.set_index("spark_code", drop=False)

    def failures(self) -> pd.DataFrame:
        path = self.root / "out" / "failures.csv"
        if not path.exists():
            return pd.DataFrame(columns=["reason", "detail", "message_id"])
        return pd.read_csv(path, dtype=str, encoding="utf-8-sig").fillna("")


def write_config(root: Path, emu: TikTokEmulator | None, *, authorize: bool = False) -> Path:
    tiktok = ""
    if emu is not None:
        tiktok = f"""
[tiktok]
advertiser_id = "{emu.advertiser_id}"
access_token_env = "{TOKEN_ENV}"
authorize = {"true" if authorize else "false"}
endpoint = "{emu.base_url}"
"""
    path = root / "sparkcodes.toml"
    path.write_text(
        f"""
[local]
paths = ["inbox"]

[csv]
path = "out/spark_codes.csv"
failures_path = "out/failures.csv"

[state]
path = "state/state.sqlite3"
{tiktok}""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """TikTok retries in milliseconds, so a test of an outage does not wait seconds."""
    monkeypatch.setattr(
        wiring,
        "TIKTOK_RETRY",
        RetryPolicy(attempts=3, backoff=0.01, max_backoff=0.02, rate_attempts=30, rate_wait=0.1),
    )


@pytest.fixture
def project(
    tmp_path: Path, tiktok_emulator: TikTokEmulator, fast_retries: None
) -> Iterator[Project]:
    (tmp_path / "inbox").mkdir()
    yield Project(tmp_path, tiktok_emulator, write_config(tmp_path, tiktok_emulator))
