"""How the task center writes job names and times: the v3 name spelling and local ``+hhmm`` timestamps.

Shape rule for ShowJobDetail (v3) names: an ``_`` is put on each side of the word ``MongoDB`` where it
touches another word (``CreateMongoDB`` → ``Create_MongoDB``, ``EnlargeMongoDBVolume`` →
``Enlarge_MongoDB_Volume``, ``RestoreMongoDB_Replica`` → ``Restore_MongoDB_Replica``); names without the
exact word ``MongoDB`` (``MongodbSnapshotBackup``, ``RestartNode``) are the same in both shapes.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import numpy as np

from ._time import format_api_time  # the one formatter; re-exported for the fleet model

__all__ = ["format_api_time", "region_utc_offset", "v3_job_name"]


def v3_job_name(name: str) -> str:
    """The ShowJobDetail spelling of a ListTasks name: ``_`` around the word ``MongoDB`` (module doc)."""
    return re.sub(r"(?<=[A-Za-z0-9])MongoDB", "_MongoDB", re.sub(r"MongoDB(?=[A-Z0-9])", "MongoDB_", name))


# --- time ------------------------------------------------------------------------------------------

# Minutes east of UTC; eu-west-101 (Dublin) is handled by the EU summer-time rule below.
_FIXED_OFFSETS: dict[str, int] = {
    "cn-north-4": 480,
    "ap-southeast-1": 480,
    "ap-southeast-2": 420,
    "ap-southeast-3": 480,
    "af-south-1": 120,
}
_EU_SUMMER_REGIONS: dict[str, int] = {"eu-west-101": 0, "eu-west-0": 60}


def _last_sunday_0100_utc(year: int, month: int) -> int:
    last = datetime(year, month + 1, 1, 1, tzinfo=timezone.utc) - timedelta(days=1)
    last -= timedelta(days=(last.weekday() + 1) % 7)
    return int(last.timestamp())


def region_utc_offset(region: str, epoch_s: np.ndarray) -> np.ndarray:
    """Offset in minutes east of UTC that ``region`` renders times in, at each epoch second."""
    epoch_s = np.asarray(epoch_s, dtype=np.int64)
    if region in _EU_SUMMER_REGIONS:
        base = _EU_SUMMER_REGIONS[region]
        years = epoch_s.astype("datetime64[s]").astype("datetime64[Y]").astype(int) + 1970
        summer = np.zeros(epoch_s.shape, dtype=bool)
        for year in np.unique(years):
            start, stop = _last_sunday_0100_utc(int(year), 3), _last_sunday_0100_utc(int(year), 10)
            summer |= (years == year) & (epoch_s >= start) & (epoch_s < stop)
        return np.where(summer, base + 60, base).astype(np.int64)
    if region in _FIXED_OFFSETS:
        return np.full(epoch_s.shape, _FIXED_OFFSETS[region], dtype=np.int64)
    return np.full(epoch_s.shape, 480 if region.startswith("cn-") else 0, dtype=np.int64)
