"""Authentication for the task center, as ``httpx.Auth`` flows usable by ``httpx.Client`` and ``AsyncClient``.

* ``AkSkAuth``: the API Gateway signature ``SDK-HMAC-SHA256`` exactly as the official SDK computes it.
* ``TokenAuth``: a ready IAM token in ``X-Auth-Token``.
* ``PasswordAuth``: user/password exchanged at IAM for a token (24 h), cached and renewed before it expires.

No repr, log line or exception ever shows an SK, a token or a password.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Generator
from datetime import datetime, timezone
from urllib.parse import unquote_plus

import httpx

from .._core import _signing
from ._errors import AuthError, ProtocolError, error_from_httpx
from ._redact import auth_secrets
from ._regions import check_endpoint
from ._stream import BodyTooLarge, cap_response

__all__ = ["AkSkAuth", "PasswordAuth", "TokenAuth", "auth_for_project", "canonical_wire_query"]

# Hop-by-hop headers (RFC 9110 §7.6.1) may be rewritten by any proxy on the way, so they are never signed.
# The SDK signs only the headers it sets itself; these are the only ones httpx adds that the SDK would not.
_UNSIGNED_HEADERS = frozenset({"connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade"})
_IAM_TOKEN_LIFETIME_S = 24 * 3600.0
DEFAULT_IAM_ENDPOINT = "https://iam.myhuaweicloud.com"
# A token reply is a few kB (tens with the service catalogue); the client's own cap applies when smaller.
IAM_MAX_RESPONSE_BYTES = 8 * 1024 * 1024


def _mask(value: str | None) -> str | None:
    """``AKID…`` for identifiers worth recognising in a repr; secrets are never passed here."""
    if value is None:
        return None
    return value[:4] + "…" if len(value) > 4 else "…"


def _header_value(value: str, what: str) -> str:
    """``value`` stripped of surrounding whitespace, checked to be sendable as an HTTP header value.

    A token read from a file often ends with a newline, which no HTTP library will send; the errors they
    raise (and log at DEBUG) quote the value, so it is refused here, without echoing it.
    """
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a string, got {type(value).__name__}")
    cleaned = value.strip()
    if not cleaned:
        raise ValueError(f"{what} is empty")
    if not all("\x21" <= char <= "\x7e" for char in cleaned):
        raise ValueError(
            f"{what} contains spaces, control or non-ASCII characters and cannot be sent in a header "
            "(its value is not shown)"
        )
    return cleaned


def _query_pairs(raw_query: bytes) -> list[tuple[str, str]]:
    # A raw "+" is a space, as servers decode queries (and as httpx encodes ``params``); a real plus
    # arrives as %2B, which is why the API reference insists on %2B for the offsets' "+".
    pairs = []
    for part in raw_query.decode("ascii").split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((unquote_plus(name), unquote_plus(value)))
    return pairs


def canonical_wire_query(pairs: list[tuple[str, str]]) -> bytes:
    """The query exactly as it is signed (sorted, RFC 3986-encoded), to be sent as is on the wire."""
    return _signing.canonical_query(pairs).encode("ascii")


class AkSkAuth(httpx.Auth):
    """Sign every request with an access key / secret key pair (optionally temporary, with a security token).

    The query is re-sent in its canonical encoding (``+`` → ``%2B``, pairs sorted) so what the gateway
    receives is byte for byte what was signed.
    """

    requires_request_body = True

    def __init__(
        self,
        ak: str,
        sk: str,
        security_token: str | None = None,
        project_id: str | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if not ak or not sk:
            raise ValueError("AkSkAuth needs both an access key (ak) and a secret key (sk)")
        self.ak = _header_value(ak, "the access key (ak)")
        self._sk = sk
        self._security_token = _header_value(security_token, "the security token") if security_token else None
        self.project_id = project_id
        self._now = now

    def __repr__(self) -> str:
        temporary = ", temporary=True" if self._security_token else ""
        return f"AkSkAuth(ak={_mask(self.ak)!r}, project_id={self.project_id!r}{temporary})"

    def for_project(self, project_id: str) -> AkSkAuth:
        """A copy that sends (and signs) ``X-Project-Id: project_id``."""
        return AkSkAuth(self.ak, self._sk, self._security_token, project_id, now=self._now)

    def sign(self, request: httpx.Request) -> None:
        """Add ``X-Sdk-Date``, ``X-Project-Id``, ``X-Security-Token`` and ``Authorization`` in place."""
        headers = request.headers
        headers.setdefault("Content-Type", "application/json")
        if self.project_id:
            headers["X-Project-Id"] = self.project_id
        if self._security_token:
            headers["X-Security-Token"] = self._security_token
        if "X-Sdk-Date" not in headers:
            headers["X-Sdk-Date"] = _signing.sdk_date(self._now() if self._now else None)
        if "Host" not in headers:
            headers["Host"] = request.url.netloc.decode("ascii")
        pairs = _query_pairs(request.url.query)
        wire_query = canonical_wire_query(pairs)
        if wire_query != request.url.query:  # our own client already sends the canonical form
            request.url = request.url.copy_with(query=wire_query or None)
        signed = {name: value for name, value in headers.items() if name.lower() not in _UNSIGNED_HEADERS}
        canonical, names = _signing.canonical_request(
            request.method, request.url.path, pairs, signed, request.content
        )
        signature = _signing.sign(self._sk, canonical, headers["X-Sdk-Date"])
        headers["Authorization"] = _signing.authorization_header(self.ak, names, signature)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request)
        yield request


class TokenAuth(httpx.Auth):
    """Send a ready IAM token as ``X-Auth-Token`` (the caller renews it)."""

    def __init__(self, token: str) -> None:
        if not token:
            raise ValueError("TokenAuth needs a non-empty token")
        self._token = _header_value(token, "the token")

    def __repr__(self) -> str:
        return "TokenAuth(token=<hidden>)"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["X-Auth-Token"] = self._token
        yield request


def _parse_expiry(value: object, fallback: float) -> float:
    """Epoch seconds of IAM's ``expires_at`` (``2026-11-30T05:50:00.000000Z``); the fallback if unreadable."""
    if not isinstance(value, str):
        return fallback
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return fallback
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


