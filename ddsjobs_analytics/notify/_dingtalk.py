"""DingTalk custom robot: ``msgtype: markdown``, with the optional ``timestamp``/``sign`` query signature.

Signature ("加签"): HMAC-SHA256 with the secret as key over ``timestamp + "\\n" + secret`` (timestamp in
milliseconds), base64, then URL-encoded into the query: ``&timestamp=…&sign=…``. DingTalk answers 200 with
``{"errcode": 0}`` on success (130101: sending too fast, 20 messages a minute per robot).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Sequence
from typing import Any, ClassVar, Literal
from urllib.parse import quote_plus

import httpx

from ._base import Notifier
from ._message import Message
from ._text import markdown_body

__all__ = ["DingTalkNotifier", "dingtalk_sign", "errcode_answer"]


def dingtalk_sign(timestamp_ms: int, secret: str) -> str:
    """The ``sign`` query value, already URL-encoded."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return quote_plus(base64.b64encode(digest))


def errcode_answer(response: httpx.Response) -> tuple[bool, int | None, str]:
    """DingTalk's and WeCom's answer: ``{"errcode": 0, "errmsg": "ok"}``."""
    try:
        answer = response.json()
    except ValueError:
        return False, None, response.text[:200]
    code = answer.get("errcode", 0)
    return code == 0, code, str(answer.get("errmsg", ""))


class DingTalkNotifier(Notifier):
    kind = "dingtalk"
    body_maxlen: ClassVar[int | None] = 20_000  # the markdown text
    size_unit: ClassVar[Literal["chars", "bytes"]] = "bytes"
    retry_codes: ClassVar[frozenset[int]] = frozenset({130101})
    msg_types = ("markdown",)

    def render(self, message: Message, findings: Sequence[str], more: int) -> dict[str, Any]:
        text = markdown_body(message, findings, more, heading="####")
        return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}

    def limited_text(self, body: dict[str, Any]) -> str:
        return str(body["markdown"]["text"])

    def request(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        url, body = super().request(body)
        if self._secret:
            timestamp = int(time.time() * 1000)
            sign = dingtalk_sign(timestamp, self._secret)
            url = f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"
        return url, body

    def accepted(self, response: httpx.Response) -> tuple[bool, int | None, str]:
        return errcode_answer(response)
