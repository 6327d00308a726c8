"""AK/SK signing, token and password auth of the client, on httpx.MockTransport (no sockets)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from datetime import datetime, timezone
from urllib.parse import quote, unquote, unquote_plus

import httpx
import pytest

from ddsjobs_analytics.client import AkSkAuth, AuthError, PasswordAuth, TaskCenter, TokenAuth

AK, SK = "QTWAOYTTINDUT2QVKYUC", "MFyfvK41ba2giqM7Uio6PznpdUKGpownRZlmVmHc"
FIXED = datetime(2019, 11, 15, 3, 36, 55, tzinfo=timezone.utc)


def _independent_signature(request: httpx.Request, sk: str) -> tuple[str, str]:
    """Recompute (signed headers, signature) from the request as it would be received, with hashlib only."""
    auth = request.headers["Authorization"]
    names = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    raw_path, _, raw_query = request.url.raw_path.decode().partition("?")
    segments = [quote(unquote(part), safe="~") for part in raw_path.split("/")]
    # Servers decode a raw "+" in a query as a space.
    uri = "/".join(segments)
    uri += "" if uri.endswith("/") else "/"
    pairs = sorted(
        (quote(unquote_plus(k), safe="~"), quote(unquote_plus(v), safe="~"))
        for k, _, v in (part.partition("=") for part in raw_query.split("&") if part)
    )
    canonical = "\n".join(
        [
            request.method,
            uri,
            "&".join(f"{k}={v}" for k, v in pairs),
            "".join(f"{name}:{request.headers[name].strip()}\n" for name in names),
            ";".join(names),
            hashlib.sha256(request.content).hexdigest(),
        ]
    )
    to_sign = (
        f"SDK-HMAC-SHA256\n{request.headers['X-Sdk-Date']}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    )
    return ";".join(names), hmac.new(sk.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


def _signed(auth: AkSkAuth, request: httpx.Request) -> httpx.Request:
    flow = auth.sync_auth_flow(request)
    return next(flow)


def test_docs_vector_reproduced_through_the_auth_flow():
    # The reference's documented example: same headers, date and query → the published signature.
    request = httpx.Request(
        "GET",
        "https://service.region.example.com/v1/77b6a44cba5143ab91d13ab9a8ff44fd/vpcs"
        "?limit=2&marker=13551d6b-755d-4757-b956-536f674975c0",
        headers={"Content-Type": "application/json", "X-Sdk-Date": "20191115T033655Z"},
    )
    del request.headers["Host"]  # the flow must add it back itself
    signed = _signed(AkSkAuth(AK, SK), request)
    assert signed.headers["Host"] == "service.region.example.com"
    assert signed.headers["Authorization"] == (
        "SDK-HMAC-SHA256 Access=QTWAOYTTINDUT2QVKYUC, SignedHeaders=content-type;host;x-sdk-date, "
        "Signature=7be6668032f70418fcc22abc52071e57aff61b84a1d2381bb430d6870f4f6ebe"
    )


def test_wire_query_is_the_canonical_one_and_signature_verifies():
    request = httpx.Request(
        "GET",
        "http://127.0.0.1:8080/v3.1/p1/jobs",
        params={"start_time": "2026-11-01T00:00:00+0000", "limit": "100", "name": "a b"},
    )
    signed = _signed(AkSkAuth("AKID", "secret", project_id="p1", now=lambda: FIXED), request)
    # "+" and ":" percent-encoded, space as %20, pairs sorted: byte for byte what was signed.
    assert signed.url.query == b"limit=100&name=a%20b&start_time=2026-11-01T00%3A00%3A00%2B0000"
    names, signature = _independent_signature(signed, "secret")
    assert names == "content-type;host;x-project-id;x-sdk-date"
    assert signed.headers["Authorization"].endswith(f"Signature={signature}")
    assert signed.headers["X-Sdk-Date"] == "20191115T033655Z"
    assert signed.headers["Content-Type"] == "application/json"


def test_security_token_and_project_are_signed_underscores_and_hop_by_hop_are_not():
    request = httpx.Request(
        "POST",
        "http://127.0.0.1/v1/resources",
        content=b'{"name":"test","id":1}',
        headers={"TEST_UNDERSCORE": "x", "Connection": "keep-alive"},
    )
    signed = _signed(AkSkAuth("AKID", "secret", security_token="stsTOKEN", project_id="p9"), request)
    names, signature = _independent_signature(signed, "secret")
    assert names.split(";") == sorted(names.split(";"))
    assert {"x-security-token", "x-project-id", "content-length"} <= set(names.split(";"))
    assert "test_underscore" not in names and "connection" not in names
    assert signed.headers["X-Security-Token"] == "stsTOKEN"
    assert signed.headers["Authorization"].endswith(signature)


def test_wrong_secret_gives_a_different_signature():
    request = httpx.Request("GET", "http://127.0.0.1/v3/p/jobs?id=1")
    signed = _signed(AkSkAuth("AKID", "right", now=lambda: FIXED), request)
    assert not signed.headers["Authorization"].endswith(_independent_signature(signed, "wrong")[1])


def test_token_auth_sets_header():
    request = httpx.Request("GET", "http://127.0.0.1/v3/p/jobs?id=1")
    sent = next(TokenAuth("tok-123").sync_auth_flow(request))
    assert sent.headers["X-Auth-Token"] == "tok-123"


class FakeIam:
    """An IAM plus an API that accepts only the token IAM issued last, counting token requests."""

    def __init__(
        self, *, expires_at: str | None = "2099-01-01T00:00:00.000000Z", password: str = "pw"
    ) -> None:
        self.expires_at = expires_at
        self.password = password
        self.issued: list[str] = []
        self.bodies: list[dict] = []
        self.accept = True

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v3/auth/tokens":
            body = json.loads(request.content)
            self.bodies.append(body)
            if body["auth"]["identity"]["password"]["user"]["password"] != self.password:
                return httpx.Response(401, json={"error": {"code": 401, "message": "wrong password"}})
            token = f"token-{len(self.issued)}"
            self.issued.append(token)
            return httpx.Response(
                201, headers={"X-Subject-Token": token}, json={"token": {"expires_at": self.expires_at}}
            )
        if self.accept and self.issued and request.headers.get("X-Auth-Token") == self.issued[-1]:
            return httpx.Response(200, json={"job": {"id": request.url.params["id"]}})
        return httpx.Response(401, json={"error_code": "DBS.280056", "error_msg": "Invalid token."})


def _password_auth(**kwargs) -> PasswordAuth:
    return PasswordAuth(
        "alice", kwargs.pop("password", "pw"), "acme", iam_endpoint="http://127.0.0.1:1", **kwargs
    )


def test_password_auth_one_token_for_many_concurrent_requests_async():
    iam = FakeIam()
    auth = _password_auth(project_id="p1")

    async def main() -> list[int]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(iam), auth=auth) as client:
            responses = await asyncio.gather(
                *(client.get(f"http://127.0.0.1:1/v3/p1/jobs?id={i}") for i in range(20))
            )
        return [response.status_code for response in responses]

    assert asyncio.run(main()) == [200] * 20
    assert len(iam.issued) == 1
    scope = iam.bodies[0]["auth"]["scope"]["project"]
    assert scope == {"id": "p1"}


def test_password_auth_sync_client_renews_once_on_401():
    iam = FakeIam()
    auth = _password_auth(project_name="cn-north-4")
    with httpx.Client(transport=httpx.MockTransport(iam), auth=auth) as client:
        assert client.get("http://127.0.0.1:1/v3/p/jobs?id=1").status_code == 200
        iam.issued.append("revoked-elsewhere")  # the cached token stops being accepted
        assert client.get("http://127.0.0.1:1/v3/p/jobs?id=2").status_code == 200  # renewed, then accepted
        assert len(iam.issued) == 3  # one renewal
        iam.accept = False  # every token refused: one renewal, then the 401 is the answer
        assert client.get("http://127.0.0.1:1/v3/p/jobs?id=3").status_code == 401
        assert len(iam.issued) == 4
    assert iam.bodies[0]["auth"]["scope"]["project"] == {"name": "cn-north-4"}


def test_password_auth_renews_an_hour_before_expiry():
    now = [1_000_000.0]
    iam = FakeIam(expires_at=datetime.fromtimestamp(now[0] + 24 * 3600, timezone.utc).isoformat())
    auth = _password_auth(project_id="p1", clock=lambda: now[0])
    with httpx.Client(transport=httpx.MockTransport(iam), auth=auth) as client:
        client.get("http://127.0.0.1:1/v3/p1/jobs?id=1")
        now[0] += 22 * 3600  # 2 h left: still used
        client.get("http://127.0.0.1:1/v3/p1/jobs?id=2")
        assert len(iam.issued) == 1
        now[0] += 1.5 * 3600  # 30 min left: inside the renewal margin
        client.get("http://127.0.0.1:1/v3/p1/jobs?id=3")
        assert len(iam.issued) == 2


def test_wrong_password_is_an_auth_error_without_the_password(caplog):
    secret = "hunter2-very-secret"
    iam = FakeIam(password="other")
    caplog.set_level(logging.DEBUG)
    tc = TaskCenter(
        endpoint="http://127.0.0.1:1",
        project_id="p1",
        auth=_password_auth(password=secret),
        transport=httpx.MockTransport(iam),
        progress=False,
    )
    with tc, pytest.raises(AuthError) as caught:
        tc.get_job("job-1")
    assert caught.value.status == 401
    assert len(iam.bodies) == 1  # a refused password is not retried
    for text in (str(caught.value), repr(caught.value), repr(tc), caplog.text):
        assert secret not in text


def test_reprs_hide_secrets():
    texts = [
        repr(AkSkAuth("AKIDLONGVALUE", "the-secret-key", security_token="the-sts-token")),
        repr(TokenAuth("the-token")),
        repr(_password_auth(password="the-password")),
    ]
    for text in texts:
        for secret in ("the-secret-key", "the-sts-token", "the-token", "the-password"):
            assert secret not in text
    assert "AKIDLONGVALUE" not in texts[0]  # even the AK is shortened


@pytest.mark.parametrize(
    "make",
    [
        lambda v: TokenAuth(v),
        lambda v: AkSkAuth("AK", "SK", security_token=v),
        lambda v: AkSkAuth(v, "SK"),
    ],
    ids=["token", "security_token", "ak"],
)
@pytest.mark.parametrize(
    "value", ["the-secret\r\nX-Injected: 1", "the-secret\tx", "the-secr\u00e9t", "the secret"]
)
def test_header_credentials_that_cannot_be_sent_are_refused_without_echo(make, value):
    # httpx/h11 would refuse them mid-request with errors (and DEBUG log lines) that quote the value.
    with pytest.raises(ValueError, match="cannot be sent in a header") as caught:
        make(value)
    assert "the-secr" not in str(caught.value) and "the-secr" not in repr(caught.value.args)


def test_surrounding_whitespace_of_header_credentials_is_dropped():
    # A token read from a file ends with a newline; no header can carry it, and no token has one.
    request = httpx.Request("GET", "http://127.0.0.1:1/v3/p/jobs?id=1")
    assert next(TokenAuth("tok-1\n").sync_auth_flow(request)).headers["X-Auth-Token"] == "tok-1"
    signed = _signed(AkSkAuth(AK, SK, security_token=" sts-1\n", now=lambda: FIXED), request)
    assert signed.headers["X-Security-Token"] == "sts-1"
    assert _independent_signature(signed, SK)[1] in signed.headers["Authorization"]


def test_missing_credentials_are_rejected():
    with pytest.raises(ValueError, match="secret key"):
        AkSkAuth("AK", "")
    with pytest.raises(ValueError, match="token"):
        TokenAuth("")
    with pytest.raises(ValueError, match="HTTPS"):
        PasswordAuth("u", "p", "d", iam_endpoint="http://iam.example.com")


def test_iam_endpoint_from_the_sdk_variable(monkeypatch):
    monkeypatch.setenv("HUAWEICLOUD_SDK_IAM_ENDPOINT", "http://127.0.0.1:8443/")
    assert PasswordAuth("u", "p", "d").iam_endpoint == "http://127.0.0.1:8443"
    monkeypatch.delenv("HUAWEICLOUD_SDK_IAM_ENDPOINT")
    assert PasswordAuth("u", "p", "d").iam_endpoint == "https://iam.myhuaweicloud.com"


def test_redaction_of_credential_headers_in_log_text():
    from ddsjobs_analytics.client._redact import redact

    line = (
        "receive_response_headers.complete return_value=(b'HTTP/1.1', 201, b'Created', "
        "[(b'X-Subject-Token', b'MIIsecret'), (b'x-auth-token', b\"MIIsecret2\"), (b'X-Request-Id', b'42')])"
    )
    assert redact(line) == line.replace("MIIsecret2", "<hidden>").replace(
        'b"<hidden>"', "b'<hidden>'"
    ).replace("MIIsecret", "<hidden>")
    failed = (
        """send_request_headers.failed exception=LocalProtocolError("Illegal header value b'tok\\\\n'")"""
    )
    assert "tok" not in redact(failed) and "Illegal header value <hidden>" in redact(failed)
