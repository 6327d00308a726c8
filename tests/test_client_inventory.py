"""The inventory calls (ListInstances, ListScheduledTasks) against the simulator over loopback sockets."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from ddsjobs_analytics._core._schema import check_frame
from ddsjobs_analytics._core._schema_inventory import INSTANCES, SCHEDULED
from ddsjobs_analytics.client import (
    AkSkAuth,
    AsyncTaskCenter,
    AuthError,
    InvalidRequestError,
    ProtocolError,
    RateLimiter,
    RetryPolicy,
    TaskCenter,
)
from ddsjobs_analytics.simulator import Options, running

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


class Sleeps:
    async def __call__(self, seconds: float) -> None:
        await asyncio.sleep(min(seconds, 0.01))


@pytest.fixture(scope="module")
def shared_sim() -> Iterator:
    with running(jobs=3000, instances=260, seed=21, now=NOW) as sim:
        yield sim


@pytest.fixture
def sim(shared_sim):
    shared_sim.set(**vars(Options()))
    with shared_sim.service.lock:
        shared_sim.service._faults.clear()
    shared_sim.mark = len(shared_sim.requests)
    yield shared_sim


def _client(sim, **options) -> TaskCenter:
    options.setdefault("retry", RetryPolicy(sleep=Sleeps(), base=0.01))
    return TaskCenter(
        region=sim.region,
        endpoint=sim.url,
        project_id=sim.project_id,
        auth=options.pop("auth", AkSkAuth(sim.ak, sim.sk)),
        progress=False,
        **options,
    )


def _listed_ids(sim) -> list[str]:
    inventory = sim.service.inventory
    return [r["id"] for r in inventory.listed(sim.service.now_s, region=sim.region)]


def test_every_instance_exactly_once_over_pages_with_faults(sim) -> None:
    truth = _listed_ids(sim)
    assert len(truth) > 200  # three pages
    faults = ["200-busy", "429", "500", "drop", "503", "timeout"]
    sim.set(timeout_s=0.3)
    for fault in faults:
        sim.inject(fault)
    sim.set(error_rate=0.1, throttle=50)
    with _client(sim, max_retries=10, rate_limit=RateLimiter(50), deadline=0.2) as tc:
        records = tc.list_instances()
    ids = [r["id"] for r in records]
    assert ids == truth  # newest created first, each once
    assert set(faults) <= {r.fault for r in sim.requests[sim.mark :]}


def test_instances_created_while_paging_arrive_once(sim) -> None:
    before = set(_listed_ids(sim))
    sim.set(instances_during_paging=2)
    with _client(sim) as tc:
        records = tc.list_instances()
    sim.set(instances_during_paging=0)
    after = _listed_ids(sim)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))
    assert before <= set(ids) <= set(after)
    # Only the instances created after the last page was read are missing (2 per page).
    assert len(set(after) - set(ids)) == 2


def test_instance_filters_reach_the_api(sim) -> None:
    with _client(sim) as tc:
        singles = tc.list_instances(mode="Single")
        tagged = tc.list_instances(tags={"env": "prod", "team": "data"})
        with pytest.raises(ValueError, match="mode must be one of"):
            tc.list_instances(mode="Cluster")
        with pytest.raises(ValueError, match="name must be"):
            tc.list_instances(name="*")
    assert singles and {r["mode"] for r in singles} == {"Single"}
    assert tagged and all(
        {"env": "prod", "team": "data"}.items() <= {t["key"]: t["value"] for t in r["tags"]}.items()
        for r in tagged
    )
    queries = [dict(r.query) for r in sim.requests[sim.mark :] if r.path.endswith("/instances")]
    assert {"mode": "Single", "offset": "0", "limit": "100"}.items() <= queries[0].items()
    assert any(q.get("tags") == "env=prod,team=data" for q in queries)


def test_instances_frame_from_the_client(sim) -> None:
    with _client(sim) as tc:
        frame = tc.instances()
    check_frame(frame, INSTANCES)
    assert list(frame["instance_id"]) == _listed_ids(sim)
    assert set(frame["project_id"].astype(str)) == {sim.project_id}
    assert frame["observed_at"].nunique() == 1


def test_scheduled_jobs_ask_100_and_page_until_total(sim) -> None:
    start, end = NOW - timedelta(days=60), NOW
    inventory = sim.service.inventory
    truth = inventory.schedules(
        sim.service.now_s,
        region=sim.region,
        created_from=int(start.timestamp()),
        created_to=int(end.timestamp()),
    )
    assert len(truth) > 100
    sim.inject("500")
    sim.inject("drop")
    with _client(sim) as tc:
        records = tc.list_scheduled_jobs(start, end)
        frame = tc.scheduled_jobs(start, end, status="Pending")
    assert [r["job_id"] for r in records] == [r["job_id"] for r in truth]
    queries = [dict(r.query) for r in sim.requests[sim.mark :] if r.path.endswith("/scheduled-jobs")]
    assert queries and all(q["limit"] == "100" for q in queries)
    assert any(q.get("job_status") == "Pending" for q in queries)
    check_frame(frame, SCHEDULED)
    assert set(frame["status"]) == {"Pending"} and frame["end"].isna().all()
    assert (frame["start"] > pd.Timestamp(NOW)).all()


def test_scheduled_window_defaults_to_the_last_seven_days(sim) -> None:
    with _client(sim) as tc:
        tc.list_scheduled_jobs(end=NOW)
        with pytest.raises(ValueError, match="status must be one of"):
            tc.list_scheduled_jobs(status="Done")
    (query,) = [dict(r.query) for r in sim.requests[sim.mark :] if r.path.endswith("/scheduled-jobs")]
    assert (
        query["start_time"] == "2026-11-13T12:00:00+0000" and query["end_time"] == "2026-11-20T12:00:00+0000"
    )


def test_misbehaving_replies_are_typed_and_secrets_hidden(sim, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sim.inject("200-empty-object")
    with _client(sim, max_retries=0) as tc, pytest.raises(ProtocolError):
        tc.list_instances()
    sim.inject("echo-headers")
    with _client(sim) as tc, pytest.raises(AuthError) as caught:
        tc.list_scheduled_jobs()
    assert sim.sk not in str(caught.value) and sim.sk not in caplog.text
    with _client(sim) as tc:
        sim.set(max_span_days=30)
        with pytest.raises(InvalidRequestError):
            tc._run(tc._core.get(f"/v3/{sim.project_id}/instances", [("limit", "101")]))


def test_async_twin_returns_the_same(sim) -> None:
    async def run():
        async with AsyncTaskCenter(
            endpoint=sim.url, project_id=sim.project_id, auth=AkSkAuth(sim.ak, sim.sk), progress=False
        ) as tc:
            return await tc.list_instances(), await tc.scheduled_jobs(NOW - timedelta(days=30), NOW)

    records, scheduled = asyncio.run(run())
    assert [r["id"] for r in records] == _listed_ids(sim)
    with _client(sim) as tc:
        assert (
            scheduled["job_id"].tolist()
            == tc.scheduled_jobs(NOW - timedelta(days=30), NOW)["job_id"].tolist()
        )


def test_instances_many_across_regions() -> None:
    with running(jobs=500, instances=30, seed=2, now=NOW, regions=("cn-north-4", "ap-southeast-1")) as sim:
        auth = AkSkAuth(sim.ak, sim.sk)
        with TaskCenter(region="cn-north-4", endpoint=sim.url, project_id=sim.project_id, auth=auth) as tc:
            centers = [
                TaskCenter(region=region, endpoint=sim.url, project_id=project, auth=auth, progress=False)
                for region, project in sim.project_ids.items()
            ]
            try:
                frame = tc.instances_many(centers)
                # A pair of this client's region reuses its endpoint (another region's would be the cloud's).
                pairs = tc.instances_many(
                    [("cn-north-4", sim.project_ids["cn-north-4"]), centers[1]], mode="Single"
                )
            finally:
                for center in centers:
                    center.close()
            with pytest.raises(TypeError, match="unknown filter"):
                tc.instances_many(centers, status="normal")
        check_frame(frame, INSTANCES)
        inventory = sim.service.inventory
        for region, project in sim.project_ids.items():
            expected = [r["id"] for r in inventory.listed(sim.service.now_s, region=region)]
            mine = frame[frame["project_id"] == project]
            assert mine["instance_id"].tolist() == expected and set(mine["region"]) == {region}
        assert set(pairs["mode"]) == {"Single"} and pairs["project_id"].nunique() == 2
