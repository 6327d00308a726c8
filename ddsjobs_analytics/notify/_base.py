"""The base of every notifier: limits as class attributes, cutting, retries, redaction, a test transport.

::

    DeliveryError        the platform refused the message or could not be reached after the retries
    Notifier             base: send(message) → fit to the size limit → post with retries
     ├── SlackNotifier      incoming webhook: text + blocks
     ├── FeishuNotifier     custom bot: interactive card or text; optional signature
     ├── DingTalkNotifier   custom robot: markdown; optional timestamp/sign query
     ├── WeComNotifier      group robot: markdown
     └── WebhookNotifier    any URL: check's JSON

A backend declares its limits (``body_maxlen`` in ``size_unit``) and renders a body from a message and the
findings that fit; the base cuts the list until the body fits and says how many more there were. The
webhook URL (it carries the token) and the secret never appear in a repr or an error.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

import httpx

from ._message import Message

__all__ = [
    "DEFAULT_BACKOFF",
    "DEFAULT_RETRIES",
    "DEFAULT_TIMEOUT",
    "DeliveryError",
    "Notifier",
    "redact_url",
]

DEFAULT_TIMEOUT = 10.0  # seconds per request
DEFAULT_RETRIES = (
    3  # attempts after the first, on 429, 5xx, a platform's rate-limit code or a lost connection
)
DEFAULT_BACKOFF = 1.0  # seconds before the first retry, doubled each time (Retry-After wins, up to MAX_WAIT)
MAX_WAIT = 30.0
MAX_LINE = 500  # characters of one finding; longer lines are cut with "…"
_sleep = time.sleep  # the default wait between attempts (a test may replace it)


class _RedactLog(logging.Filter):
    """httpx logs each request's URL at INFO; on the way out, a webhook's path and query become ``***``."""

    ddsjobs_redact = True  # how _redactor() recognises it, even from a re-imported copy of this module

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets and isinstance(record.args, tuple):
            record.args = tuple(self.clean(arg) for arg in record.args)
        return True

    def clean(self, value: object) -> object:
        text = str(value)
        if not any(secret in text for secret in self.secrets):
            return value
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text


def _redactor() -> _RedactLog:
    """The one redacting filter on httpx's logger (added on first use, found again afterwards)."""
    logger = logging.getLogger("httpx")
    for existing in logger.filters:
        if getattr(existing, "ddsjobs_redact", False):
            return existing  # type: ignore[return-value]
    added = _RedactLog()
    logger.addFilter(added)
    return added


class DeliveryError(Exception):
    """A message that did not arrive: the platform's answer (status, code, text), never the URL."""


def redact_url(url: str) -> str:
    """``https://host/…`` : the scheme and host only (the path and query carry the token)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname or '?'}{':' + str(parts.port) if parts.port else ''}/…"


class Notifier:
    """Post a :class:`Message` to one chat destination. Subclasses set the class attributes and ``render``."""

    kind: ClassVar[str] = ""
    # The platform's limit on the part of the body that grows with the findings, and its unit.
    body_maxlen: ClassVar[int | None] = None
    size_unit: ClassVar[Literal["chars", "bytes"]] = "chars"
    # Codes in a 200 answer that mean "too fast, try again" (DingTalk 130101, WeCom 45009, ...).
    retry_codes: ClassVar[frozenset[int]] = frozenset()
    msg_types: ClassVar[tuple[str, ...]] = ("",)

    def __init__(
        self,
        url: str,
        *,
        secret: str | None = None,
        msg_type: str | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF,
        sleep: Callable[[float], None] | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"{self.kind}: the webhook URL must start with http:// or https://")
        self.msg_type = msg_type or self.msg_types[0]
        if self.msg_type not in self.msg_types:
            raise ValueError(f"{self.kind}: msg_type is one of {', '.join(self.msg_types)}, not {msg_type!r}")
        self._url, self._secret = url, secret
        parts = urlsplit(url)
        _redactor().secrets.update(s for s in (parts.path, parts.query, secret) if s and len(s) > 1)
        self.retries, self.backoff, self._sleep = retries, backoff, sleep or _sleep
        self._client = httpx.Client(transport=transport, timeout=timeout, follow_redirects=False)

    # --- what a backend provides --------------------------------------------------------------------
    def render(self, message: Message, findings: Sequence[str], more: int) -> dict[str, Any]:
        """The JSON body with these ``findings`` and a note of ``more`` left out."""
        raise NotImplementedError

    def limited_text(self, body: dict[str, Any]) -> str:
        """The part of ``body`` that ``body_maxlen`` limits (default: the whole JSON body)."""
        return json.dumps(body, ensure_ascii=False)

    def request(self, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The URL and body actually posted (a backend adds its signature here)."""
        return self._url, body

    def accepted(self, response: httpx.Response) -> tuple[bool, int | None, str]:
        """Whether a 2xx answer is a success: (ok, platform code, text). Default: any 2xx."""
        return True, None, ""

    # --- the shared work ----------------------------------------------------------------------------
    def size(self, text: str) -> int:
        return len(text.encode("utf-8")) if self.size_unit == "bytes" else len(text)

    def fit(self, message: Message) -> dict[str, Any]:
        """The body with as many findings as fit ``body_maxlen``, then "… and N more"."""
        findings = [
            line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…" for line in message.findings
        ]
        for keep in range(len(findings), -1, -1):
            body = self.render(message, findings[:keep], len(findings) - keep)
            if self.body_maxlen is None or self.size(self.limited_text(body)) <= self.body_maxlen:
                return body
        raise DeliveryError(f"{self.kind}: even the title does not fit the platform's limit")

    def send(self, message: Message) -> None:
        """Post ``message`` once, retrying on 429, 5xx, a rate-limit code or a lost connection."""
        body = self.fit(message)
        for attempt in range(self.retries + 1):
            url, payload = self.request(body)
            wait = self.backoff * 2**attempt
            try:
                response = self._client.post(url, json=payload)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {self._redact(str(exc))}"
            else:
                if response.is_success:
                    ok, code, text = self.accepted(response)
                    if ok:
                        return
                    problem = f"HTTP {response.status_code}, code {code}: {self._redact(text)}"
                    if code not in self.retry_codes:
                        raise DeliveryError(f"{self.kind}: refused: {problem}")
                else:
                    problem = f"HTTP {response.status_code}: {self._redact(response.text[:200])}"
                    if response.status_code != 429 and response.status_code < 500:
                        raise DeliveryError(f"{self.kind}: refused: {problem}")
                    wait = _retry_after(response, wait)
            if attempt < self.retries:
                self._sleep(min(wait, MAX_WAIT))
        raise DeliveryError(f"{self.kind}: gave up after {self.retries + 1} attempts: {problem}")

    def _redact(self, text: str) -> str:
        for secret in (self._url, self._secret, urlsplit(self._url).path, urlsplit(self._url).query):
            if secret and len(secret) > 1:
                text = text.replace(secret, "***")
        return text

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Notifier:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        secret = ", secret=***" if self._secret else ""
        return f"{type(self).__name__}(url={redact_url(self._url)!r}{secret}, msg_type={self.msg_type!r})"


def _retry_after(response: httpx.Response, default: float) -> float:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return default
