"""The provider's lifecycle of DDS engine versions: end of maintenance (EOM) and end of support (EOS).

Source: Huawei Cloud, "Version Information" → "Lifecycle Planning of DDS Versions",
https://support.huaweicloud.com/intl/en-us/bulletin-dds/dds_version_002.html (read 2026-12-06). The page
gives months only. Rule: a month means its first day, 00:00 UTC ("June 2025" → 2025-06-01T00:00Z), and a
version is past EOM/EOS from that instant on. A version the table does not name (or an unknown one) is
``"unknown"``, never assumed supported. 5.0 has no planned dates: supported until the page says otherwise.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final, NamedTuple

import pandas as pd

__all__ = ["LIFECYCLE", "LIFECYCLE_URL", "VersionLifecycle", "lifecycle_of", "support_status"]

LIFECYCLE_URL: Final = "https://support.huaweicloud.com/intl/en-us/bulletin-dds/dds_version_002.html"


class VersionLifecycle(NamedTuple):
    """Planned end of maintenance and end of support (first day of the month, UTC); None: none planned."""

    eom: pd.Timestamp | None
    eos: pd.Timestamp | None


def _month(text: str) -> pd.Timestamp:
    return pd.Timestamp(f"{text}-01", tz="UTC")


# Read 2026-12-06 from LIFECYCLE_URL ("Lifecycle Planning of DDS Versions").
LIFECYCLE: Final = MappingProxyType(
    {
        "3.4": VersionLifecycle(eom=_month("2023-06"), eos=_month("2025-06")),
        "4.0": VersionLifecycle(eom=_month("2026-04"), eos=_month("2028-04")),
        "4.2": VersionLifecycle(eom=_month("2027-04"), eos=_month("2029-04")),
        "4.4": VersionLifecycle(eom=_month("2028-04"), eos=_month("2030-04")),
        "5.0": VersionLifecycle(eom=None, eos=None),
    }
)

SUPPORTED, UNKNOWN = "supported", "unknown"
PAST_EOM, PAST_EOS = "past end of maintenance", "past end of support"


def lifecycle_of(version: object) -> VersionLifecycle | None:
    """The lifecycle of an engine version (``"4.0"``; surrounding blanks ignored), None when not listed."""
    if not isinstance(version, str):
        return None
    return LIFECYCLE.get(version.strip())


def support_status(version: object, at: pd.Timestamp) -> str:
    """``"past end of support"``, ``"past end of maintenance"`` (but not of support), ``"supported"`` or
    ``"unknown"`` (a version the table does not list, or none) at the instant ``at`` (tz-aware)."""
    cycle = lifecycle_of(version)
    if cycle is None:
        return UNKNOWN
    if cycle.eos is not None and at >= cycle.eos:
        return PAST_EOS
    if cycle.eom is not None and at >= cycle.eom:
        return PAST_EOM
    return SUPPORTED
