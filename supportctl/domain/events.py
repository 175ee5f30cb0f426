"""The event: one fact read from the history (who did what to which ticket, when)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class Event:
    sha: str
    ticket: str
    action: str  # new, comment, start, wait, escalate, resolve, close, reopen, log, ..., or "edit" by hand
    at: datetime  # the commit's author date: when it happened
    committed: datetime
    author: str
    email: str
    changes: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
    manual: bool = False  # derived from a commit without trailers

    @property
    def public_reply(self) -> bool:
        return is_public_reply(self.action, self.details)

    @property
    def backdated(self) -> timedelta:
        return self.committed - self.at


def is_public_reply(action: str, details: Mapping[str, str]) -> bool:
    """A comment the customer sees (what stops the first-response clock)."""
    return action == "comment" and details.get("visibility", "public") == "public"
