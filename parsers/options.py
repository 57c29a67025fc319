"""What configuration may change about extraction, apart from the parsers: a command's
parent process builds these without loading the parsers (its workers load them)."""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_MAX_BYTES = 25 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Campaign:
    """A campaign a message belongs to, told by a subject tag, a plus address or a domain."""

    name: str
    subject_tag: str | None = None  # e.g. "[Summer Glow]", matched case-insensitively
    plus_tag: str | None = None  # "summer" matches spark+summer@brand.example
    sender_domain: str | None = None  # the creator's (or agency's) email domain

    def matches(self, subject: str, recipients: Sequence[str], sender: str | None) -> bool:
        if self.subject_tag and self.subject_tag.lower() in subject.lower():
            return True
        if self.plus_tag:
            tag = "+" + self.plus_tag.lower() + "@"
            if any(tag in r.lower() for r in recipients):
                return True
        return bool(
            self.sender_domain
            and sender
            and sender.lower().endswith("@" + self.sender_domain.lower().lstrip("@"))
        )


@dataclass(frozen=True)
class Options:
    """What configuration may change about extraction: limits and the ops team's rules."""

    max_bytes: int = DEFAULT_MAX_BYTES
    default_days: int | None = None
    code_labels: tuple[str, ...] = ()  # extra words that say "the next thing is the code"
    period_phrases: tuple[tuple[str, int], ...] = ()  # ("the whole campaign", 60)
    campaigns: tuple[Campaign, ...] = ()

    @functools.cached_property
    def label_pattern(self) -> re.Pattern[str] | None:
        if not self.code_labels:
            return None
        return re.compile(r"(?i)(?:" + "|".join(re.escape(w) for w in self.code_labels) + r")")
