"""The bundled sample (``data/sample_jobs.jsonl``): a seeded :class:`~._fleet.Fleet` seen at ``SAMPLE_END``.

``python -m ddsjobs_analytics.simulator._sample --write data/sample_jobs.jsonl`` rewrites the file (see
data/README.md).
The fleet model itself lives in :mod:`._fleet` (shared with the simulator); the names re-exported here keep
the old import paths (``from ddsjobs_analytics.simulator._sample import Fleet, generate_fleet``) working.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .._core._api_format import format_api_time, region_utc_offset, v3_job_name
from ._fleet import DEFAULT_END, Fleet, generate_fleet
from ._fleet_profiles import DEFAULT_REGIONS, JOB_PROFILES, KINDS, JobProfile

__all__ = [
    "DEFAULT_REGIONS",
    "JOB_PROFILES",
    "KINDS",
    "SAMPLE_END",
    "SAMPLE_SEED",
    "Fleet",
    "JobProfile",
    "format_api_time",
    "generate_fleet",
    "load_sample",
    "main",
    "region_utc_offset",
    "sample_fleet",
    "sample_records",
    "v3_job_name",
    "write_jsonl",
]

SAMPLE_END = DEFAULT_END
SAMPLE_SEED = 20261101
SAMPLE_JOBS = 5000
SAMPLE_INSTANCES = 60
SAMPLE_DAYS = 60


def sample_fleet() -> Fleet:
    """The fleet behind the bundled sample (``data/sample_jobs.jsonl``)."""
    return generate_fleet(
        jobs=SAMPLE_JOBS, instances=SAMPLE_INSTANCES, days=SAMPLE_DAYS, end=SAMPLE_END, seed=SAMPLE_SEED
    )


def sample_records() -> list[dict[str, Any]]:
    """The bundled sample: ListTasks (v3.1) records read at ``SAMPLE_END``, annotated like our fetcher does.

    Each record also carries ``region``, ``project_id`` and ``observed_at`` (ISO 8601, UTC).
    """
    fleet = sample_fleet()
    observed_at = SAMPLE_END.isoformat()
    indices = fleet.select()
    regions = [fleet.regions[r] for r in fleet.region[indices].tolist()]
    return [
        {**record, "region": region, "project_id": fleet.project_ids[region], "observed_at": observed_at}
        for record, region in zip(fleet.render(indices), regions, strict=True)
    ]


def load_sample() -> pd.DataFrame:
    """The bundled sample as a jobs frame: ≈5k jobs, 60 instances, 3 regions, 60 days up to ``SAMPLE_END``."""
    from .._frame import jobs_frame

    return jobs_frame(sample_records())


def write_jsonl(records: Sequence[Mapping[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    """``--write PATH``: write the bundled sample as JSON Lines (callable from a CLI as it is)."""
    parser = argparse.ArgumentParser(
        prog="python -m ddsjobs_analytics.simulator._sample", description=__doc__
    )
    parser.add_argument("--write", type=Path, required=True, help="write the bundled sample as JSON Lines")
    args = parser.parse_args(argv)
    write_jsonl(sample_records(), args.write)
    print(f"wrote {args.write}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
