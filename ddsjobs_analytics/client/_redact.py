"""Keep credentials out of the HTTP stack's debug logs, and out of what servers send back.

httpcore logs every response's headers at DEBUG (``receive_response_headers.complete return_value=(…,
[(b'X-Subject-Token', b'MII…'), …])``), so turning on DEBUG logging would print the IAM token of a password
login; a refused header value is echoed too (``Illegal header value b'…'``). A filter on httpcore's loggers
masks those values in the records before any handler sees them.

A server may also echo a request (its headers, the ``Authorization`` line) in an error message.
:func:`scrub` removes the client's own credentials by value and anything shaped like a credential header,
and :func:`excerpt` makes a short, printable, scrubbed sample of a body for an error message.
"""

from __future__ import annotations

import logging
import re

__all__ = ["SECRET_HEADERS", "auth_secrets", "excerpt", "install_log_redaction", "redact", "scrub"]

SECRET_HEADERS = ("x-subject-token", "x-auth-token", "x-security-token", "authorization")
_HIDDEN = "<hidden>"
# (b'X-Subject-Token', b'value') as httpcore reprs header lists; either quote style.
_HEADER_PAIR = re.compile(
    r"""(\(b(['"])(?:""" + "|".join(SECRET_HEADERS) + r""")\2,\s*b)(['"])(?:\\.|(?!\3).)*\3""",
    re.IGNORECASE,
)
_ILLEGAL_VALUE = re.compile(r"""(Illegal header value )b(['"])(?:\\.|(?!\2).)*\2""")
# "X-Auth-Token: v", "'authorization': 'v'", "Access=v" and the like, in any text a server sends back.
_HEADER_TEXT = re.compile(
    r"""((?:x-auth-token|x-security-token|x-subject-token|authorization|proxy-authorization)['"]?"""
    r"""\s*[:=]\s*['"]?)[^'"\r\n]*""",
    re.IGNORECASE,
)
_KEY_VALUE = re.compile(
    r"""(\b(?:access|signature|password|passwd|secret|sk|ak|token|security_token)['"]?\s*[=:]\s*['"]?)"""
    r"""[^\s,;&'"}]+""",
    re.IGNORECASE,
)
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]+")
_MIN_SECRET = 4  # shorter "secrets" would mask ordinary words
_LOGGERS = ("httpcore.http11", "httpcore.http2", "httpcore.connection", "httpcore.proxy")


def redact(text: str) -> str:
    """``text`` with the values of credential headers (and of refused header values) masked."""
    text = _HEADER_PAIR.sub(lambda m: f"{m.group(1)}'{_HIDDEN}'", text)
    return _ILLEGAL_VALUE.sub(lambda m: f"{m.group(1)}{_HIDDEN}", text)


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the handler's business, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = _RedactingFilter("ddsjobs_analytics.redact")


def install_log_redaction() -> None:
    """Attach the filter to httpcore's loggers (idempotent)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


def auth_secrets(auth: object) -> tuple[str, ...]:
    """The credentials an auth object holds right now: AK, SK, security token, token, password."""
    values = (getattr(auth, name, None) for name in ("ak", "_sk", "_security_token", "_token", "_password"))
    return tuple(v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET)


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` without the given secrets and without values of credential-shaped fields."""
    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, _HIDDEN)
    text = _HEADER_TEXT.sub(lambda m: m.group(1) + _HIDDEN, text)
    return _KEY_VALUE.sub(lambda m: m.group(1) + _HIDDEN, text)


def excerpt(body: bytes | str, secrets: tuple[str, ...] = (), limit: int = 120) -> str:
    """The start of ``body`` on one printable line, scrubbed, at most ``limit`` characters (+ "…")."""
    head = body[: 16 * limit]
    text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
    text = scrub(" ".join(text.split()), secrets)
    text = _UNPRINTABLE.sub("?", text)
    return text[:limit] + ("…" if len(text) > limit or len(body) > len(head) else "")
