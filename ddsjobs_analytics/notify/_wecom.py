"""WeCom (企业微信) group robot: ``msgtype: markdown``; the content is at most 4096 bytes of UTF-8.

WeCom answers 200 with ``{"errcode": 0}`` on success (45009: over the rate limit, 20 a minute).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import httpx

from ._base import Notifier
from ._dingtalk import errcode_answer
from ._message import Message
from ._text import markdown_body

__all__ = ["WeComNotifier"]


class WeComNotifier(Notifier):
    kind = "wecom"
    body_maxlen: ClassVar[int | None] = 4096  # the markdown content
    size_unit: ClassVar[Literal["chars", "bytes"]] = "bytes"
    retry_codes: ClassVar[frozenset[int]] = frozenset({45009})
    msg_types = ("markdown",)

    def render(self, message: Message, findings: Sequence[str], more: int) -> dict[str, Any]:
        return {"msgtype": "markdown", "markdown": {"content": markdown_body(message, findings, more)}}

    def limited_text(self, body: dict[str, Any]) -> str:
        return str(body["markdown"]["content"])

    def accepted(self, response: httpx.Response) -> tuple[bool, int | None, str]:
        return errcode_answer(response)
