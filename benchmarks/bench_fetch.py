"""``TaskCenter.fetch()`` client-side time against ``jobs_frame`` on the same records, side by side.

The simulator's ListTasks pages cost it ~40 ms each at 20k jobs (its fleet query, not the client), so 200k
records over the network would take most of an hour. The 200k comparison therefore uses the simulator's own
records for ``--jobs`` jobs, decoded from ListTasks page bodies as the client decodes them (fresh dicts,
one ``observed_at`` string per page of 100, exactly what the listing hands to ``fetch``):

- **baseline**: ``jobs_frame`` on the records with ``observed_at`` as ISO strings (the Arrow path);
- **fetch**: what ``fetch()`` does with the fresh records once they are read (stamping in place, then
  ``jobs_frame``: ``_finish_fetch``);
- **old**: the previous stamping, a copy of every record with ``observed_at`` as a ``datetime``.

A second part runs ``fetch()`` end to end over loopback against a simulator in a child process with
``--e2e-jobs`` jobs, and reports the time spent beyond the listing.

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_fetch.py [--jobs 200000] [--e2e-jobs 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing as mp
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from ddsjobs_analytics import jobs_frame
from ddsjobs_analytics.client import AkSkAuth, TaskCenter
from ddsjobs_analytics.client._records import observed_records
from ddsjobs_analytics.simulator import running


def _serve(connection: Any, jobs: int) -> None:
    with running(jobs=jobs, seed=42, history_days=29, future_days=0.01, instances=400) as sim:
        connection.send((sim.url, sim.ak, sim.sk, sim.project_id, sim.region, sim.now))
        connection.recv()


def _timed(func: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = func(*args, **kwargs)
    return time.perf_counter() - started, result


def _pages(jobs: int) -> list[tuple[dict[str, Any], str]]:
    """``jobs`` simulator records as ``list_stamped`` returns them: decoded per page, one stamp per page."""
    with running(jobs=jobs, seed=42, history_days=29, future_days=0.01, instances=400) as sim:
        records = sim.truth(sim.now - timedelta(days=30), sim.now)
    stamped = []
    for i in range(0, len(records), 100):
        page = json.loads(json.dumps({"jobs": records[i : i + 100]}))["jobs"]
        seen = datetime.now(timezone.utc).isoformat()
        stamped += [(job, seen) for job in page]
    return stamped


def compare(jobs: int, rounds: int) -> dict[str, list[float]]:
    stamped = _pages(jobs)
    results: dict[str, list[float]] = {"baseline": [], "fetch": [], "old": []}
    with TaskCenter(endpoint="http://127.0.0.1:9", project_id="p", auth=AkSkAuth("AK00", "SK00")) as tc:
        for _ in range(rounds):  # interleaved, so machine noise hits all alike
            iso = [{**job, "observed_at": seen} for job, seen in stamped]
            fresh = copy.deepcopy(stamped)
            moment = datetime.now(timezone.utc)
            old = [{**job} for job, _ in stamped]
            base_s, base = _timed(jobs_frame, iso, region=tc.region, project_id=tc.project_id)
            fetch_s, frame = _timed(tc._finish_fetch, (observed_records(fresh), {}))
            old_s, _ = _timed(
                jobs_frame, [{**job, "observed_at": moment} for job in old], region=None, project_id="p"
            )
            assert len(frame) == len(base) == len(stamped)
            assert frame["job_id"].equals(base["job_id"]) and frame["observed_at"].equals(base["observed_at"])
            results["baseline"].append(base_s)
            results["fetch"].append(fetch_s)
            results["old"].append(old_s)
    print(f"{len(stamped):,} records, {rounds} round(s): medians [rounds]")
    return results


def end_to_end(jobs: int, rounds: int) -> dict[str, list[float]]:
    context = mp.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child, jobs), daemon=True)
    server.start()
    results: dict[str, list[float]] = {"listing": [], "e2e": []}
    try:
        url, ak, sk, project_id, _region, now = parent.recv()
        start, end = now - timedelta(days=29, hours=23), now
        with TaskCenter(endpoint=url, project_id=project_id, auth=AkSkAuth(ak, sk), progress=False) as tc:
            for _ in range(rounds):
                listing_s, stamped = _timed(tc._run, tc._core.list_stamped(start, end))
                e2e_s, frame = _timed(tc.fetch, start, end)
                assert len(frame) >= len(stamped)
                results["listing"].append(listing_s)
                results["e2e"].append(e2e_s)
    finally:
        parent.send("stop")
        server.join(timeout=10)
    print(f"end to end over loopback, {len(stamped):,} records, {rounds} round(s)")
    return results


def _report(results: dict[str, list[float]], labels: dict[str, str]) -> dict[str, float]:
    median = {name: statistics.median(values) for name, values in results.items()}
    for name, label in labels.items():
        rounds = ", ".join(f"{v:.3f}" for v in results[name])
        print(f"  {label:50s}: {median[name]:7.3f} s  [{rounds}]")
    return median


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200_000)
    parser.add_argument("--e2e-jobs", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    median = _report(
        compare(args.jobs, args.rounds),
        {
            "baseline": "jobs_frame(records with ISO observed_at)",
            "fetch": "fetch() client side: stamp in place + frame",
            "old": "old stamping: copies with datetime observed_at",
        },
    )
    print(f"  ratio fetch / baseline: {median['fetch'] / median['baseline']:.2f}x  (target <= 1.2x)")
    print(f"  ratio old / baseline  : {median['old'] / median['baseline']:.2f}x")
    if args.e2e_jobs:
        e2e = _report(
            end_to_end(args.e2e_jobs, args.rounds),
            {"listing": "ListTasks over loopback (network part)", "e2e": "fetch() end to end"},
        )
        print(f"  fetch() beyond the listing: {e2e['e2e'] - e2e['listing']:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
