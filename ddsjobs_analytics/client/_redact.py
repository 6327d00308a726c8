"""Keep credentials out of logs, exceptions and excerpts, whatever a server sends back.

Three layers:

* :func:`scrub` masks the client's own credentials in a text: each secret whole, and every run of 8 or more
  characters taken from one (a server may echo a cut or prefix of a token: an excerpt that ends 14 characters
  into it still gives those 14 away). Matching ignores ASCII case and also looks for the secret's URL-, JSON-
  and HTML-escaped spellings. It then masks anything shaped like a credential header or ``key=value``.
* Every field an error takes from a response (message, ``error_code``, ``error_msg``, ``request_id``) passes
  through :func:`scrub` (see ``TaskCenterError.scrub``).
* A logging filter masks, in every record before any handler sees it, the values of credential headers in
  httpcore's header dumps (``(b'X-Subject-Token', b'MII…')``), refused header values, and the secrets of every
  open client (:func:`register`), anywhere in the message (a server may echo a token in ``X-Request-Id`` or
  the reason phrase, which httpcore and httpx log). It sits on the loggers where such records are made
  (httpx, httpcore's, the client's own) and on the handlers configured on the root and package loggers when a
  client opens.
"""

from __future__ import annotations

import functools
import html
import json
import logging
import re
import sys
import threading
import weakref
from urllib.parse import quote, quote_plus

__all__ = [
    "SECRET_HEADERS",
    "WINDOW",
    "auth_secrets",
    "excerpt",
    "install_log_redaction",
    "live_secrets",
    "mask_payload",
    "mentions",
    "redact",
    "register",
    "scrub",
    "unregister",
]

SECRET_HEADERS = ("x-subject-token", "x-auth-token", "x-security-token", "authorization")
_HIDDEN = "<hidden>"
WINDOW = 8  # no run of this many characters of a secret survives scrub()
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
_LOGGERS = (
    "httpx",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.connection",
    "httpcore.proxy",
    "httpcore.socks",
    "ddsjobs_analytics.client",
)
# ASCII-only lower-casing keeps every index of the text where it was (str.lower may not: "İ" → 2 chars).
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def redact(text: str) -> str:
    """``text`` with the values of credential headers (and of refused header values) masked."""
    text = _HEADER_PAIR.sub(lambda m: f"{m.group(1)}'{_HIDDEN}'", text)
    return _ILLEGAL_VALUE.sub(lambda m: f"{m.group(1)}{_HIDDEN}", text)


# --- the secrets of open clients ------------------------------------------------------------------------
_live: weakref.WeakKeyDictionary[object, int] = weakref.WeakKeyDictionary()
_live_lock = threading.Lock()


def register(auth: object) -> None:
    """Mask ``auth``'s secrets (read afresh each time: a password login's token comes later) in every log
    record until :func:`unregister` (counted: one auth may serve several clients) or until it is garbage."""
    install_log_redaction()
    with _live_lock:
        _live[auth] = _live.get(auth, 0) + 1


def unregister(auth: object) -> None:
    with _live_lock:
        count = _live.get(auth, 0) - 1
        if count > 0:
            _live[auth] = count
        else:
            _live.pop(auth, None)


def live_secrets() -> tuple[str, ...]:
    """The secrets of every registered auth, right now."""
    with _live_lock:
        auths = list(_live.keys())
    return tuple(sorted({secret for auth in auths for secret in auth_secrets(auth)}))


