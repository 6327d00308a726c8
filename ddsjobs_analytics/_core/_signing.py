"""The API Gateway signature ``SDK-HMAC-SHA256`` (AK/SK), as the official SDK computes it.

Shared by the HTTP client (which signs) and the simulator (which verifies), so both sides
agree by construction; the tests pin it to the published test vectors and to the SDK itself.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from urllib.parse import quote, unquote

__all__ = [
    "ALGORITHM",
    "EMPTY_BODY_SHA256",
    "SDK_DATE_FORMAT",
    "SignedRequest",
    "authorization_header",
    "canonical_query",
    "canonical_request",
    "canonical_uri",
    "parse_authorization",
    "sdk_date",
    "sign",
    "signed_header_names",
    "string_to_sign",
]

ALGORITHM = "SDK-HMAC-SHA256"
SDK_DATE_FORMAT = "%Y%m%dT%H%M%SZ"
EMPTY_BODY_SHA256 = hashlib.sha256(b"").hexdigest()


def _encode(text: str) -> str:
    # RFC 3986: only A-Z a-z 0-9 - _ . ~ stay literal (quote() keeps "/" unless told otherwise).
    return quote(text, safe="-_.~")


def sdk_date(now: datetime | None = None) -> str:
    """The ``X-Sdk-Date`` value for ``now`` (default: the current UTC time)."""
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).strftime(SDK_DATE_FORMAT)


def canonical_uri(path: str) -> str:
    """Decode, re-encode each segment, end with ``/`` (the gateway signs it so; the wire path has none)."""
    segments = [_encode(unquote(segment)) for segment in path.split("/")]
    uri = "/".join(segments)
    return uri if uri.endswith("/") else uri + "/"


def canonical_query(pairs: Iterable[tuple[str, str]]) -> str:
    """``k=v`` pairs, encoded and sorted by name then value, joined by ``&``."""
    encoded = sorted((_encode(name), _encode(value)) for name, value in pairs)
    return "&".join(f"{name}={value}" for name, value in encoded)


def signed_header_names(headers: Mapping[str, str]) -> list[str]:
    """Lower-cased, sorted names of the headers that are signed: every one without an underscore."""
    return sorted({name.lower() for name in headers if "_" not in name})


def canonical_request(
    method: str,
    path: str,
    query: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes = b"",
) -> tuple[str, list[str]]:
    """The six-line canonical request and the signed header names it covers."""
    lowered = {name.lower(): value for name, value in headers.items()}
    names = signed_header_names(headers)
    header_block = "".join(f"{name}:{lowered[name].strip()}\n" for name in names)
    lines = [
        method.upper(),
        canonical_uri(path),
        canonical_query(query),
        header_block,
        ";".join(names),
        hashlib.sha256(body).hexdigest(),
    ]
    return "\n".join(lines), names


def string_to_sign(canonical: str, date: str) -> str:
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{date}\n{digest}"


def sign(secret_key: str, canonical: str, date: str) -> str:
    """Lower-hex HMAC-SHA256 of the string to sign, keyed with the SK."""
    message = string_to_sign(canonical, date).encode("utf-8")
    return hmac.new(secret_key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def authorization_header(access_key: str, names: list[str], signature: str) -> str:
    return f"{ALGORITHM} Access={access_key}, SignedHeaders={';'.join(names)}, Signature={signature}"


class SignedRequest:
    """Parsed ``Authorization`` header: access key, signed header names and signature."""

    __slots__ = ("access_key", "signature", "signed_headers")

    def __init__(self, access_key: str, signed_headers: list[str], signature: str) -> None:
        self.access_key = access_key
        self.signed_headers = signed_headers
        self.signature = signature

    def __repr__(self) -> str:
        return f"SignedRequest(access_key={self.access_key!r}, signed_headers={self.signed_headers!r})"


def parse_authorization(value: str) -> SignedRequest | None:
    """Parse ``SDK-HMAC-SHA256 Access=…, SignedHeaders=…, Signature=…``; None when it is not one."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != ALGORITHM:
        return None
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, val = part.strip().partition("=")
        if sep:
            fields[key] = val
    try:
        return SignedRequest(
            fields["Access"], [h for h in fields["SignedHeaders"].split(";") if h], fields["Signature"]
        )
    except KeyError:
        return None
