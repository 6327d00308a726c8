"""A small hand-written fleet shared by the chart, report, accessor and post-mortem tests.

Twelve ListTasks-shaped jobs on three instances in two regions, read at 2026-11-02 12:00 UTC. Times are
given in UTC here and sent as Beijing time (+0800), as the API does. Every expectation in the tests is
worked out by hand from this table.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd

from ddsjobs_analytics._frame import jobs_frame

OBSERVED_AT = datetime(2026, 11, 2, 12, 0, tzinfo=timezone.utc)
BEIJING = timezone(timedelta(hours=8))
HOSTILE_REASON = "<script>window.__pwned = 1</script> quota exceeded"
FORMULA_REASON = '=HYPERLINK("http://evil.example/x", "click")'
NODE_DOWN_A = "Node 1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6dno02 (192.168.0.1:8635) is unreachable."
NODE_DOWN_B = "Node 9f8e7d6c5b4a39281706f5e4d3c2b1a0no02 (10.0.0.7:8635) is unreachable."

INSTANCES = {
    "inst-a": ("db-a", "cn-north-4"),
    "inst-b": ("db-b", "cn-north-4"),
    "inst-c": ("db-c", "ap-southeast-1"),
}

# (id, instance, job type, status, created UTC, ended UTC or None, fail_reason)
JOBS: list[tuple[str, str, str, str, str, str | None, str | None]] = [
    ("a1", "inst-a", "RestartInstance", "Completed", "2026-11-01 01:00:00", "2026-11-01 01:02:00", None),
    ("a2", "inst-a", "RestartInstance", "Completed", "2026-11-01 01:10:00", "2026-11-01 01:14:00", None),
    (
        "a3",
        "inst-a",
        "ResizeMongoDBInstance",
        "Failed",
        "2026-11-01 02:00:00",
        "2026-11-01 02:30:00",
        NODE_DOWN_A,
    ),
    ("a4", "inst-a", "ResizeMongoDBInstance", "Running", "2026-11-02 10:00:00", None, None),
    ("b1", "inst-b", "RestartInstance", "Completed", "2026-11-01 02:10:00", "2026-11-01 02:11:00", None),
    (
        "b2",
        "inst-b",
        "ResizeMongoDBInstance",
        "Completed",
        "2026-11-01 03:00:00",
        "2026-11-01 03:20:00",
        None,
    ),
    (
        "b3",
        "inst-b",
        "RestartInstance",
        "Failed",
        "2026-11-01 05:00:00",
        "2026-11-01 05:01:00",
        FORMULA_REASON,
    ),
    (
        "b4",
        "inst-b",
        "ResizeMongoDBInstance",
        "Completed",
        "2026-11-01 02:05:00",
        "2026-11-01 02:45:00",
        None,
    ),
    ("b5", "inst-b", "RestartNode", "Failed", "2026-11-01 08:00:00", "2026-11-01 08:01:00", NODE_DOWN_B),
    ("c1", "inst-c", "RestartInstance", "Completed", "2026-11-01 02:20:00", "2026-11-01 02:30:00", None),
    ("c2", "inst-c", "CreateMongoDB", "Failed", "2026-11-01 06:00:00", "2026-11-01 07:00:00", HOSTILE_REASON),
    ("c3", "inst-c", "RestartInstance", "Completed", "2026-11-02 03:00:00", "2026-11-02 03:01:40", None),
]


def utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def api_time(text: str) -> str:
    return utc(text).tz_convert(BEIJING).strftime("%Y-%m-%dT%H:%M:%S%z")


def records() -> list[dict[str, Any]]:
    out = []
    for job_id, instance, job_type, status, created, ended, reason in JOBS:
        name, region = INSTANCES[instance]
        out.append(
            {
                "id": job_id,
                "name": job_type,
                "instance_id": instance,
                "instance_name": name,
                "status": status,
                "progress": "40%" if status == "Running" else "",
                "fail_reason": reason,
                "created_at": api_time(created),
                # The API fills ended_at even for a running job; jobs_frame must ignore it there.
                "ended_at": api_time(ended or created),
                "region": region,
                "project_id": "p-" + region,
            }
        )
    return out


def frame() -> pd.DataFrame:
    return jobs_frame(records(), observed_at=OBSERVED_AT, errors="raise")


def rows(df: pd.DataFrame, *job_ids: str) -> pd.DataFrame:
    """The rows of ``job_ids``, in that order."""
    return df.set_index(df["job_id"].astype(str)).loc[list(job_ids)]
