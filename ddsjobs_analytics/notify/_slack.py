"""Slack incoming webhook: ``text`` (the notification's fallback) plus Block Kit ``blocks``.

Limits: a section's text is at most 3000 characters, a header's 150. Slack answers 200 ``ok``, 429 with
``Retry-After`` when rate limited, 4xx for a bad payload or a revoked hook.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from ._base import Notifier
from ._message import Message
from ._text import bullet_list

__all__ = ["SlackNotifier"]


def _escape(text: str) -> str:
    """Slack's three control characters in mrkdwn text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SlackNotifier(Notifier):
    kind = "slack"
    body_maxlen: ClassVar[int | None] = 3000  # the findings section's text
    size_unit: ClassVar[Literal["chars", "bytes"]] = "chars"
    msg_types = ("blocks",)

    def render(self, message: Message, findings: Sequence[str], more: int) -> dict[str, Any]:
        blocks: list[dict[str, Any]] = [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _escape(message.context) or " "}},
        ]
        if findings or more:
            text = _escape(bullet_list(findings, more))
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
        if message.link:
            link = {"type": "mrkdwn", "text": f"<{message.link}|Open the report>"}
            blocks.append({"type": "section", "text": link})
        return {"text": f"{message.title}: {message.context}", "blocks": blocks}

    def limited_text(self, body: dict[str, Any]) -> str:
        sections = [block["text"]["text"] for block in body["blocks"] if block["type"] == "section"]
        return max(sections, key=len)
