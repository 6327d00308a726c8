"""Typed errors of the task-center client.

Our exception hierarchy:

* TaskCenterError                 - anything the task center (or the way to it) refused
  + AuthError                     - 401 / 403: bad signature, expired token, missing permission
  + NotFoundError                 - unknown or expired job id (DBS.280016, DBS.200543, HTTP 404)
  + ThrottledError                - 429, APIGW.0308, DBS.280443: too many requests (retried)
  + InvalidRequestError           - any other 4xx: a parameter the service rejected (never retried)
  + ServerError                   - 5xx, DBS.200998 "system busy", DBS.280005 (retried)
  + TransportError                - timeouts, dropped connections and missed deadlines, after the retries
  + ProtocolError                 - a reply that is not the documented JSON shape: HTML, ``[]``, too deep,
                                    too large, endless paging (never retried: the server would say it again)
  + PartialResultError            - a batch in which some items failed; carries the results and failures

* UserWarning
  + PartialResultWarning          - the same, as a warning, when a batch returns what did succeed

Every error carries what is needed to report it (status, error code and message, request id, method,
URL) and never a credential: the URL holds the project and job ids only, headers are not kept, and what
a server sends back (``error_msg``, body excerpts) is scrubbed of the AK, SK, token and password.
A status-200 reply carrying an error body (``{"error_code": "DBS.200998", …}``) is a ``ServerError``,
retried when its code means "busy" or "throttled".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ._redact import scrub

if TYPE_CHECKING:
    import httpx

__all__ = [
    "AuthError",
    "InvalidRequestError",
    "NotFoundError",
    "PartialResultError",
    "PartialResultWarning",
    "ProtocolError",
    "ServerError",
    "TaskCenterError",
    "ThrottledError",
    "TransportError",
    "error_fields",
    "error_from_fields",
    "error_from_httpx",
    "error_from_response",
    "parse_error_body",
]

# Codes the service sends with HTTP 400 that do not mean "your parameters are wrong".
NOT_FOUND_CODES = frozenset({"DBS.280016", "DBS.200543"})
THROTTLED_CODES = frozenset({"APIGW.0308", "DBS.280443"})
BUSY_CODES = frozenset({"DBS.200998", "DBS.280005"})
# 501 Not Implemented will not change on a retry; the other 5xx may.
_NOT_RETRYABLE_5XX = frozenset({501, 505})


class TaskCenterError(Exception):
    """Base class: the task center refused a request, or could not be reached."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str | None = None,
        error_msg: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.error_msg = error_msg
        self.request_id = request_id
        self.method = method
        self.url = url

    def fields(self) -> dict[str, Any]:
        """The keyword arguments that rebuild this error's details (for an error of another class)."""
        return {
            "status": self.status,
            "error_code": self.error_code,
            "error_msg": self.error_msg,
            "request_id": self.request_id,
            "method": self.method,
            "url": self.url,
        }

    def scrub(self, secrets: tuple[str, ...], limit: int = 1000) -> TaskCenterError:
        """Every text this error took from a response (message, code, message, request id), cut to ``limit``
        characters and scrubbed of ``secrets`` and of anything shaped like a credential; returns ``self``."""

        def clean(text: object) -> str:
            text = str(text)
            cut = len(text) > limit
            return scrub(text[:limit], secrets) + ("…" if cut else "")

        self.args = tuple(clean(arg) for arg in self.args) or ("",)
        for name in ("error_code", "error_msg", "request_id"):
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, clean(value))
        return self

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={value!r}"
            for name, value in (
                ("status", self.status),
                ("error_code", self.error_code),
                ("method", self.method),
                ("url", self.url),
            )
            if value is not None
        )
        return f"{type(self).__name__}({str(self)!r}{', ' if fields else ''}{fields})"


class AuthError(TaskCenterError):
    """401 / 403: the signature, token or permissions were rejected."""


class NotFoundError(TaskCenterError):
    """The job id is unknown (or older than the service's one-month horizon)."""


