"""Cross-check: our AK/SK signature equals the one the official SDK's signer computes for the same request."""

from __future__ import annotations

from datetime import datetime, timezone

import httpx
import pytest

from ddsjobs_analytics.client import AkSkAuth

pytestmark = pytest.mark.sdk
signer = pytest.importorskip("huaweicloudsdkcore.signer.signer")
sdk_request = pytest.importorskip("huaweicloudsdkcore.sdk_request")
credentials = pytest.importorskip("huaweicloudsdkcore.auth.credentials")

AK, SK = "HPUAXXXXXXXXXXXXXXXX", "sdk-cross-check-secret-key-0123456789abcd"
DATE = datetime(2026, 11, 29, 6, 0, 0, tzinfo=timezone.utc)


def _ours(method: str, url: str, body: bytes, **auth_options) -> httpx.Request:
    request = httpx.Request(method, url, content=body or None, headers={"User-Agent": "ddsjobs-test"})
    auth = AkSkAuth(AK, SK, now=lambda: DATE, **auth_options)
    return next(auth.sync_auth_flow(request))


def _sdks(ours: httpx.Request, query: list[tuple[str, object]], body: bytes) -> str:
    """The SDK's Authorization for the same method, path, query, headers (minus ours) and body."""
    headers = {name: value for name, value in ours.headers.items() if name.lower() != "authorization"}
    request = sdk_request.SdkRequest(
        method=ours.method,
        schema=ours.url.scheme,
        host=ours.url.netloc.decode(),
        resource_path=ours.url.path,
        query_params=query,
        header_params=headers,
        body=body,
    )
    signed = signer.Signer(credentials.BasicCredentials(AK, SK)).sign(request)
    return signed.header_params["Authorization"]


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "options"),
    [
        (
            "GET",
            "/v3.1/0123456789abcdef0123456789abcdef/jobs",
            [
                ("start_time", "2026-10-30T00:00:00+0000"),
                ("end_time", "2026-11-29T00:00:00+0000"),
                ("offset", "200"),
                ("limit", "100"),
                ("name", "RestoreMongoDB_Replica"),
            ],
            b"",
            {"project_id": "0123456789abcdef0123456789abcdef"},
        ),
        (
            "GET",
            "/v3/p/jobs",
            [("id", "6bd8cd25-7c07-4b5e-9b2b-7f5e1f2d8a9c")],
            b"",
            {"security_token": "sts-temporary-token", "project_id": "p"},
        ),
        ("POST", "/v3/p/some resource", [("q", "一 (&=?!#%.*)")], b'{"name":"test","id":1}', {}),
    ],
)
def test_authorization_matches_the_official_sdk(method, path, query, body, options):
    url = httpx.URL(f"https://dds.cn-north-4.myhuaweicloud.com{path}", params=query)
    ours = _ours(method, str(url), body, **options)
    assert ours.headers["X-Sdk-Date"] == "20261129T060000Z"
    assert ours.headers["Authorization"] == _sdks(ours, list(query), body)


def test_wire_query_matches_the_sdk_uri():
    query = [
        ("start_time", "2026-10-30T00:00:00+0000"),
        ("limit", "100"),
        ("end_time", "2026-11-29T00:00:00+0000"),
    ]
    url = httpx.URL("https://dds.cn-north-4.myhuaweicloud.com/v3.1/p/jobs", params=query)
    ours = _ours("GET", str(url), b"")
    request = sdk_request.SdkRequest(resource_path="/v3.1/p/jobs", query_params=list(query))
    signer.Signer.process_request_uri(request)
    assert ours.url.raw_path.decode() == request.uri


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/v3/p/jobs", [("q", "a b")]),
        ("/v3/p/jobs", [("q", "a+b"), ("t", "2026-10-30T00:00:00+0800")]),
        ("/v3/p/jobs", [("q", "ü€ 漢")]),
        ("/v3/p/jobs", [("k", "2"), ("k", "1"), ("a", "")]),  # repeated keys, an empty value
        ("/v3/p/jobs", [("k", ""), ("e", "")]),
        ("/v3/p/jobs", [("x", "~-_.*'()!&=?#%/")]),
        ("/v3/p%20q/jobs", []),
        ("/v3/p%2Fq/jobs", []),
        ("/v3/%E4%B8%80/jobs", []),
        ("/v3/p:q@r/jobs", []),
        ("/v3/p/jobs/", [("id", "x")]),
    ],
)
def test_odd_queries_and_paths_sign_like_the_sdk(path, query):
    url = httpx.URL(f"https://dds.cn-north-4.myhuaweicloud.com{path}", params=query or None)
    ours = _ours("GET", str(url), b"", project_id="p")
    assert ours.headers["Authorization"] == _sdks(ours, list(query), b"")
