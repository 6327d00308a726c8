"""What masking credentials quoted in job fields costs a listing (issue #17 §9).

Every ListTasks/ShowJobDetail body is probed for the client's credentials (``_redact.mentions``) before it
becomes records. This times the client's CPU (``time.process_time``; the simulator runs in a child process)
of one 30-day listing with the probe on and with it replaced by ``lambda *_: False``, in alternating rounds
in the same process, for AK/SK and for AK/SK with a 1,500-character security token. The ratio on/off of the
fastest round of each is the cost. It also times the probe alone against ``json.loads`` of the same
100-job page body (the decoding every page needs anyway), side by side.

    PYTHONPATH=$PWD python benchmarks/bench_secret_probe.py [--jobs 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from ddsjobs_analytics.client import AkSkAuth, TaskCenter, _transport
from ddsjobs_analytics.simulator import running

_REAL_MENTIONS = _transport.mentions


def _serve(connection: Any, jobs: int) -> None:
    with running(jobs=jobs, seed=7, history_days=30) as sim:
        connection.send((sim.url, sim.ak, sim.sk, sim.project_id, sim.now.timestamp()))
        connection.recv()


def _page_ratio(page: bytes, secret_values: tuple[str, ...], repeats: int = 300) -> str:
    """The probe alone vs ``json.loads`` of one page, in ms, side by side."""
    mentions = _REAL_MENTIONS
    mentions(page, secret_values)  # the windows are built once per set of secrets (cached)
    timings = {}
    for name, call in (
        ("probe", lambda: mentions(page, secret_values)),
        ("json", lambda: json.loads(page)),
    ):
        started = time.perf_counter()
        for _ in range(repeats):
            call()
        timings[name] = (time.perf_counter() - started) / repeats * 1000
    share = timings["probe"] / timings["json"]
    return f"probe {timings['probe']:.3f} ms vs json.loads {timings['json']:.3f} ms per page ({share:.2f}x)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    context = mp.get_context("spawn")
    parent, child = context.Pipe()
    server = context.Process(target=_serve, args=(child, args.jobs), daemon=True)
    server.start()
    real = _transport.mentions
    try:
        url, ak, sk, project_id, now_s = parent.recv()
        end = datetime.fromtimestamp(now_s, timezone.utc)
        for label, token in (("AK/SK", None), ("AK/SK + 1,500-character token", secrets.token_urlsafe(1125))):
            times: dict[str, list[float]] = {"off": [], "on": []}
            count = 0
            for _ in range(args.rounds):
                for mode in ("off", "on"):
                    _transport.mentions = real if mode == "on" else (lambda *_: False)  # type: ignore[assignment]
                    auth = AkSkAuth(ak, sk, security_token=token)
                    with TaskCenter(endpoint=url, project_id=project_id, auth=auth, progress=False) as tc:
                        started = time.process_time()
                        count = len(tc.list_jobs(end - timedelta(days=29), end))
                        times[mode].append(time.process_time() - started)
            ratio = min(times["on"]) / min(times["off"])
            with running(jobs=300, seed=7, history_days=5) as local:
                page = json.dumps({"total_count": 100, "jobs": local.truth()[:100]}).encode()
            held = tuple(v for v in (ak, sk, token) if v)
            rounds = {mode: ", ".join(f"{t:.3f}" for t in values) for mode, values in times.items()}
            print(
                f"{label}: {count:,} jobs; client CPU s off [{rounds['off']}] on [{rounds['on']}]; "
                f"ratio on/off {ratio:.2f}x; {_page_ratio(page, held)}"
            )
    finally:
        _transport.mentions = real
        parent.send("stop")
        server.join(timeout=10)


if __name__ == "__main__":
    main()
