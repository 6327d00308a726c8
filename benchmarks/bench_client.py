"""Throughput of ``TaskCenter.get_jobs`` against the official SDK's ``show_job_detail`` loop, side by side.

Both talk to the same task-center simulator (50 ms latency per request) running in a child process, so
the server never competes with the client for the GIL, just as a real service would not. Also checks
that the client-side rate limit is never exceeded in any sliding one-second window.

    .venv/bin/python benchmarks/bench_client.py [--quick]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import statistics
import sys
import time
from datetime import timedelta
from typing import Any

from ddsjobs_analytics.client import AkSkAuth, TaskCenter
from ddsjobs_analytics.simulator import running

LATENCY_MS = 50.0


def _serve(connection: Any, jobs: int, latency_ms: float) -> None:
    """Child process: run a simulator, send its coordinates and some job ids, serve until told to stop."""
    with running(jobs=jobs, seed=42, latency_ms=latency_ms, history_days=30) as sim:
        ids = [record["id"] for record in sim.truth(sim.now - timedelta(days=29), sim.now)]
        connection.send((sim.url, sim.ak, sim.sk, sim.project_id, sim.region, ids))
        connection.recv()


def _sdk_client(url: str, ak: str, sk: str, project_id: str) -> Any:
    from huaweicloudsdkcore.auth.credentials import BasicCredentials
    from huaweicloudsdkcore.http.http_config import HttpConfig
    from huaweicloudsdkdds.v3 import DdsClient

    config = HttpConfig.get_default_config()
    config.ignore_ssl_verification = True  # the simulator speaks plain HTTP on loopback
    builder = DdsClient.new_builder().with_credentials(BasicCredentials(ak, sk, project_id))
    return builder.with_endpoints([url]).with_http_config(config).build()


def bench_sdk(url: str, ak: str, sk: str, project_id: str, ids: list[str]) -> float:
    """Requests per second of the SDK's documented way: one show_job_detail after another."""
    from huaweicloudsdkdds.v3 import ShowJobDetailRequest

    client = _sdk_client(url, ak, sk, project_id)
    client.show_job_detail(ShowJobDetailRequest(id=ids[0]))  # warm up the connection
    started = time.perf_counter()
    for job_id in ids:
        assert client.show_job_detail(ShowJobDetailRequest(id=job_id)).job.id == job_id
    return len(ids) / (time.perf_counter() - started)


def bench_ours(url: str, ak: str, sk: str, project_id: str, ids: list[str], concurrency: int) -> float:
    with TaskCenter(
        endpoint=url,
        project_id=project_id,
        auth=AkSkAuth(ak, sk),
        max_concurrency=concurrency,
        progress=False,
    ) as tc:
        tc.get_jobs(ids[:concurrency])  # warm up the connection pool
        started = time.perf_counter()
        batch = tc.get_jobs(ids)
        elapsed = time.perf_counter() - started
    assert len(batch) == len(ids) and not batch.failures, batch.summary()
    return len(ids) / elapsed


def rate_limit_check(rate: float, requests: int) -> tuple[int, float]:
    """(busiest sliding second, achieved rate) with ``rate_limit=rate``, timed where requests arrive."""
    with running(jobs=1500, seed=7) as sim:
        arrivals: list[float] = []
        handle = sim.service.handle

        def timed(request: Any) -> Any:
            arrivals.append(time.monotonic())
            return handle(request)

        sim.service.handle = timed  # type: ignore[method-assign]
        sim.set(throttle=rate)  # and the simulated gateway rejects anything over the rate with a 429
        ids = [record["id"] for record in sim.truth(sim.now - timedelta(days=20), sim.now)][:requests]
        with TaskCenter(
            endpoint=sim.url,
            project_id=sim.project_id,
            auth=AkSkAuth(sim.ak, sim.sk),
            rate_limit=rate,
            max_concurrency=16,
            max_retries=0,
            progress=False,
        ) as tc:
            batch = tc.get_jobs(ids)
        throttled = sum(1 for record in sim.requests if record.status == 429)
    assert not batch.failures and throttled == 0, (batch.summary(), throttled)
    busiest = max(sum(1 for t in arrivals if start <= t < start + 1.0) for start in arrivals)
    return busiest, (len(arrivals) - 1) / (arrivals[-1] - arrivals[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests (a smoke run)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    ours_n, sdk_n, concurrency = (400, 40, 16) if args.quick else (2000, 200, 16)
    rounds = 1 if args.quick else args.rounds

    context = mp.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child, 6000, LATENCY_MS), daemon=True)
    server.start()
    try:
        url, ak, sk, project_id, _region, ids = parent.recv()
        if len(ids) < ours_n:
            ids = (ids * (ours_n // len(ids) + 1))[:ours_n]  # repeats are fine: get_jobs asks each once…
        ids = list(dict.fromkeys(ids))[:ours_n]  # …so keep them unique to really send ours_n requests
        ours_rates, sdk_rates = [], []
        for _ in range(rounds):  # interleaved so machine noise hits both alike
            sdk_rates.append(bench_sdk(url, ak, sk, project_id, ids[:sdk_n]))
            ours_rates.append(bench_ours(url, ak, sk, project_id, ids, concurrency))
    finally:
        parent.send("stop")
        server.join(timeout=10)

    ceiling = concurrency / (LATENCY_MS / 1000.0)
    ours, sdk = statistics.median(ours_rates), statistics.median(sdk_rates)
    busiest, achieved = rate_limit_check(20.0, 60 if args.quick else 120)
    print(
        f"simulator latency {LATENCY_MS:g} ms, {len(ids)} ids (ours) / {sdk_n} ids (SDK), {rounds} round(s)"
    )
    print(
        f"SDK show_job_detail loop : {sdk:8.1f} req/s  (rounds: {', '.join(f'{r:.1f}' for r in sdk_rates)})"
    )
    print(
        f"TaskCenter.get_jobs (16) : {ours:8.1f} req/s  (rounds: {', '.join(f'{r:.1f}' for r in ours_rates)})"
    )
    print(f"throughput ratio ours/SDK: {ours / sdk:8.1f}x   (target >= 10x)")
    print(
        f"share of the ceiling {ceiling:.0f} req/s (max_concurrency/latency): {ours / ceiling:6.1%} "
        "(target >= 80%)"
    )
    print(
        f"rate limit 20 req/s      : busiest sliding second {busiest} requests, achieved {achieved:.1f} req/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
