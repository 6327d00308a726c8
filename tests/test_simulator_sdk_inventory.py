"""The official SDK's ListInstances and ListScheduledTasks parse the simulator's replies."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

pytest.importorskip("huaweicloudsdkdds")

from huaweicloudsdkdds.v3 import ListInstancesRequest, ListScheduledTasksRequest
from sdk_client import sdk_client

from ddsjobs_analytics.client import AkSkAuth, TaskCenter
from ddsjobs_analytics.simulator import running

pytestmark = pytest.mark.sdk

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def sim():
    with running(jobs=1500, instances=120, seed=8, now=NOW) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def client(sim):
    return sdk_client(sim)


def sdk_instances(client, **filters) -> list[dict]:
    out, offset = [], 0
    while True:
        response = client.list_instances(ListInstancesRequest(offset=offset, limit=100, **filters))
        out += [item.to_dict() for item in response.instances]
        offset += 100
        if offset >= response.total_count:
            return out


def test_the_sdk_parses_every_instance(sim, client) -> None:
    instances = sdk_instances(client)
    assert len(instances) > 100
    modes = {item["mode"] for item in instances}
    assert modes == {"Sharding", "ReplicaSet", "Single"}
    for item in instances:
        # The SDK reads a numeric port as text and "1"/"0" ssl as an int: both spellings parse.
        assert isinstance(item["port"], str) and item["ssl"] in (0, 1)
        assert item["datastore"]["version"] in ("3.4", "4.0", "4.2", "4.4", "5.0")
        assert all(node["spec_code"] for group in item["groups"] for node in group["nodes"])


def test_the_sdk_instance_list_equals_the_client(sim, client) -> None:
    sdk_ids = [item["id"] for item in sdk_instances(client)]
    with TaskCenter(endpoint=sim.url, project_id=sim.project_id, auth=AkSkAuth(sim.ak, sim.sk)) as tc:
        ours = tc.list_instances()
    assert [record["id"] for record in ours] == sdk_ids
    sharded = [item["id"] for item in sdk_instances(client, mode="Sharding")]
    with TaskCenter(endpoint=sim.url, project_id=sim.project_id, auth=AkSkAuth(sim.ak, sim.sk)) as tc:
        assert [record["id"] for record in tc.list_instances(mode="Sharding")] == sharded


def test_the_sdk_parses_scheduled_jobs(sim, client) -> None:
    response = client.list_scheduled_tasks(ListScheduledTasksRequest())
    assert response.total_count > 0 and len(response.schedules) == min(10, response.total_count)
    every = client.list_scheduled_tasks(ListScheduledTasksRequest(limit=100)).schedules
    assert {item.job_status for item in every} <= {"Pending", "Running", "Completed", "Failed", "Canceled"}
    assert all(item.create_time.endswith("+0800") for item in every)
    with TaskCenter(endpoint=sim.url, project_id=sim.project_id, auth=AkSkAuth(sim.ak, sim.sk)) as tc:
        ours = tc.list_scheduled_jobs(end=sim.now)  # the simulator's clock, not ours
    assert [record["job_id"] for record in ours] == [item.job_id for item in every]


def test_the_sdk_reads_patch_available_as_the_frame_does(sim, client) -> None:
    sdk = {item["id"]: item["datastore"]["patch_available"] for item in sdk_instances(client)}
    assert set(sdk.values()) == {True, False}  # a share of the fleet has a patch available
    with TaskCenter(endpoint=sim.url, project_id=sim.project_id, auth=AkSkAuth(sim.ak, sim.sk)) as tc:
        frame = tc.instances()
    ours = dict(zip(frame["instance_id"].astype(str), frame["patch_available"].astype(bool), strict=True))
    assert ours == sdk
