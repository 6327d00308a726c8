"""A generic JSON webhook: posts ``check``'s JSON (the message's payload) as is; any 2xx is a success."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._base import Notifier
from ._message import Message

__all__ = ["WebhookNotifier"]


class WebhookNotifier(Notifier):
    kind = "webhook"
    msg_types = ("json",)

    def render(self, message: Message, findings: Sequence[str], more: int) -> dict[str, Any]:
        return dict(message.payload) if message.payload is not None else message.as_dict()
