"""A seeded model of a DDS fleet's job history, shared by the simulator and the bundled sample.

Every job has a *true* life (type, instance, region, creation time, planned duration, final status,
failure reason); :meth:`Fleet.records` renders what the task center would show at a given moment, in
either API shape. The model is deliberately realistic where analyses are sensitive: per-type lognormal
durations, per-type failure probabilities (:mod:`._fleet_profiles`), failure reasons with variable parts,
mixed UTC offsets (``eu-west-101`` follows EU summer time, :mod:`._api_format`), one failure incident, and a
few truly stuck jobs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

import numpy as np

from .._core._api_format import format_api_time, region_utc_offset, v3_job_name
from .._core._names import JOB_NAMES
from ._fleet_profiles import (
    DEFAULT_REGIONS,
    FAIL_P,
    IS_BACKUP,
    KIND_WEIGHTS,
    KINDS,
    MEDIAN_S,
    NAME_INDEX,
    SIGMA,
    STUCK_CANDIDATES,
    fail_reason,
    hexid,
    incident_reason,
)

__all__ = ["DEFAULT_END", "Fleet", "Shape", "generate_fleet"]

Shape = Literal["v3", "v3.1"]
# The default end of a generated fleet: the bundled sample's, so a default fleet is reproducible.
DEFAULT_END = datetime(2026, 11, 1, tzinfo=timezone.utc)


def _epoch(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError(f"datetime {moment!r} must be timezone-aware")
    return int(moment.timestamp())


# --- the fleet -------------------------------------------------------------------------------------


@dataclass
class Fleet:
    """True job lives of a fleet, columnar (one numpy entry per job), and their rendering as API records.

    ``created`` and ``planned_s`` are epoch seconds; a job is Running at ``at`` when
    ``created <= at < created + planned_s``, otherwise it shows its final status.
    """

    end: datetime
    regions: tuple[str, ...]
    project_ids: dict[str, str]
    instance_ids: list[str]
    instance_names: list[str]
    instance_regions: np.ndarray
    instance_kinds: np.ndarray
    ids: list[str]
    name_index: np.ndarray
    instance: np.ndarray
    created: np.ndarray
    planned_s: np.ndarray
    nominal_s: np.ndarray
    progress_cap: np.ndarray
    failed: np.ndarray
    fail_reasons: list[str | None]
    incident: dict[str, Any] = field(default_factory=dict)
    stuck_ids: list[str] = field(default_factory=list)
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0), repr=False)
    _positions: dict[str, int] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.ids)

    def __repr__(self) -> str:
        return (
            f"Fleet(jobs={len(self)}, instances={len(self.instance_ids)}, regions={self.regions!r}, "
            f"end={self.end.isoformat()})"
        )

    @property
    def region(self) -> np.ndarray:
        """Region index of each job (into :attr:`regions`)."""
        return self.instance_regions[self.instance]

    def region_of_project(self, project_id: str) -> str | None:
        return next((r for r, p in self.project_ids.items() if p == project_id), None)

    def select(
        self,
        at: datetime | int | None = None,
        *,
        created_from: int | None = None,
        created_to: int | None = None,
        region: str | None = None,
        project_id: str | None = None,
        status: str | None = None,
        job_id: str | None = None,
        name: str | None = None,
    ) -> np.ndarray:
        """Indices of the jobs visible at ``at`` matching the filters, newest first (ties: later job first).

        ``created_from``/``created_to`` are inclusive epoch seconds.
        """
        now = self._at(at)
        mask = self.created <= now
        if created_from is not None:
            mask &= self.created >= created_from
        if created_to is not None:
            mask &= self.created <= created_to
        if project_id is not None:
            region = self.region_of_project(project_id) or "\0"
        if region is not None:
            mask &= self.region == (self.regions.index(region) if region in self.regions else -1)
        if name is not None:
            mask &= self.name_index == NAME_INDEX.get(name, -1)
        if job_id is not None:
            only = np.zeros_like(mask)
            if (position := self._id_positions().get(job_id)) is not None:
                only[position] = True
            mask &= only
        if status is not None:
            running = self.created + self.planned_s > now
            wanted = {
                "Running": running,
                "Failed": ~running & self.failed,
                "Completed": ~running & ~self.failed,
            }
            mask &= wanted.get(status, np.zeros_like(mask))
        chosen = np.flatnonzero(mask)
        order = np.lexsort((-chosen, -self.created[chosen]))
        return chosen[order]

    def records(
        self,
        at: datetime | int | None = None,
        *,
        shape: Shape = "v3.1",
        region: str | None = None,
        project_id: str | None = None,
    ) -> list[dict[str, Any]]:
        """The records the task center holds at ``at`` (default: :attr:`end`), newest first."""
        return self.render(self.select(at, region=region, project_id=project_id), at, shape=shape)

    def render(
        self, indices: np.ndarray, at: datetime | int | None = None, *, shape: Shape = "v3.1"
    ) -> list[dict]:
        """API records of the jobs at ``indices`` as seen at ``at``, in the given shape."""
        if shape not in ("v3", "v3.1"):
            raise ValueError(f"shape must be 'v3' or 'v3.1', not {shape!r}")
        now = self._at(at)
        indices = np.asarray(indices, dtype=np.int64)
        created = self.created[indices]
        planned_end = created + self.planned_s[indices]
        running = planned_end > now
        # Like the real API, a Running job has an ``ended`` anyway (the reference's example: created + 10 s).
        ended = np.where(running, np.minimum(created + 10, now), planned_end)
        elapsed_share = (now - created) * 100 // np.maximum(self.nominal_s[indices], 1)
        progress = np.minimum(elapsed_share, self.progress_cap[indices])
        regions = self.region[indices]
        offsets_created = np.zeros(len(indices), dtype=np.int64)
        offsets_ended = np.zeros(len(indices), dtype=np.int64)
        for r, name in enumerate(self.regions):
            here = regions == r
            offsets_created[here] = region_utc_offset(name, created[here])
            offsets_ended[here] = region_utc_offset(name, ended[here])
        created_text = format_api_time(created, offsets_created)
        ended_text = format_api_time(ended, offsets_ended)
        out: list[dict[str, Any]] = []
        for k, i in enumerate(indices.tolist()):
            is_running = bool(running[k])
            status = "Running" if is_running else ("Failed" if self.failed[i] else "Completed")
            name = JOB_NAMES[self.name_index[i]]
            inst = int(self.instance[i])
            progress_text = f"{int(progress[k])}%" if is_running else ""
            reason = self.fail_reasons[i] if status == "Failed" else None
            if shape == "v3.1":
                out.append(
                    {
                        "id": self.ids[i],
                        "name": name,
                        "instance_id": self.instance_ids[inst],
                        "instance_name": self.instance_names[inst],
                        "status": status,
                        "progress": progress_text,
                        "fail_reason": reason,
                        "created_at": created_text[k],
                        "ended_at": ended_text[k],
                    }
                )
            else:
                out.append(
                    {
                        "id": self.ids[i],
                        "name": v3_job_name(name),
                        "status": status,
                        "created": created_text[k],
                        "ended": ended_text[k],
                        "progress": progress_text,
                        "instance": {"id": self.instance_ids[inst], "name": self.instance_names[inst]},
                        "fail_reason": reason,
                    }
                )
        return out

    def spawn(self, count: int, at: datetime | int, *, region: str | None = None) -> list[str]:
        """Add ``count`` jobs created at ``at`` (new work arriving); returns their ids. Deterministic."""
        now = self._at(at)
        rng = self.rng
        pool = np.arange(len(self.instance_ids))
        if region is not None:
            pool = pool[self.instance_regions == self.regions.index(region)]
        instance = rng.choice(pool, size=count)
        name_index = _draw_names(rng, self.instance_kinds[instance])
        nominal = _draw_durations(rng, name_index)
        failed = rng.random(count) < FAIL_P[name_index]
        planned = np.where(
            failed, np.maximum(5, (nominal * rng.uniform(0.1, 1.0, count)).astype(np.int64)), nominal
        )
        self.ids.extend(_uuid4s(rng, count))
        self.name_index = np.concatenate([self.name_index, name_index])
        self.instance = np.concatenate([self.instance, instance])
        self.created = np.concatenate([self.created, np.full(count, now, dtype=np.int64)])
        self.planned_s = np.concatenate([self.planned_s, planned])
        self.nominal_s = np.concatenate([self.nominal_s, nominal])
        self.progress_cap = np.concatenate([self.progress_cap, np.full(count, 99, dtype=np.int64)])
        self.failed = np.concatenate([self.failed, failed])
        self.fail_reasons.extend(
            fail_reason(JOB_NAMES[n], rng) if f else None
            for n, f in zip(name_index.tolist(), failed.tolist(), strict=True)
        )
        return self.ids[-count:] if count else []

    def _id_positions(self) -> dict[str, int]:
        if len(self._positions) != len(self.ids):
            self._positions = {job_id: i for i, job_id in enumerate(self.ids)}
        return self._positions

    def _at(self, at: datetime | int | None) -> int:
        if at is None:
            return _epoch(self.end)
        return at if isinstance(at, (int, np.integer)) else _epoch(at)


def _uuid4s(rng: np.random.Generator, count: int) -> list[str]:
    raw = np.frombuffer(rng.bytes(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    out = []
    for row in raw:
        h = row.tobytes().hex()
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def _draw_names(rng: np.random.Generator, kinds: np.ndarray) -> np.ndarray:
    names = np.empty(len(kinds), dtype=np.int64)
    for k, kind in enumerate(KINDS):
        here = np.flatnonzero(kinds == k)
        names[here] = rng.choice(len(JOB_NAMES), size=len(here), p=KIND_WEIGHTS[kind])
    return names


def _draw_durations(rng: np.random.Generator, name_index: np.ndarray) -> np.ndarray:
    draws = MEDIAN_S[name_index] * np.exp(SIGMA[name_index] * rng.standard_normal(len(name_index)))
    return np.maximum(5, np.round(draws)).astype(np.int64)


_APPS = ("orders", "users", "billing", "catalog", "events", "sessions", "audit", "search", "iot", "feeds")
_ENVS = ("prod", "staging", "test", "dev")
_KIND_SUFFIX = {"cluster": "sh", "replica": "rs", "single": "single"}


def _instances(
    rng: np.random.Generator, count: int, n_regions: int
) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
    ids = [f"{hexid(rng, 32)}in02" for _ in range(count)]
    kinds = rng.choice(len(KINDS), size=count, p=[0.35, 0.4, 0.25])
    regions = np.arange(count) % n_regions
    rng.shuffle(regions)
    names: list[str] = []
    for i in range(count):
        if rng.random() < 0.5:
            names.append(f"dds-{hexid(rng, 4)}-{_KIND_SUFFIX[KINDS[kinds[i]]]}")
        else:
            base = f"dds-{rng.choice(_ENVS)}-{rng.choice(_APPS)}"
            names.append(base if base not in names else f"{base}-{i:02d}")
    return ids, names, regions, kinds


def _created_times(
    rng: np.random.Generator, name_index: np.ndarray, offsets_min: np.ndarray, start: int, span: int
) -> np.ndarray:
    """Creation times: automated backups mostly in a local 01:00-05:00 window, other work in office hours."""
    count = len(name_index)
    day = rng.integers(0, max(1, span // 86400 + 1), count)
    office = np.r_[np.full(8, 1.0), np.full(10, 3.0), np.full(6, 1.5)]
    hour = rng.choice(24, size=count, p=office / office.sum())
    nightly = IS_BACKUP[name_index] & (rng.random(count) < 0.7)
    hour = np.where(nightly, rng.integers(1, 5, count), hour)
    local = day * 86400 + hour * 3600 + rng.integers(0, 3600, count)
    return start + np.mod(local - offsets_min * 60, span)


def generate_fleet(
    *,
    jobs: int = 5000,
    instances: int = 60,
    regions: Sequence[str] = DEFAULT_REGIONS,
    days: float = 60,
    end: datetime = DEFAULT_END,
    seed: int = 0,
    project_ids: Mapping[str, str] | None = None,
    incident: bool = True,
    stuck: int | None = None,
) -> Fleet:
    """A fleet whose ``jobs`` were created over the ``days`` before ``end``, drawn from ``seed``.

    Includes (unless disabled) one failure incident — a day in one region where most jobs fail with
    the same reason — and ``stuck`` jobs (default ~1 per 1500, at least 3) whose planned durations are
    far beyond normal, so they are still Running at ``end``.
    """
    if jobs < 0 or instances < 1 or not regions or days <= 0:
        raise ValueError("need jobs >= 0, instances >= 1, at least one region and days > 0")
    regions = tuple(regions)
    rng = np.random.default_rng(seed)
    end_s = _epoch(end)
    span = max(1, int(days * 86400))
    start = end_s - span
    pids = {r: hexid(rng, 32) for r in regions}
    pids.update(project_ids or {})
    instance_ids, instance_names, instance_regions, instance_kinds = _instances(rng, instances, len(regions))

    # Some instances are far busier than others (Zipf-like activity).
    activity = 1.0 / np.arange(1, instances + 1) ** 0.8
    rng.shuffle(activity)
    instance = rng.choice(instances, size=jobs, p=activity / activity.sum())
    name_index = _draw_names(rng, instance_kinds[instance])
    job_regions = instance_regions[instance]
    base_offsets = np.array([region_utc_offset(r, np.array([start]))[0] for r in regions])
    created = _created_times(rng, name_index, base_offsets[job_regions], start, span)
    nominal = _draw_durations(rng, name_index)
    failed = rng.random(jobs) < FAIL_P[name_index]
    ids = _uuid4s(rng, jobs)

    incident_info: dict[str, Any] = {}
    incident_mask = np.zeros(jobs, dtype=bool)
    if incident and jobs:
        region_index = int(rng.integers(0, len(regions)))
        day_start = start + int(rng.integers(span // 3, max(span // 3 + 1, 2 * span // 3))) // 86400 * 86400
        # Retries pile up during an incident: move some of the region's jobs into that day.
        movers = rng.permutation(np.flatnonzero(job_regions == region_index))[: max(10, jobs // 200)]
        created[movers] = day_start + rng.integers(0, 86400, len(movers))
        in_window = (job_regions == region_index) & (created >= day_start) & (created < day_start + 86400)
        incident_mask = in_window & (rng.random(jobs) < 0.75)
        failed |= incident_mask
        incident_info = {
            "region": regions[region_index],
            "start": datetime.fromtimestamp(day_start, timezone.utc),
            "end": datetime.fromtimestamp(day_start + 86400, timezone.utc),
            "jobs": int(incident_mask.sum()),
        }

    # Failures usually end early (the job gives up part-way).
    planned = np.where(
        failed, np.maximum(5, (nominal * rng.uniform(0.1, 1.0, jobs)).astype(np.int64)), nominal
    )
    progress_cap = np.full(jobs, 99, dtype=np.int64)
    n_stuck = min(jobs, max(3, jobs // 1500) if stuck is None else stuck)
    stuck_index = np.empty(0, dtype=np.int64)
    if n_stuck:
        stuck_index = rng.choice(jobs, size=n_stuck, replace=False)
        name_index[stuck_index] = rng.choice(STUCK_CANDIDATES, size=n_stuck)
        nominal[stuck_index] = _draw_durations(rng, name_index[stuck_index])
        created[stuck_index] = end_s - rng.integers(
            int(min(span, 86400) // 2), int(min(span, 10 * 86400)) + 1, n_stuck
        )
        planned[stuck_index] = end_s - created[stuck_index] + rng.integers(30, 90, n_stuck) * 86400
        progress_cap[stuck_index] = rng.integers(10, 91, n_stuck)
        incident_mask[stuck_index] = False

    reasons: list[str | None] = [None] * jobs
    for i in np.flatnonzero(failed).tolist():
        reasons[i] = incident_reason(rng) if incident_mask[i] else fail_reason(JOB_NAMES[name_index[i]], rng)
    if incident_info:
        incident_info["jobs"] = int(incident_mask.sum())
    return Fleet(
        end=datetime.fromtimestamp(end_s, timezone.utc),
        regions=regions,
        project_ids=pids,
        instance_ids=instance_ids,
        instance_names=instance_names,
        instance_regions=instance_regions,
        instance_kinds=instance_kinds,
        ids=ids,
        name_index=name_index,
        instance=instance,
        created=created.astype(np.int64),
        planned_s=planned.astype(np.int64),
        nominal_s=nominal,
        progress_cap=progress_cap,
        failed=failed,
        fail_reasons=reasons,
        incident=incident_info,
        stuck_ids=[ids[i] for i in stuck_index.tolist()],
        rng=rng,
    )
