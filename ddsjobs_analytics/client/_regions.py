"""Regions and endpoints of DDS, as the official SDK knows them.

Resolution order for a client's endpoint: an explicit ``endpoint`` argument, then ``DDSJOBS_ENDPOINT``,
then the SDK's own per-region override ``HUAWEICLOUD_SDK_REGION_DDS_<REGION>`` (upper case, ``-`` → ``_``),
then the table below. Plain HTTP is refused except on loopback, where the simulator and tests run.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping

import httpx

__all__ = ["REGIONS", "check_endpoint", "default_endpoint", "endpoint_override_variable", "resolve_endpoint"]

# The 34 regions of huaweicloudsdkdds' DdsRegion (release 3.1.2xx).
REGIONS: tuple[str, ...] = (
    "eu-west-101",
    "af-south-1",
    "af-north-1",
    "cn-north-1",
    "cn-north-2",
    "cn-north-4",
    "cn-north-9",
    "cn-north-11",
    "cn-north-12",
    "cn-east-2",
    "cn-east-3",
    "cn-east-4",
    "cn-east-5",
    "cn-south-1",
    "cn-south-2",
    "cn-south-4",
    "cn-southwest-2",
    "cn-southwest-3",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ru-northwest-2",
    "ru-moscow-1",
    "na-mexico-1",
    "la-north-2",
    "la-south-2",
    "sa-brazil-1",
    "me-east-1",
    "tr-west-1",
    "eu-west-0",
    "my-kualalumpur-1",
    "ae-ad-1",
)

# The one region served from the European domain.
_EU_DOMAIN_REGIONS = frozenset({"eu-west-101"})


def default_endpoint(region: str) -> str:
    """The SDK's endpoint for a known region; ValueError naming the known ones otherwise."""
    if region not in REGIONS:
        raise ValueError(
            f"unknown DDS region {region!r}; pass endpoint=... for a region the SDK does not list. "
            f"Known regions: {', '.join(sorted(REGIONS))}"
        )
    domain = "myhuaweicloud.eu" if region in _EU_DOMAIN_REGIONS else "myhuaweicloud.com"
    return f"https://dds.{region}.{domain}"


def endpoint_override_variable(region: str) -> str:
    """``HUAWEICLOUD_SDK_REGION_DDS_CN_NORTH_4`` for ``cn-north-4``: the SDK's per-region override."""
    return "HUAWEICLOUD_SDK_REGION_DDS_" + region.upper().replace("-", "_")


def resolve_endpoint(
    region: str | None, endpoint: str | None, environ: Mapping[str, str] | None = None
) -> str:
    """The endpoint to use: argument, ``DDSJOBS_ENDPOINT``, SDK override variable, then the region table."""
    env = os.environ if environ is None else environ
    chosen = endpoint or env.get("DDSJOBS_ENDPOINT")
    if not chosen and region:
        chosen = env.get(endpoint_override_variable(region)) or default_endpoint(region)
    if not chosen:
        raise ValueError("either region=... or endpoint=... is required")
    return check_endpoint(chosen)


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _shown(url: httpx.URL) -> str:
    """The URL for an error message, with any user info masked (it may hold a password)."""
    return str(url.copy_with(userinfo=b"***")) if url.userinfo else str(url)


def check_endpoint(endpoint: str) -> str:
    """The endpoint without a trailing ``/``; refuses plain HTTP off loopback (credentials would leak).

    User info (``https://user:secret@host``) is refused too: it would be shown in every repr, log line and
    error that names the URL. So are a query and a fragment, which would corrupt every request path.
    """
    try:
        url = httpx.URL(endpoint)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(f"endpoint is not a valid URL ({type(exc).__name__})") from None
    if url.scheme not in ("https", "http") or not url.host:
        raise ValueError(f"endpoint must be an http(s) URL with a host, got {_shown(url)!r}")
    if url.userinfo:
        raise ValueError(
            f"endpoint {_shown(url)!r} carries user info; credentials do not belong in the URL "
            "(use AkSkAuth, TokenAuth or PasswordAuth)"
        )
    if url.query or url.fragment:
        raise ValueError(f"endpoint {_shown(url)!r} must not have a query or fragment")
    if url.scheme == "http" and not _is_loopback(url.host):
        raise ValueError(
            f"endpoint {_shown(url)!r} uses plain HTTP; HTTPS is required except on loopback "
            "(127.0.0.0/8, ::1, localhost)"
        )
    return str(url).rstrip("/")
