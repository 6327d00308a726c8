"""Gateway-side authentication: AK/SK signature verification, tokens, and a minimal IAM password login."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .._core import _signing
from . import _errors

__all__ = ["Credentials", "TokenStore", "verify_signature"]

# The API gateway rejects a request whose X-Sdk-Date is further than this from its clock.
MAX_CLOCK_SKEW_S = 15 * 60
TOKEN_LIFETIME_S = 24 * 3600


@dataclass(frozen=True)
class Credentials:
    """What the simulator accepts: one AK/SK pair and one IAM user. ``repr`` shows no secret."""

    ak: str
    sk: str
    user: str
    password: str
    domain: str

    @classmethod
    def generate(cls, ak: str | None = None, sk: str | None = None) -> Credentials:
        return cls(
            ak=ak or secrets.token_hex(10).upper(),
            sk=sk or secrets.token_urlsafe(30),
            user="ddsjobs-tester",
            password=secrets.token_urlsafe(12),
            domain="ddsjobs-domain",
        )

    def __repr__(self) -> str:
        return f"Credentials(ak={self.ak!r}, user={self.user!r}, domain={self.domain!r})"


def verify_signature(
    *,
    method: str,
    path: str,
    query: Sequence[tuple[str, str]],
    header: Callable[[str], str | None],
    body: bytes,
    credentials: Credentials,
    wall_now: datetime,
) -> None:
    """Recompute the SDK-HMAC-SHA256 signature from the request as received; raise ``APIGW.0301`` if wrong.

    The date is checked against ``wall_now`` (the gateway's clock), not the simulated job clock, so
    :meth:`advance` never invalidates a client's signatures.
    """
    signed = _signing.parse_authorization(header("Authorization") or "")
    if signed is None:
        raise _errors.bad_signature("the Authorization header is missing or not SDK-HMAC-SHA256.")
    if not hmac.compare_digest(signed.access_key, credentials.ak):
        raise _errors.bad_signature("unknown access key.")
    date = header("X-Sdk-Date") or ""
    try:
        signed_at = datetime.strptime(date, _signing.SDK_DATE_FORMAT).replace(tzinfo=timezone.utc)
    except ValueError:
        raise _errors.bad_signature("X-Sdk-Date is missing or malformed.") from None
    if abs((wall_now - signed_at).total_seconds()) > MAX_CLOCK_SKEW_S:
        raise _errors.bad_signature("the request has expired: X-Sdk-Date is more than 15 minutes off.")
    headers: dict[str, str] = {}
    for name in signed.signed_headers:
        value = header(name)
        if value is None:
            raise _errors.bad_signature(f"signed header {name!r} is missing.")
        headers[name] = value
    canonical, _ = _signing.canonical_request(method, path, query, headers, body)
    expected = _signing.sign(credentials.sk, canonical, date)
    if not hmac.compare_digest(expected, signed.signature):
        raise _errors.bad_signature("verify aksk signature fail.")


class TokenStore:
    """Tokens issued by the simulated IAM, each scoped to one project, expiring on the simulated clock."""

    def __init__(self) -> None:
        self._tokens: dict[str, tuple[str, float | None]] = {}

    def issue(self, project_id: str, expires_at: float | None) -> str:
        # Real tokens are long opaque strings starting "MII"; only the length and opacity matter here.
        token = "MII" + secrets.token_urlsafe(96)
        self._tokens[token] = (project_id, expires_at)
        return token

    def check(self, token: str, project_id: str, now: float) -> None:
        """Raise ``DBS.280056`` for an unknown or expired token, ``DBS.280408`` for another project's."""
        entry = self._tokens.get(token)
        if entry is None or (entry[1] is not None and now >= entry[1]):
            raise _errors.invalid_token()
        if entry[0] != project_id:
            raise _errors.invalid_project(project_id)


def iam_login(
    body: Mapping[str, Any], credentials: Credentials, project_ids: Mapping[str, str]
) -> tuple[str, str] | None:
    """``(project_id, region)`` of a valid password-method token request, else None."""
    try:
        identity = body["auth"]["identity"]
        user = identity["password"]["user"]
        ok = (
            "password" in identity["methods"]
            and hmac.compare_digest(str(user["name"]), credentials.user)
            and hmac.compare_digest(str(user["password"]), credentials.password)
            and hmac.compare_digest(str(user["domain"]["name"]), credentials.domain)
        )
        project = body["auth"]["scope"]["project"]
    except (KeyError, TypeError):
        return None
    if not ok or not isinstance(project, Mapping):
        return None
    for region, project_id in project_ids.items():
        if project.get("id") == project_id or project.get("name") == region:
            return project_id, region
    return None


def iam_token_body(
    *, credentials: Credentials, project_id: str, region: str, issued_at: datetime, expires_at: datetime
) -> dict[str, Any]:
    def iso(moment: datetime) -> str:
        return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    domain = {"name": credentials.domain, "id": "0" * 32}
    return {
        "token": {
            "methods": ["password"],
            "issued_at": iso(issued_at),
            "expires_at": iso(expires_at),
            "user": {"name": credentials.user, "id": "1" * 32, "domain": domain},
            "project": {"id": project_id, "name": region, "domain": domain},
            "catalog": [],
        }
    }
