"""Keep credentials out of the HTTP stack's debug logs.

httpcore logs every response's headers at DEBUG (``receive_response_headers.complete return_value=(…,
[(b'X-Subject-Token', b'MII…'), …])``), so turning on DEBUG logging would print the IAM token of a password
login; a refused header value is echoed too (``Illegal header value b'…'``). A filter on httpcore's loggers
masks those values in the records before any handler sees them.
"""

from __future__ import annotations

import logging
import re

__all__ = ["SECRET_HEADERS", "install_log_redaction", "redact"]

SECRET_HEADERS = ("x-subject-token", "x-auth-token", "x-security-token", "authorization")
_HIDDEN = "<hidden>"
# (b'X-Subject-Token', b'value') as httpcore reprs header lists; either quote style.
_HEADER_PAIR = re.compile(
    r"""(\(b(['"])(?:""" + "|".join(SECRET_HEADERS) + r""")\2,\s*b)(['"])(?:\\.|(?!\3).)*\3""",
    re.IGNORECASE,
)
_ILLEGAL_VALUE = re.compile(r"""(Illegal header value )b(['"])(?:\\.|(?!\2).)*\2""")
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
