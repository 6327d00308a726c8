"""The signer against the test vectors published in the API reference (shared/dds-task-api.md §6)."""

import hashlib

from ddsjobs_analytics._core._signing import (
    EMPTY_BODY_SHA256,
    authorization_header,
    canonical_query,
    canonical_request,
    canonical_uri,
    parse_authorization,
    sign,
)


def test_docs_example_vector():
    headers = {
        "Content-Type": "application/json",
        "Host": "service.region.example.com",
        "X-Sdk-Date": "20191115T033655Z",
    }
    query = [("limit", "2"), ("marker", "13551d6b-755d-4757-b956-536f674975c0")]
    canonical, names = canonical_request("GET", "/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs", query, headers)
    assert names == ["content-type", "host", "x-sdk-date"]
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "b25362e603ee30f4f25e7858e8a7160fd36e803bb2dfe206278659d71a9bcd7a"
    )
    signature = sign("MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc", canonical, "20191115T033655Z")
    assert signature == "7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"


def _sdk_unit_test(method: str, body: bytes) -> str:
    headers = {
        "Host": "service.endpoint.myhuaweicloud.com",
        "X-Sdk-Date": "20200608T023900Z",
        "TEST_UNDERSCORE": "not signed",
    }
    canonical, names = canonical_request(method, "/resources", [("size", "1")], headers, body)
    assert names == ["host", "x-sdk-date"]
    return sign("SecretKey", canonical, "20200608T023900Z")


def test_sdk_unit_test_vectors_get_and_post():
    assert _sdk_unit_test("GET", b"") == "cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"
    assert _sdk_unit_test("POST", b'{"name":"test","id":1}') == (
        "436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f"
    )


def test_canonical_query_example():
    pairs = [
        ("limit", "1"),
        ("enable", "true"),
        ("test", "一 (&=?!#%.*)"),
        ("path", "/tmp/123"),
        ("multi", "1"),
        ("multi", "2"),
        ("multi", "3"),
    ]
    assert canonical_query(pairs) == (
        "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123"
        "&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
    )


def test_canonical_uri_appends_slash_and_reencodes():
    assert canonical_uri("/v3.1/abc/jobs") == "/v3.1/abc/jobs/"
    assert canonical_uri("/v3/abc/jobs/") == "/v3/abc/jobs/"
    assert canonical_uri("/a%20b/c:d") == "/a%20b/c%3Ad/"


def test_time_offset_plus_is_encoded_in_query():
    assert (
        canonical_query([("start_time", "2026-11-01T00:00:00+0800")])
        == "start_time=2026-11-01T00%3A00%3A00%2B0800"
    )


def test_empty_body_hash_constant():
    assert EMPTY_BODY_SHA256 == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_authorization_header_round_trip():
    value = authorization_header("AK123", ["content-type", "host"], "abcd")
    parsed = parse_authorization(value)
    assert parsed is not None
    assert (parsed.access_key, parsed.signed_headers, parsed.signature) == (
        "AK123",
        ["content-type", "host"],
        "abcd",
    )
    assert parse_authorization("Bearer xyz") is None
    assert parse_authorization("SDK-HMAC-SHA256 Access=AK") is None
