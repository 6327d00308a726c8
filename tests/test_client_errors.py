"""Error bodies and the mapping from status and error code to the typed exceptions."""

from __future__ import annotations

import json

import pytest

from ddsjobs_analytics.client import (
    AuthError,
    InvalidRequestError,
    NotFoundError,
    ServerError,
    TaskCenterError,
    ThrottledError,
)
from ddsjobs_analytics.client._errors import error_from_response, parse_error_body


@pytest.mark.parametrize(
    "body",
    [
        {"error_code": "DBS.280016", "error_msg": "gone"},
        {"errorCode": "DBS.280016", "errorMsg": "gone"},
        {"code": "DBS.280016", "message": "gone"},
        {"error": {"code": "DBS.280016", "message": "gone"}},
    ],
)
def test_all_body_spellings_are_read(body):
    assert parse_error_body(json.dumps(body).encode()) == ("DBS.280016", "gone")


@pytest.mark.parametrize("raw", [b"", b"<html>502</html>", b"[1, 2]", b'{"other": 1}'])
def test_unreadable_bodies_give_nothing(raw):
    assert parse_error_body(raw) == (None, None)


@pytest.mark.parametrize(
    ("status", "code", "expected", "retryable"),
    [
        (400, "DBS.280016", NotFoundError, False),
        (400, "DBS.200543", NotFoundError, False),
        (404, "APIGW.0101", NotFoundError, False),
        (429, "APIGW.0308", ThrottledError, True),
        (429, "DBS.280443", ThrottledError, True),
        (400, "DBS.200998", ServerError, True),  # "system busy" arrives as a 400
        (500, "DBS.280005", ServerError, True),
        (503, None, ServerError, True),
        (501, None, ServerError, False),
        (401, "APIGW.0301", AuthError, False),
        (403, "DBS.280032", AuthError, False),
        (400, "DBS.280408", InvalidRequestError, False),
        (400, "DBS.280416", InvalidRequestError, False),
        (409, None, InvalidRequestError, False),
    ],
)
def test_error_mapping(status, code, expected, retryable):
    body = json.dumps({"error_code": code, "error_msg": "m"}).encode() if code else b""
    error = error_from_response(status, body, request_id="rid", method="GET", url="https://h/v3/p/jobs?id=1")
    assert type(error) is expected
    assert isinstance(error, TaskCenterError)
    assert error.retryable is retryable
    assert (error.status, error.error_code, error.request_id) == (status, code, "rid")
    assert f"HTTP {status}" in str(error) and "GET https://h/v3/p/jobs?id=1" in str(error)


def test_repr_names_status_code_and_url():
    error = error_from_response(
        429,
        b'{"error_code":"APIGW.0308","error_msg":"over ratelimit"}',
        request_id=None,
        method="GET",
        url="u",
    )
    assert repr(error).startswith("ThrottledError(")
    assert "status=429" in repr(error) and "error_code='APIGW.0308'" in repr(error)