class PasswordAuth(httpx.Auth):
    """Get an IAM token with user name and password, cache it, renew it early and once on a 401.

    The token request goes through the same client (and transport) as the API calls, so it honours the
    client's timeouts; concurrent requests share one token request.
    """

    def __init__(
        self,
        user: str,
        password: str,
        domain: str,
        *,
        project_id: str | None = None,
        project_name: str | None = None,
        iam_endpoint: str | None = None,
        renew_before_s: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not user or not password or not domain:
            raise ValueError("PasswordAuth needs user, password and domain (the account name)")
        self.user = user
        self._password = password
        self.domain = domain
        self.project_id = project_id
        self.project_name = project_name
        # Like the SDK: argument, then HUAWEICLOUD_SDK_IAM_ENDPOINT, then the global IAM endpoint.
        self.iam_endpoint = check_endpoint(
            iam_endpoint or os.environ.get("HUAWEICLOUD_SDK_IAM_ENDPOINT") or DEFAULT_IAM_ENDPOINT
        )
        self.renew_before_s = renew_before_s
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._state_lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        scope = self.project_id or self.project_name
        return (
            f"PasswordAuth(user={self.user!r}, domain={self.domain!r}, project={scope!r}, password=<hidden>)"
        )

    def scoped(self, project_id: str) -> PasswordAuth:
        """A copy scoped to ``project_id`` with its own token cache (a token is valid for one project)."""
        return PasswordAuth(
            self.user,
            self._password,
            self.domain,
            project_id=project_id,
            iam_endpoint=self.iam_endpoint,
            renew_before_s=self.renew_before_s,
            clock=self._clock,
        )

    # --- token cache -------------------------------------------------------------------------------------
    def _valid_token(self) -> str | None:
        with self._state_lock:
            if self._token and self._clock() < self._expires_at - self.renew_before_s:
                return self._token
            return None

    def _invalidate(self, token: str) -> None:
        with self._state_lock:
            if self._token == token:
                self._token = None

    def _final(self, response: httpx.Response, token: str, attempt: int) -> bool:
        """Whether ``response`` stands; a first 401 drops ``token`` so the next attempt logs in afresh."""
        if response.status_code != 401 or attempt == 1:
            return True
        self._invalidate(token)
        return False

    def _token_request(self, like: httpx.Request) -> httpx.Request:
        if self.project_id:
            project: dict[str, object] = {"id": self.project_id}
        elif self.project_name:
            project = {"name": self.project_name}
        else:
            raise ValueError("PasswordAuth needs project_id or project_name to scope its token")
        body = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {
                        "user": {
                            "name": self.user,
                            "password": self._password,
                            "domain": {"name": self.domain},
                        }
                    },
                },
                "scope": {"project": project},
            }
        }
        request = httpx.Request("POST", f"{self.iam_endpoint}/v3/auth/tokens", json=body)
        if "timeout" in like.extensions:
            request.extensions["timeout"] = like.extensions["timeout"]
        return request

    @staticmethod
    def _capped(response: httpx.Response) -> None:
        """Prepare IAM's reply to be read within ``IAM_MAX_RESPONSE_BYTES`` (decompressed)."""
        try:
            cap_response(response, IAM_MAX_RESPONSE_BYTES)
        except BodyTooLarge as too_large:
            raise _too_large(response, too_large) from None

    def _accept(self, response: httpx.Response) -> str:
        """Store the token of an IAM response, or raise the typed error (with no password or token in it)."""
        url = str(response.request.url)
        if response.status_code >= 400:
            raise error_from_httpx(response, method="POST", url=url).scrub(auth_secrets(self))
        token = response.headers.get("X-Subject-Token")
        if not token:
            raise AuthError("IAM answered without an X-Subject-Token header", method="POST", url=url)
        fallback = self._clock() + _IAM_TOKEN_LIFETIME_S
        try:
            expires = response.json().get("token", {}).get("expires_at")
        except (ValueError, AttributeError):
            expires = None
        with self._state_lock:
            self._token = token
            self._expires_at = _parse_expiry(expires, fallback)
        return token

    def _async_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        with self._state_lock:
            lock = self._async_locks.get(loop)
            if lock is None:
                lock = self._async_locks[loop] = asyncio.Lock()
            return lock

    # --- flows -------------------------------------------------------------------------------------------
    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        for attempt in range(2):
            token = self._valid_token()
            if token is None:
                with self._sync_lock:
                    token = self._valid_token()
                    if token is None:
                        iam_response = yield self._token_request(request)
                        self._capped(iam_response)
                        try:
                            iam_response.read()
                        except BodyTooLarge as too_large:
                            raise _too_large(iam_response, too_large) from None
                        token = self._accept(iam_response)
            request.headers["X-Auth-Token"] = token
            response = yield request
            if self._final(response, token, attempt):
                return

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        for attempt in range(2):
            token = self._valid_token()
            if token is None:
                async with self._async_lock():
                    token = self._valid_token()
                    if token is None:
                        iam_response = yield self._token_request(request)
                        self._capped(iam_response)
                        try:
                            await iam_response.aread()
                        except BodyTooLarge as too_large:
                            raise _too_large(iam_response, too_large) from None
                        token = self._accept(iam_response)
            request.headers["X-Auth-Token"] = token
            response = yield request
            if self._final(response, token, attempt):
                return


def _too_large(response: httpx.Response, too_large: BodyTooLarge) -> ProtocolError:
    url = str(response.request.url)
    return ProtocolError(
        f"POST {url} (IAM) returned a body over the size cap (at least {too_large.size} bytes); reading "
        "stopped there",
        status=response.status_code,
        method="POST",
        url=url,
    )


def auth_for_project(auth: httpx.Auth, project_id: str) -> httpx.Auth:
    """``auth`` ready for ``project_id`` without touching the caller's object.

    AK/SK signs ``X-Project-Id`` and a password token is scoped to one project, so those get a copy for
    another project; a bare token is what it is and is shared.
    """
    if isinstance(auth, AkSkAuth) and auth.project_id != project_id:
        return auth.for_project(project_id)
    if isinstance(auth, PasswordAuth) and auth.project_id != project_id:
        return auth.scoped(project_id)
    return auth