class ThrottledError(TaskCenterError):
    """The gateway or the service throttled the caller (429, APIGW.0308, DBS.280443).

    ``retry_after``: the seconds the server asked for, when it said (and that was too long to wait).
    """

    retryable = True
    retry_after: float | None = None


class InvalidRequestError(TaskCenterError):
    """Any other client error (4xx): a parameter the service rejected."""


class ServerError(TaskCenterError):
    """The service failed or was busy (5xx, DBS.200998, DBS.280005)."""

    retryable = True


class TransportError(TaskCenterError):
    """The request timed out or the connection dropped, and retrying did not help."""

    retryable = True


class ProtocolError(TaskCenterError):
    """The reply is not what the API documents (not JSON, wrong shape, too deep or too large, endless
    paging); the message shows a short excerpt of it, without credentials."""


class PartialResultError(TaskCenterError):
    """Some items of a batch failed; ``results`` holds the rest and ``failures`` maps item to error."""

    def __init__(self, message: str, *, results: list[Any], failures: Mapping[str, TaskCenterError]) -> None:
        super().__init__(message)
        self.results = results
        self.failures = dict(failures)


class PartialResultWarning(UserWarning):
    """Some items of a batch failed and were left out; the result's ``failures`` says which and why."""


def parse_error_body(body: bytes) -> tuple[str | None, str | None]:
    """``(error_code, error_msg)`` from any of the three spellings the SDK accepts; Nones when absent."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return None, None
    return error_fields(payload)


def error_fields(payload: object) -> tuple[str | None, str | None]:
    """``(error_code, error_msg)`` of a decoded body; Nones when it is not an error body."""
    if not isinstance(payload, dict):
        return None, None
    fields: dict[str, Any] = payload
    # Some gateways nest the error one level down: {"error": {"code": ..., "message": ...}}.
    if isinstance(fields.get("error"), dict):
        fields = fields["error"]
    for code_key, msg_key in (("error_code", "error_msg"), ("errorCode", "errorMsg"), ("code", "message")):
        if code_key in fields or msg_key in fields:
            code, msg = fields.get(code_key), fields.get(msg_key)
            return (str(code) if code is not None else None, str(msg) if msg is not None else None)
    return None, None


def error_class(status: int, error_code: str | None) -> type[TaskCenterError]:
    """The error class for an HTTP status and service error code (the code wins where it is specific)."""
    if error_code in NOT_FOUND_CODES or status == 404:
        return NotFoundError
    if error_code in THROTTLED_CODES or status == 429:
        return ThrottledError
    if error_code in BUSY_CODES or status >= 500:
        return ServerError
    if status in (401, 403):
        return AuthError
    return InvalidRequestError


def error_from_fields(
    status: int,
    code: str | None,
    msg: str | None,
    *,
    request_id: str | None,
    method: str,
    url: str,
    cls: type[TaskCenterError] | None = None,
    note: str = "",
) -> TaskCenterError:
    """The typed error for a status and the body's error code and message (``cls`` overrides the class)."""
    cls = cls or error_class(status, code)
    detail = f"{code}: {msg}" if code or msg else "no error body"
    return cls(
        f"{method} {url} -> HTTP {status}{note} ({detail})",
        status=status,
        error_code=code,
        error_msg=msg,
        request_id=request_id,
        method=method,
        url=url,
    )


def error_from_response(
    status: int, body: bytes, *, request_id: str | None, method: str, url: str
) -> TaskCenterError:
    """Build the typed error for a non-2xx response."""
    code, msg = parse_error_body(body)
    error = error_from_fields(status, code, msg, request_id=request_id, method=method, url=url)
    if isinstance(error, ServerError) and status in _NOT_RETRYABLE_5XX and code not in BUSY_CODES:
        error.retryable = False
    return error


def error_from_httpx(response: httpx.Response, *, method: str, url: str) -> TaskCenterError:
    """:func:`error_from_response` for an httpx response: its status, body and ``X-Request-Id``."""
    return error_from_response(
        response.status_code,
        response.content,
        request_id=response.headers.get("X-Request-Id"),
        method=method,
        url=url,
    )
