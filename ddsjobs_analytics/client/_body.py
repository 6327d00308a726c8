"""Reading a reply: the body within its size cap, JSON within reason, and the documented shapes.

Whatever a server sends with status 200 is checked before it can mean "no jobs": an error body is a
``ServerError`` (retried when it says "busy"), anything not of the documented shape a ``ProtocolError``
with a short scrubbed excerpt. Strings with lone surrogates (``"x\\ud800"``, valid JSON but not encodable
text) are repaired to U+FFFD and logged, so one such field cannot fail a whole batch downstream.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import httpx

from ._errors import (
    BUSY_CODES,
    THROTTLED_CODES,
    ProtocolError,
    ServerError,
    TaskCenterError,
    error_fields,
    error_from_fields,
)
from ._redact import excerpt
from ._stream import BodyTooLarge

__all__ = ["decode_json", "error_in_payload", "job_of", "jobs_of", "read_capped"]

logger = logging.getLogger("ddsjobs_analytics.client")

_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# Keys that make a 200 body one of ours; an error body never has them.
_PAYLOAD_KEYS = ("job", "jobs")


async def read_capped(response: httpx.Response, cap: int) -> bytes:
    """The (decoded) body, refusing to read past ``cap`` bytes (``cap_response`` stops earlier still: at a
    declared length over the cap, and within a decompression step)."""
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            raise BodyTooLarge(size, f"{response.request.method} {response.request.url}")
        chunks.append(chunk)
    return b"".join(chunks)


def decode_json(body: bytes, *, where: str, secrets: tuple[str, ...]) -> Any:
    """The decoded JSON of ``body``; ProtocolError (with an excerpt) if it is not JSON or nests too deep."""
    # The error is raised outside the ``except``: the decoder's exception (its ``doc`` is the whole body)
    # must not travel along as ``__context__``.
    problem = None
    try:
        payload = json.loads(body, parse_constant=_not_json)
    except RecursionError:
        problem = "JSON nested too deeply to read"
    except ValueError:
        problem = f"a body that is not JSON: {excerpt(body, secrets)!r}"
    if problem is not None:
        error = ProtocolError(f"{where} returned {problem}", url=where)
        error.__suppress_context__ = True
        raise error
    if _SURROGATE_ESCAPE.search(body):
        try:
            payload, repaired = _repair(payload)
        except RecursionError:
            raise ProtocolError(f"{where} returned JSON nested too deeply to read", url=where) from None
        if repaired:
            logger.warning(
                "%s: %d string(s) with lone UTF-16 surrogates (not valid text) replaced by U+FFFD",
                where,
                repaired,
            )
    return payload


def _not_json(constant: str) -> Any:
    """``NaN`` and ``Infinity`` are Python's extension, not JSON: refused like any other non-JSON."""
    raise ValueError(f"{constant} is not JSON")


def _repair(value: Any) -> tuple[Any, int]:
    """``value`` with lone surrogates in its strings (keys too) replaced by U+FFFD; how many strings."""
    if isinstance(value, str):
        fixed, count = _LONE_SURROGATE.subn("\ufffd", value)
        return fixed, int(count > 0)
    if isinstance(value, list):
        total = 0
        for i, item in enumerate(value):
            value[i], count = _repair(item)
            total += count
        return value, total
    if isinstance(value, dict):
        total, out = 0, {}
        for key, item in value.items():
            new_key, key_count = _repair(key)
            out[new_key], count = _repair(item)
            total += key_count + count
        return out, total
    return value, 0


def error_in_payload(
    payload: Any, *, status: int, method: str, url: str, request_id: str | None
) -> TaskCenterError | None:
    """The error a 2xx body carries (``{"error_code": "DBS.200998", …}``), or None for a non-error body."""
    if isinstance(payload, dict) and any(key in payload for key in _PAYLOAD_KEYS):
        return None
    code, msg = error_fields(payload)
    if code is None and msg is None:
        return None
    error = error_from_fields(
        status,
        code,
        msg,
        request_id=request_id,
        method=method,
        url=url,
        cls=ServerError,
        note=" with an error body",
    )
    error.retryable = code in BUSY_CODES or code in THROTTLED_CODES
    return error


def _shape_error(what: str, payload: Any, url: str, secrets: tuple[str, ...]) -> ProtocolError:
    sample = excerpt(json.dumps(payload, ensure_ascii=False, default=str), secrets)
    return ProtocolError(f"GET {url} returned {what}: {sample!r}", method="GET", url=url)


def job_of(payload: Any, *, url: str, secrets: tuple[str, ...]) -> dict[str, Any] | None:
    """ShowJobDetail's job; None for an explicitly empty answer (``{"job": {}}`` or null)."""
    if not isinstance(payload, dict) or "job" not in payload:
        raise _shape_error('no "job" object', payload, url, secrets)
    job = payload["job"]
    if job is None or job == {}:
        return None
    if not isinstance(job, dict) or not isinstance(job.get("id"), str):
        raise _shape_error('a "job" that is not a job with an id', payload, url, secrets)
    return job


def jobs_of(payload: Any, *, url: str, secrets: tuple[str, ...]) -> tuple[list[dict[str, Any]], int | None]:
    """ListTasks' page of jobs and its ``total_count`` (None when absent)."""
    if isinstance(payload, dict) and "jobs" not in payload and payload.get("total_count") == 0:
        return [], 0  # an empty listing may leave out the empty list
    if not isinstance(payload, dict) or not isinstance(payload.get("jobs"), list):
        raise _shape_error('no "jobs" list', payload, url, secrets)
    jobs = payload["jobs"]
    if not all(isinstance(job, dict) and isinstance(job.get("id"), str) for job in jobs):
        raise _shape_error('a "jobs" list that is not a list of jobs with ids', payload, url, secrets)
    total = payload.get("total_count")
    return jobs, total if isinstance(total, int) and not isinstance(total, bool) else None
