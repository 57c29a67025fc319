"""Command options ops asked for (issue 10 item 17): `init --port`, an interactive `init` that
asks for security and port, and `parse --config` to try `[rules]` on files."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import time
from email.message import EmailMessage
from pathlib import Path

import config
from tests.pipeline.cli_helpers import SPARKCODES, sparkcodes
from tests.pipeline.mailgen import code_for


def test_init_takes_a_port(tmp_path: Path) -> None:
    out = tmp_path / "sparkcodes.toml"
    result = sparkcodes(
        "init", "--output", str(out), "--host", "mail.brand.example", "--username", "spark",
        "--security", "starttls", "--port", "1143",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    imap = config.load(out).imap
    assert imap is not None
    assert (imap.security, imap.effective_port) == ("starttls", 1143)


class Terminal:
    """`sparkcodes init` on a pseudo-terminal, answered prompt by prompt."""

    def __init__(self, *args: str, cwd: Path) -> None:
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(
            [SPARKCODES, *args], stdin=slave, stdout=slave, stderr=slave, cwd=cwd
        )
        os.close(slave)
        self.seen = b""

    def answer(self, prompt: str, reply: str, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while prompt.encode() not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"no prompt {prompt!r}; the terminal shows:\n{self.seen.decode()}"
            if select.select([self.master], [], [], left)[0]:
                try:
                    self.seen += os.read(self.master, 4096)
                except OSError:  # the process closed the terminal
                    break
        assert prompt.encode() in self.seen, self.seen.decode()
        self.seen = self.seen[self.seen.index(prompt.encode()) + len(prompt) :]
        os.write(self.master, reply.encode() + b"\r")

    def finish(self) -> int:
        try:
            return self.proc.wait(timeout=30)
        finally:
            os.close(self.master)


def test_interactive_init_asks_for_security_and_port(tmp_path: Path) -> None:
    term = Terminal("init", "--output", "sparkcodes.toml", cwd=tmp_path)
    term.answer("IMAP server", "mail.brand.example")
    term.answer("Security", "starttls")
    term.answer("IMAP port [143]", "")  # the usual port of starttls, taken as offered
    term.answer("Shared inbox login", "spark@brand.example")
    term.answer("Google Sheet URL", "")
    assert term.finish() == 0
    imap = config.load(tmp_path / "sparkcodes.toml").imap
    assert imap is not None
    assert (imap.host, imap.security, imap.effective_port) == (
        "mail.brand.example",
        "starttls",
        143,
    )
    assert "port = 143" in (tmp_path / "sparkcodes.toml").read_text()


def _campaign_email() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Mia <mia@creators.example>"
    msg["To"] = "spark@brand.example"
    msg["Subject"] = "[Summer Glow] my code"
    msg["Date"] = "Mon, 02 Nov 2026 10:00:00 +0000"
    msg["Message-ID"] = "<mia-1@creators.example>"
    msg.set_content(
        f"Hi!\n\nHere it is:\n\n{code_for(7)}\n\nYou can use it for the whole campaign.\n\nMia\n"
    )
    return msg.as_bytes()


def test_parse_config_applies_the_rules(tmp_path: Path) -> None:
    eml = tmp_path / "mia.eml"
    eml.write_bytes(_campaign_email())
    rules = tmp_path / "rules.toml"  # only rules: no mail source is needed to parse files
    rules.write_text(
        '[rules]\nperiod_phrases = { "the whole campaign" = 60 }\n'
        '[[rules.campaigns]]\nname = "Summer Glow"\nsubject_tag = "[Summer Glow]"\n',
        encoding="utf-8",
    )
    bare = [json.loads(line) for line in sparkcodes("parse", str(eml)).stdout.splitlines()]
    result = sparkcodes("parse", "--config", str(rules), str(eml))
    assert result.returncode == 0, result.stderr
    ruled = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["spark_code"] for r in ruled] == [code_for(7)]
    assert (ruled[0]["duration_days"], ruled[0]["campaign"]) == (60, "Summer Glow")
    assert (bare[0].get("duration_days"), bare[0].get("campaign")) != (60, "Summer Glow")


def test_parse_default_days_overrides_the_config(tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["From"] = "Mia <mia@creators.example>"
    msg["Subject"] = "code"
    msg["Date"] = "Mon, 02 Nov 2026 10:00:00 +0000"
    msg.set_content(f"Spark code: {code_for(8)}\n")
    eml = tmp_path / "m.eml"
    eml.write_bytes(msg.as_bytes())
    rules = tmp_path / "rules.toml"
    rules.write_text("[parsing]\ndefault_duration_days = 30\n", encoding="utf-8")
    from_config = sparkcodes("parse", "--config", str(rules), str(eml)).stdout
    overridden = sparkcodes("parse", "--config", str(rules), "--default-days", "45", str(eml))
    assert json.loads(from_config)["duration_days"] == 30
    assert json.loads(overridden.stdout)["duration_days"] == 45


def test_parse_config_errors_name_the_key(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text('[parsing]\ndefault_duration_days = "30"\n', encoding="utf-8")
    eml = tmp_path / "m.eml"
    eml.write_bytes(_campaign_email())
    result = sparkcodes("parse", "--config", str(rules), str(eml))
    assert result.returncode == 2
    assert "parsing.default_duration_days" in result.stderr
    assert "Traceback" not in result.stderr
