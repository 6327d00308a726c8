"""The simulator's ListInstances and ListScheduledTasks: shapes, paging, filters, windows, faults."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from ddsjobs_analytics._core._time import parse_api_times
from ddsjobs_analytics.simulator import running

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
HTTP = httpx.Client(timeout=10.0)


@pytest.fixture(scope="module")
def sim():
    with running(jobs=3000, instances=130, seed=5, now=NOW) as simulator:
        yield simulator


def get(sim, path: str, **params):
    reply = HTTP.get(
        f"{sim.url}/v3/{sim.project_id}/{path}", params=params, headers={"X-Auth-Token": sim.token}
    )
    return reply.status_code, reply.json()


def all_instances(sim, **params):
    out, offset = [], 0
    while True:
        status, body = get(sim, "instances", offset=offset, limit=100, **params)
        assert status == 200, body
        out += body["instances"]
        if offset + 100 >= body["total_count"]:
            return out, body["total_count"]
        offset += 100


def test_instances_page_newest_first_with_a_total(sim) -> None:
    listed, total = all_instances(sim)
    assert total == len(listed) > 100  # more than one page
    assert len({r["id"] for r in listed}) == total
    created = [r["created"] for r in listed]
    assert created == sorted(created, reverse=True)
    # Deleted instances: some fleet instances are missing from the listing.
    assert 0 < len(sim.fleet.instance_ids) - total < len(sim.fleet.instance_ids) // 4
    status, body = get(sim, "instances")
    assert status == 200 and len(body["instances"]) == 100  # the API's default page size


def test_fleet_has_every_mode_version_several_azs_and_tags(sim) -> None:
    listed, _ = all_instances(sim)
    assert set(Counter(r["mode"] for r in listed)) == {"Sharding", "ReplicaSet", "Single"}
    assert {r["datastore"]["version"] for r in listed} == {"3.4", "4.0", "4.2", "4.4", "5.0"}
    zones = {n["availability_zone"] for r in listed for g in r["groups"] for n in g["nodes"]}
    assert len(zones) >= 3
    multi = [r for r in listed if len({n["availability_zone"] for g in r["groups"] for n in g["nodes"]}) > 1]
    assert multi
    assert any(r["tags"] for r in listed) and any(not r["tags"] for r in listed)
    types = {g["type"] for r in listed for g in r["groups"]}
    assert types == {"mongos", "shard", "config", "replica", "single"}


def test_instances_use_both_documented_spellings(sim) -> None:
    listed, _ = all_instances(sim)
    assert {type(r["port"]) for r in listed} == {int, str}
    assert {type(r["ssl"]) for r in listed} == {int, str}
    for record in listed:
        # created/updated carry no offset; volume size/used are strings
        assert len(record["created"]) == 19 and "+" not in record["created"]
        for group in record["groups"]:
            if "volume" in group:
                assert isinstance(group["volume"]["size"], str) and isinstance(group["volume"]["used"], str)


def test_instance_filters(sim) -> None:
    listed, _ = all_instances(sim)
    sharded, total = all_instances(sim, mode="Sharding")
    assert total == sum(r["mode"] == "Sharding" for r in listed) and {r["mode"] for r in sharded} == {
        "Sharding"
    }
    name = listed[7]["name"]
    _, body = get(sim, "instances", name=name)
    assert [r["name"] for r in body["instances"]] == [name]
    _, fuzzy = get(sim, "instances", name="*-rs", limit=100)
    assert fuzzy["instances"] and all("-rs" in r["name"] for r in fuzzy["instances"])
    prod, _ = all_instances(sim, tags="env=prod,team=data")
    expected = [
        r["id"]
        for r in listed
        if {"env": "prod", "team": "data"}.items() <= {t["key"]: t["value"] for t in r["tags"]}.items()
    ]
    assert [r["id"] for r in prod] == expected and expected
    assert get(sim, "instances", mode="Cluster")[0] == 400
    assert get(sim, "instances", limit=101)[1]["error_code"] == "DBS.280439"


def test_instance_created_while_paging_shifts_the_list(sim) -> None:
    sim.set(instances_during_paging=1)
    try:
        _, first = get(sim, "instances", offset=0, limit=10)
        _, second = get(sim, "instances", offset=10, limit=10)
    finally:
        sim.reset()
    assert second["total_count"] == first["total_count"] + 1
    assert second["instances"][0]["id"] == first["instances"][-1]["id"]  # shifted by one


def test_scheduled_jobs_default_to_the_last_seven_days_and_ten_per_page(sim) -> None:
    status, body = get(sim, "scheduled-jobs")
    assert status == 200 and len(body["schedules"]) == min(10, body["total_count"])
    week = [s for s in sim.service.inventory.scheduled if NOW.timestamp() - 7 * 86400 <= s.create_s]
    week = [s for s in week if s.create_s <= NOW.timestamp()]
    assert body["total_count"] == len(week)
    times = parse_api_times([s["create_time"] for s in body["schedules"]], strict=True)
    assert not times.bad.any() and (times.offset_minutes == 480).all()  # +0800 in cn-north-4
    assert list(times.utc) == sorted(times.utc, reverse=True)


def test_scheduled_window_is_on_creation_time_and_filters(sim) -> None:
    start, end = NOW - timedelta(days=60), NOW
    fmt = "%Y-%m-%dT%H:%M:%S+0000"
    _, body = get(
        sim, "scheduled-jobs", start_time=start.strftime(fmt), end_time=end.strftime(fmt), limit=100
    )
    total = body["total_count"]
    statuses = Counter(s["job_status"] for s in body["schedules"])
    assert {"Pending", "Completed"} <= set(statuses)
    for s in body["schedules"]:
        assert (s["end_time"] == "") == (s["job_status"] in ("Pending", "Running", "Canceled"))
    _, pending = get(
        sim,
        "scheduled-jobs",
        start_time=start.strftime(fmt),
        end_time=end.strftime(fmt),
        job_status="Pending",
    )
    assert total <= 100 and pending["total_count"] == statuses["Pending"]
    one = body["schedules"][0]
    _, mine = get(
        sim,
        "scheduled-jobs",
        start_time=start.strftime(fmt),
        end_time=end.strftime(fmt),
        instance_id=one["instance_id"],
        limit=100,
    )
    assert mine["schedules"] and {s["instance_id"] for s in mine["schedules"]} == {one["instance_id"]}
    assert get(sim, "scheduled-jobs", job_status="Done")[0] == 400
    assert get(sim, "scheduled-jobs", start_time="2026-11-01")[1]["error_code"] == "DBS.280409"


def test_past_scheduled_jobs_are_the_fleets_resize_jobs(sim) -> None:
    records = {r["id"]: r for r in sim.truth(NOW - timedelta(days=30), NOW)}
    done = [
        s
        for s in sim.service.inventory.schedules(
            int(NOW.timestamp()), region=sim.region, created_from=0, created_to=int(NOW.timestamp())
        )
        if s["job_status"] in ("Completed", "Failed") and s["job_id"] in records
    ]
    assert done
    for schedule in done:
        job = records[schedule["job_id"]]
        assert job["name"] == "ResizeMongoDBInstance" and job["status"] == schedule["job_status"]
        assert job["instance_id"] == schedule["instance_id"]


@pytest.mark.parametrize("fault", ["429", "500", "drop", "200-busy"])
def test_inventory_endpoints_share_the_gateway_faults(sim, fault: str) -> None:
    sim.inject(fault)
    try:
        with pytest.raises(httpx.HTTPError) if fault == "drop" else _nothing():
            status, body = get(sim, "instances", limit=1)
            assert status != 200 or "error_code" in body
    finally:
        sim.reset()
    assert get(sim, "instances", limit=1)[0] == 200


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False
