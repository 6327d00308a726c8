"""A notification: what every backend renders in its platform's shape (no HTTP here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Message"]


@dataclass(frozen=True)
class Message:
    """``title``; ``context`` (targets and period); ``findings``, one line each, most important first;
    ``link`` to the HTML report when configured; ``flagged`` (something to act on) or a digest;
    ``payload``: the machine-readable result a generic webhook posts as is (``check``'s JSON)."""

    title: str
    context: str = ""
    findings: tuple[str, ...] = ()
    link: str | None = None
    flagged: bool = True
    payload: Mapping[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The message as JSON-ready fields (for a webhook without a payload)."""
        return {
            "title": self.title,
            "context": self.context,
            "findings": list(self.findings),
            "link": self.link,
            "flagged": self.flagged,
        }
