"""The official Huawei Cloud SDK against the simulator: proves signature and response-shape compatibility."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

pytest.importorskip("huaweicloudsdkdds")

from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdds.v3 import ListTasksRequest, ShowJobDetailRequest
from sdk_client import sdk_client

from ddsjobs_analytics.simulator import running

pytestmark = pytest.mark.sdk

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def api_time(moment: datetime) -> str:
    return moment.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M:%S%z")


@pytest.fixture(scope="module")
def sim():
    # The SDK signs with the real clock; the simulator checks X-Sdk-Date against the real clock too.
    with running(jobs=800, instances=12, seed=8, now=NOW) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def client(sim):
    return sdk_client(sim)


def as_record(model) -> dict:
    record = model.to_dict()
    if "instance" in record and record["instance"] is not None:
        record["instance"] = dict(record["instance"])
    return record


def test_list_tasks_through_the_sdk_returns_the_truth(sim, client):
    start, end = sim.now - timedelta(days=30), sim.now
    truth = sim.truth(start, end)
    records, offset = [], 0
    while True:
        request = ListTasksRequest(
            start_time=api_time(start), end_time=api_time(end), offset=offset, limit=100
        )
        response = client.list_tasks(request)
        assert response.total_count == len(truth)
        records += [as_record(job) for job in response.jobs]
        if len(response.jobs) < 100:
            break
        offset += 100
    assert records == truth
    failed = client.list_tasks(
        ListTasksRequest(start_time=api_time(start), end_time=api_time(end), status="Failed")
    )
    assert [as_record(job) for job in failed.jobs] == [r for r in truth if r["status"] == "Failed"]


def test_show_job_detail_through_the_sdk_returns_the_truth(sim, client):
    truth = sim.service.truth(sim.now - timedelta(days=30), sim.now, shape="v3")
    (running_id,) = sim.spawn(1)
    picks = [next(r for r in truth if r["status"] == s) for s in ("Completed", "Failed")]
    for expected in picks:
        job = client.show_job_detail(ShowJobDetailRequest(id=expected["id"])).job
        assert as_record(job) == expected
    running_job = client.show_job_detail(ShowJobDetailRequest(id=running_id)).job
    assert (running_job.status, running_job.progress) == ("Running", "0%")


def test_sdk_sees_the_documented_errors(sim, client):
    with pytest.raises(ClientRequestException) as unknown:
        client.show_job_detail(ShowJobDetailRequest(id="00000000-0000-4000-8000-000000000000"))
    assert (unknown.value.status_code, unknown.value.error_code) == (400, "DBS.280016")
    with pytest.raises(ClientRequestException) as too_long:
        client.list_tasks(
            ListTasksRequest(start_time=api_time(sim.now - timedelta(days=31)), end_time=api_time(sim.now))
        )
    assert too_long.value.error_code == "DBS.280416"
    sim.inject("429")
    with pytest.raises(ClientRequestException) as throttled:
        client.list_tasks(
            ListTasksRequest(start_time=api_time(sim.now - timedelta(days=1)), end_time=api_time(sim.now))
        )
    # The SDK's urllib3 pool turns any 429 into "too many 429 error responses" without reading the
    # body (error_code "429"), and does not retry: the gateway's APIGW.0308 reaches only our own client.
    assert throttled.value.status_code == 429
    assert [r.fault for r in sim.requests].count("429") == 1


def test_a_wrong_secret_key_is_rejected(sim):
    intruder = sdk_client(sim, sk="wrong-" + "x" * 30)
    with pytest.raises(ClientRequestException) as rejected:
        intruder.show_job_detail(ShowJobDetailRequest(id="x"))
    assert (rejected.value.status_code, rejected.value.error_code) == (401, "APIGW.0301")