class _RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the handler's business, not ours
            return True
        secrets = live_secrets()
        cleaned = scrub_secrets(redact(message), secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if secrets and record.exc_info and not record.exc_text:
            # Formatters reuse exc_text when it is set: the traceback's messages are scrubbed once, here.
            record.exc_text = scrub_secrets(logging.Formatter().formatException(record.exc_info), secrets)
        return True


_FILTER = _RedactingFilter("ddsjobs_analytics.redact")


def install_log_redaction() -> None:
    """Attach the filter to the loggers that may quote a response (idempotent), and to the handlers now
    configured on the root and the package's logger (a record made elsewhere passes one of those)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    for logger in (logging.getLogger(), logging.getLogger("ddsjobs_analytics")):
        for handler in list(logger.handlers):
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)


def auth_secrets(auth: object) -> tuple[str, ...]:
    """The credentials an auth object holds right now: AK, SK, security token, token, password."""
    values = (getattr(auth, name, None) for name in ("ak", "_sk", "_security_token", "_token", "_password"))
    return tuple(v for v in values if isinstance(v, str) and len(v) >= _MIN_SECRET)


# --- masking ---------------------------------------------------------------------------------------------
def _spellings(secret: str) -> set[str]:
    """How a server may quote ``secret``: as is, URL-encoded, JSON-escaped, HTML-escaped."""
    return {
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        html.escape(secret),
    }


@functools.lru_cache(maxsize=32)
def _windows(secrets: tuple[str, ...]) -> frozenset[str]:
    """Every ``WINDOW``-character run (ASCII case folded) of every spelling of every secret."""
    runs: set[str] = set()
    for secret in secrets:
        for spelling in _spellings(secret):
            low = spelling.translate(_ASCII_LOWER)
            runs.update(low[i : i + WINDOW] for i in range(len(low) - WINDOW + 1))
    return frozenset(runs)


def scrub_secrets(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with each secret and every run of ``WINDOW``+ characters of one replaced by ``<hidden>``.

    Any run of 8 or more characters of a secret is a chain of overlapping 8-character windows of it, so
    marking every window of the text found among the secret's windows masks all of them.
    """
    if not secrets or not text:
        return text
    for secret in sorted(secrets, key=len, reverse=True):  # short secrets (< WINDOW) only whole
        if secret in text:
            text = text.replace(secret, _HIDDEN)
    runs = _windows(tuple(sorted(secrets)))
    if not runs or len(text) < WINDOW:
        return text
    low = text.translate(_ASCII_LOWER)
    spans: list[list[int]] = []
    for i in range(len(low) - WINDOW + 1):
        if low[i : i + WINDOW] in runs:
            if spans and i <= spans[-1][1]:
                spans[-1][1] = i + WINDOW
            else:
                spans.append([i, i + WINDOW])
    if not spans:
        return text
    parts, last = [], 0
    for begin, end in spans:
        parts += [text[last:begin], _HIDDEN]
        last = end
    parts.append(text[last:])
    return "".join(parts)


@functools.lru_cache(maxsize=32)
def _word_windows(secrets: tuple[str, ...]) -> frozenset[int]:
    """Every 8-byte run (ASCII case folded) of every UTF-8 spelling of every secret, as a native machine word:
    an 8-character run is at least 8 bytes, so holds one of these."""
    runs: set[int] = set()
    for secret in secrets:
        for spelling in _spellings(secret):
            low = spelling.translate(_ASCII_LOWER).encode("utf-8", "surrogatepass")
            starts = range(len(low) - WINDOW + 1)
            runs.update(int.from_bytes(low[i : i + WINDOW], sys.byteorder) for i in starts)
    return frozenset(runs)


def mentions(body: bytes, secrets: tuple[str, ...]) -> bool:
    """Whether a raw body holds a secret shorter than 15 characters, or any run of 15 or more characters of
    one: a cheap check so that :func:`mask_payload` runs only on the rare reply that quotes credentials.

    The body is read as 8-byte words (every 8th position, in C: about 0.2 ms per 100-job page); a run of
    2 × 8 − 1 = 15 characters always covers one whole word.
    """
    if not secrets:
        return False
    if any(len(s) < 2 * WINDOW - 1 and s.encode("utf-8", "surrogatepass") in body for s in secrets):
        return True
    low = body.lower()  # ASCII only, like the windows
    whole = len(low) // WINDOW * WINDOW
    return not _word_windows(tuple(sorted(secrets))).isdisjoint(memoryview(low)[:whole].cast("Q"))


def mask_payload(value: object, secrets: tuple[str, ...]) -> tuple[object, int]:
    """``value`` (decoded JSON) with :func:`scrub_secrets` applied to every string; how many changed."""
    if isinstance(value, str):
        masked = scrub_secrets(value, secrets)
        return masked, int(masked != value)
    if isinstance(value, list):
        total = 0
        for i, item in enumerate(value):
            value[i], count = mask_payload(item, secrets)
            total += count
        return value, total
    if isinstance(value, dict):
        out, total = {}, 0
        for key, item in value.items():
            new_key, key_count = mask_payload(key, secrets)
            out[new_key], count = mask_payload(item, secrets)
            total += key_count + count
        return out, total
    return value, 0


def scrub(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` without the given secrets (whole or any 8+ character run) and without values of
    credential-shaped fields."""
    text = scrub_secrets(text, secrets)
    text = _HEADER_TEXT.sub(lambda m: m.group(1) + _HIDDEN, text)
    return _KEY_VALUE.sub(lambda m: m.group(1) + _HIDDEN, text)


def excerpt(body: bytes | str, secrets: tuple[str, ...] = (), limit: int = 120) -> str:
    """The start of ``body`` on one printable line, scrubbed, at most ``limit`` characters (+ "…")."""
    head = body[: 16 * limit]
    text = head.decode("utf-8", "replace") if isinstance(head, bytes) else head
    text = scrub(" ".join(text.split()), secrets)
    text = _UNPRINTABLE.sub("?", text)
    return text[:limit] + ("…" if len(text) > limit or len(body) > len(head) else "")
