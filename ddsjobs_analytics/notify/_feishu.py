"""Feishu / Lark custom bot: an ``interactive`` card (default) or ``text``, with the optional signature.

Signature (the bot's "signature verification" setting): the string ``timestamp + "\\n" + secret`` is the
HMAC-SHA256 *key*, the message is empty, and the digest is base64-encoded; ``timestamp`` (seconds) and
``sign`` go into the JSON body. The request body is at most 20 KB. Feishu answers 200 with
``{"code": 0}`` on success and a non-zero ``code`` otherwise (11232: rate limited).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Sequence
from typing import Any, ClassVar, Literal

import httpx

from ._base import Notifier
from ._message import Message
from ._text import bullet_list, plain_body

__all__ = ["FeishuNotifier", "feishu_sign"]


def feishu_sign(timestamp: int, secret: str) -> str:
    key = f"{timestamp}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode("ascii")


class FeishuNotifier(Notifier):
    kind = "feishu"
    body_maxlen: ClassVar[int | None] = 20_000  # the whole request body
    size_unit: ClassVar[Literal["chars", "bytes"]] = "bytes"
    retry_codes: ClassVar[frozenset[int]] = frozenset({11232, 9499})
    msg_types = ("interactive", "text")

    def render(self, message: Message, findings: Sequence[str], more: int) -> dict[str, Any]:
        if self.msg_type == "text":
            return {"msg_type": "text", "content": {"text": plain_body(message, findings, more)}}
        elements: list[dict[str, Any]] = [
            {"tag": "div", "text": {"tag": "lark_md", "content": message.context}}
        ]
        if findings or more:
            elements.append(
                {"tag": "div", "text": {"tag": "lark_md", "content": bullet_list(findings, more)}}
            )
        if message.link:
            button = {
                "tag": "button",
                "text": {"tag": "plain_text", "content": "Open the report"},
                "url": message.link,
                "type": "primary",
            }
            elements.append({"tag": "action", "actions": [button]})
        header = {
            "title": {"tag": "plain_text", "content": message.title},
            "template": "red" if message.flagged else "green",
        }
        card = {"config": {"wide_screen_mode": True}, "header": header, "elements": elements}
        return {"msg_type": "interactive", "card": card}

    def request(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        url, body = super().request(body)
        if self._secret:
            timestamp = int(time.time())
            body = {"timestamp": str(timestamp), "sign": feishu_sign(timestamp, self._secret), **body}
        return url, body

    def accepted(self, response: httpx.Response) -> tuple[bool, int | None, str]:
        try:
            answer = response.json()
        except ValueError:
            return False, None, response.text[:200]
        code = answer.get("code", answer.get("StatusCode", 0))
        return code == 0, code, str(answer.get("msg", answer.get("StatusMessage", "")))
