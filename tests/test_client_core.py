"""TaskCenter / AsyncTaskCenter against an in-process fake task center on httpx.MockTransport."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pandas as pd
import pytest

from ddsjobs_analytics._core import _signing
from ddsjobs_analytics.client import (
    AkSkAuth,
    AsyncTaskCenter,
    AuthError,
    InvalidRequestError,
    NotFoundError,
    PartialResultError,
    PartialResultWarning,
    ProtocolError,
    RetryPolicy,
    ServerError,
    TaskCenter,
    ThrottledError,
    TokenAuth,
    TransportError,
)

UTC = timezone.utc
T0 = datetime(2026, 11, 1, tzinfo=UTC)
SECRET = "sk-never-shown-0123456789"
PROJECT = "proj-1"


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone(timedelta(hours=8))).strftime("%Y-%m-%dT%H:%M:%S+0800")


class FakeTaskCenter:
    """ShowJobDetail and ListTasks over a list of jobs (newest first), verifying every AK/SK signature.

    ``script``: responses or exceptions served (one each) before the real answer; ``shift``: jobs created
    "now" after every ListTasks page, as when new work arrives during paging.
    """

    def __init__(self, jobs: int = 0, *, start: datetime = T0, step: timedelta = timedelta(hours=1)) -> None:
        self.jobs: list[dict] = []
        self.script: list[httpx.Response | Exception] = []
        self.requests: list[httpx.Request] = []
        self.shift = 0
        self.ignore_offset = False
        self.now = start + step * jobs
        for i in range(jobs):
            self._add(start + step * i)

    def _add(self, created: datetime) -> dict:
        job = {
            "id": str(uuid.UUID(int=len(self.jobs) + 1)),
            "name": "CreateMongoDB",
            "instance_id": "inst-1",
            "instance_name": "dds-a",
            "status": "Completed",
            "progress": "",
            "fail_reason": None,
            "created_at": _stamp(created),
            "ended_at": _stamp(created + timedelta(minutes=5)),
        }
        self.jobs.insert(0, job)
        return job

    def listed(self, start: datetime, end: datetime) -> list[str]:
        return [job["id"] for job in self.jobs if start <= _parse(job["created_at"]) <= end]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if "Authorization" in request.headers:
            self._verify(request)
        if self.script:
            item = self.script.pop(0)
            if isinstance(item, Exception):
                raise item
            return item
        params = request.url.params
        if request.url.path == f"/v3/{PROJECT}/jobs":
            found = [job for job in self.jobs if job["id"] == params["id"]]
            if not found:
                return httpx.Response(400, json={"error_code": "DBS.280016", "error_msg": "no such job"})
            job = found[0]
            detail = {
                "id": job["id"],
                "name": "Create_MongoDB",
                "status": job["status"],
                "created": job["created_at"],
                "ended": job["ended_at"],
                "progress": "",
                "instance": {"id": job["instance_id"], "name": job["instance_name"]},
                "fail_reason": None,
            }
            return httpx.Response(200, json={"job": detail})
        if request.url.path == f"/v3.1/{PROJECT}/jobs":
            start, end = _parse(params["start_time"]), _parse(params["end_time"])
            assert end - start <= timedelta(days=30), "span over 30 days"
            offset = 0 if self.ignore_offset else int(params["offset"])
            selected = [job for job in self.jobs if start <= _parse(job["created_at"]) <= end]
            page = selected[offset : offset + int(params["limit"])]
            for _ in range(self.shift):
                self._add(self.now)
            return httpx.Response(200, json={"jobs": page})  # no total_count, as one client reports
        return httpx.Response(404, json={"error_code": "APIGW.0101", "error_msg": "no such API"})

    @staticmethod
    def _verify(request: httpx.Request) -> None:
        signed = _signing.parse_authorization(request.headers["Authorization"])
        assert signed is not None
        headers = {name: request.headers[name] for name in signed.signed_headers}
        raw_path, _, raw_query = request.url.raw_path.decode().partition("?")
        pairs = [tuple(part.split("=", 1)) for part in raw_query.split("&") if part]
        assert "+" not in raw_query and raw_query == _signing.canonical_query(
            [(httpx.URL(f"?{k}={v}").params[k] and k, httpx.URL(f"?{k}={v}").params[k]) for k, v in pairs]
        ), "the query on the wire must be the canonical one"
        canonical, _ = _signing.canonical_request(
            request.method, raw_path, list(request.url.params.multi_items()), headers, request.content
        )
        assert _signing.sign(SECRET, canonical, request.headers["X-Sdk-Date"]) == signed.signature


def _parse(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z")


class Sleeps:
    """An injected ``sleep`` that records the waits and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _client(fake: FakeTaskCenter, cls: type = TaskCenter, **options) -> TaskCenter:
    options.setdefault("retry", RetryPolicy(sleep=Sleeps()))
    options.setdefault("progress", False)
    return cls(
        endpoint="http://127.0.0.1:9",
        project_id=PROJECT,
        auth=options.pop("auth", AkSkAuth("AKIDEXAMPLE", SECRET)),
        transport=httpx.MockTransport(fake),
        **options,
    )


def _span(request: httpx.Request) -> timedelta:
    return _parse(request.url.params["end_time"]) - _parse(request.url.params["start_time"])


# --- ListTasks ----------------------------------------------------------------------------------------------
def test_45_days_in_two_windows_each_job_exactly_once():
    fake = FakeTaskCenter(45 * 24 + 1)  # one job an hour, including both ends and the window boundary
    with _client(fake) as tc:
        jobs = tc.list_jobs(T0, T0 + timedelta(days=45))
    ids = [job["id"] for job in jobs]
    assert len(ids) == len(set(ids)) == 45 * 24 + 1
    assert set(ids) == set(fake.listed(T0, T0 + timedelta(days=45)))
    windows = {(r.url.params["start_time"], r.url.params["end_time"]) for r in fake.requests}
    assert windows == {
        ("2026-11-01T00:00:00+0000", "2026-12-01T00:00:00+0000"),
        ("2026-12-01T00:00:00+0000", "2026-12-16T00:00:00+0000"),
    }
    assert all(_span(r) <= timedelta(days=30) for r in fake.requests)


def test_pages_until_a_short_page_without_total_count():
    fake = FakeTaskCenter(200)  # a multiple of the page size: the third page comes back empty
    with _client(fake) as tc:
        jobs = tc.list_jobs(T0, T0 + timedelta(days=20))
    assert len(jobs) == 200
    assert [r.url.params["offset"] for r in fake.requests] == ["0", "100", "200"]
    assert {r.url.params["limit"] for r in fake.requests} == {"100"}


def test_jobs_arriving_during_paging_neither_duplicate_nor_go_missing():
    fake = FakeTaskCenter(350)
    fake.shift = 7
    before = set(fake.listed(T0, fake.now))
    with _client(fake) as tc:
        jobs = tc.list_jobs(T0, fake.now)
    ids = [job["id"] for job in jobs]
    assert len(ids) == len(set(ids))
    after = set(fake.listed(T0, fake.now))
    assert before <= set(ids) <= after
    # Only the jobs created after the very last request can be unseen.
    assert len(after - set(ids)) == fake.shift


def test_a_server_ignoring_offset_is_detected_not_looped_forever():
    fake = FakeTaskCenter(300)
    fake.ignore_offset = True
    with _client(fake) as tc, pytest.raises(ProtocolError, match="no progress"):
        tc.list_jobs(T0, T0 + timedelta(days=20))
    assert len(fake.requests) == 4


def test_filters_are_sent_in_the_documented_spelling_and_validated():
    fake = FakeTaskCenter(3)
    with _client(fake) as tc:
        tc.list_jobs("2026-11-01", "2026-11-02T08:00:00+0800", status="Failed", name="Create_MongoDB")
        with pytest.raises(ValueError, match="status must be one of"):
            tc.list_jobs(T0, T0 + timedelta(days=1), status="failed")
        with pytest.raises(ValueError, match="later than start"):
            tc.list_jobs(T0, T0)
    params = fake.requests[0].url.params
    assert (params["status"], params["name"]) == ("Failed", "CreateMongoDB")
    assert params["end_time"] == "2026-11-02T00:00:00+0000"


# --- ShowJobDetail and batches ------------------------------------------------------------------------------
def test_get_job_and_unknown_id():
    fake = FakeTaskCenter(2)
    with _client(fake) as tc:
        job = tc.get_job(fake.jobs[0]["id"])
        assert job["id"] == fake.jobs[0]["id"] and job["instance"]["name"] == "dds-a"
        with pytest.raises(NotFoundError) as caught:
            tc.get_job("no-such-job")
    assert caught.value.error_code == "DBS.280016"
    assert len(fake.requests) == 2  # not retried


def test_get_job_with_an_empty_answer_is_not_found():
    fake = FakeTaskCenter(0)
    fake.script = [httpx.Response(200, json={"job": {}})]
    with _client(fake) as tc, pytest.raises(NotFoundError, match="no job"):
        tc.get_job("x")


def test_get_jobs_keeps_order_reports_failures_and_returns_the_rest():
    fake = FakeTaskCenter(30)
    wanted = [job["id"] for job in fake.jobs[:25]]
    asked = [*wanted[:10], "missing-1", *wanted[10:], "missing-2", wanted[0]]
    with (
        _client(fake, max_concurrency=4) as tc,
        pytest.warns(PartialResultWarning, match="2 of 27") as warned,
    ):
        batch = tc.get_jobs(asked)
    assert [job["id"] for job in batch] == wanted
    assert set(batch.failures) == {"missing-1", "missing-2"}
    assert all(isinstance(error, NotFoundError) for error in batch.failures.values())
    assert "missing-1" in str(warned[0].message)
    assert warned[0].filename == __file__  # the warning points at the caller, not at the client's internals
    assert len(fake.requests) == 27  # the repeated id is asked once


def test_get_jobs_strict_raises_with_the_partial_result():
    fake = FakeTaskCenter(3)
    with _client(fake) as tc, pytest.raises(PartialResultError) as caught:
        tc.get_jobs([fake.jobs[0]["id"], "missing"], strict=True)
    assert [job["id"] for job in caught.value.results] == [fake.jobs[0]["id"]]
    assert list(caught.value.failures) == ["missing"]


def test_an_auth_error_stops_the_batch():
    fake = FakeTaskCenter(50)
    with _client(fake, auth=AkSkAuth("AKIDEXAMPLE", "wrong-secret"), max_concurrency=2) as tc:
        fake._verify = lambda request: None  # type: ignore[method-assign]
        fake.script = [
            httpx.Response(401, json={"error_code": "APIGW.0301", "error_msg": "bad signature"})
        ] * 3
        with pytest.raises(AuthError):
            tc.get_jobs([job["id"] for job in fake.jobs])
    assert len(fake.requests) < 10


def test_concurrency_is_bounded_by_max_concurrency():
    in_flight = [0, 0]

    async def handler(request: httpx.Request) -> httpx.Response:
        in_flight[0] += 1
        in_flight[1] = max(in_flight[1], in_flight[0])
        await asyncio.sleep(0.01)
        in_flight[0] -= 1
        return httpx.Response(200, json={"job": {"id": request.url.params["id"]}})

    tc = TaskCenter(
        endpoint="http://127.0.0.1:9",
        project_id=PROJECT,
        auth=TokenAuth("tok"),
        transport=httpx.MockTransport(handler),
        max_concurrency=5,
        progress=False,
    )
    with tc:
        assert len(tc.get_jobs([str(i) for i in range(40)])) == 40
    assert in_flight[1] == 5


# --- retries ------------------------------------------------------------------------------------------------
def _error(status: int, code: str, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, json={"error_code": code, "error_msg": "m"}, headers=headers)


def test_throttling_is_retried_with_full_jitter_then_succeeds():
    fake = FakeTaskCenter(1)
    sleeps = Sleeps()
    fake.script = [_error(429, "APIGW.0308"), _error(429, "DBS.280443"), _error(400, "DBS.200998")]
    with _client(fake, retry=RetryPolicy(sleep=sleeps, base=0.5, cap=30)) as tc:
        assert tc.get_job(fake.jobs[0]["id"])["id"] == fake.jobs[0]["id"]
    assert len(fake.requests) == 4
    assert len(sleeps.waits) == 3
    assert all(0 <= wait <= 0.5 * 2**attempt for attempt, wait in enumerate(sleeps.waits))


def test_retry_after_seconds_and_http_date_are_honoured():
    fake = FakeTaskCenter(1)
    sleeps = Sleeps()
    date = (datetime.now(UTC) + timedelta(seconds=120)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    fake.script = [_error(429, "APIGW.0308", {"Retry-After": "7"}), _error(503, "X", {"Retry-After": date})]
    with _client(fake, retry=RetryPolicy(sleep=sleeps), max_retry_after=300) as tc:
        tc.get_job(fake.jobs[0]["id"])
    assert sleeps.waits[0] == 7.0
    assert 110 < sleeps.waits[1] <= 120


def test_server_errors_give_up_after_max_retries():
    fake = FakeTaskCenter(1)
    fake.script = [_error(500, "DBS.280005")] * 10
    with _client(fake, max_retries=3) as tc, pytest.raises(ServerError, match="after 4 attempts") as caught:
        tc.get_job("x")
    assert len(fake.requests) == 4
    assert caught.value.error_code == "DBS.280005"


def test_throttled_error_when_throttling_persists():
    fake = FakeTaskCenter(1)
    fake.script = [_error(429, "APIGW.0308")] * 3
    with _client(fake, max_retries=2) as tc, pytest.raises(ThrottledError):
        tc.get_job("x")


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "DBS.280001", InvalidRequestError),
        (401, "APIGW.0301", AuthError),
        (403, "DBS.280032", AuthError),
        (404, "APIGW.0101", NotFoundError),
    ],
)
def test_client_errors_are_never_retried(status, code, error):
    fake = FakeTaskCenter(1)
    fake.script = [_error(status, code)] * 3
    with _client(fake) as tc, pytest.raises(error):
        tc.get_job("x")
    assert len(fake.requests) == 1


def test_dropped_connections_and_timeouts_are_retried():
    fake = FakeTaskCenter(1)
    fake.script = [
        httpx.RemoteProtocolError("peer closed"),
        httpx.ReadTimeout("slow"),
        httpx.ConnectError("no"),
    ]
    with _client(fake) as tc:
        assert tc.get_job(fake.jobs[0]["id"])["id"] == fake.jobs[0]["id"]
    assert len(fake.requests) == 4


def test_an_undecodable_response_is_a_typed_per_id_failure_not_a_crash():
    # A body that fails to decompress raises httpx.DecodingError, which is no httpx.TransportError: it
    # must still become a TaskCenterError, so a batch reports that id and returns the others.
    fake = FakeTaskCenter(3)
    garbage = httpx.Response(
        200, stream=httpx.ByteStream(b"not gzip at all"), headers={"Content-Encoding": "gzip"}
    )
    fake.script = [garbage]
    ids = [job["id"] for job in fake.jobs]
    with _client(fake, max_concurrency=1) as tc, pytest.warns(PartialResultWarning):
        batch = tc.get_jobs(ids)
    assert [job["id"] for job in batch] == ids[1:]
    assert isinstance(batch.failures[ids[0]], TransportError)
    assert "DecodingError" in str(batch.failures[ids[0]])
    assert batch.failures[ids[0]].__cause__ is None and batch.failures[ids[0]].__context__ is None


def test_transport_error_after_the_retries():
    fake = FakeTaskCenter(1)
    fake.script = [httpx.ReadTimeout("slow")] * 3
    with _client(fake, max_retries=2) as tc, pytest.raises(TransportError, match="ReadTimeout"):
        tc.get_job("x")
    assert len(fake.requests) == 3


# --- flavours, frames, configuration ------------------------------------------------------------------------
def test_sync_client_works_inside_a_running_event_loop():
    fake = FakeTaskCenter(120)

    async def notebook_cell() -> int:
        with _client(fake) as tc:
            return len(tc.list_jobs(T0, T0 + timedelta(days=10)))

    assert asyncio.run(notebook_cell()) == 120


def test_async_client_has_the_same_methods():
    fake = FakeTaskCenter(150)

    async def main() -> tuple[int, str, int]:
        async with _client(fake, AsyncTaskCenter) as tc:
            listed = await tc.list_jobs(T0, T0 + timedelta(days=10))
            one = await tc.get_job(fake.jobs[3]["id"])
            batch = await tc.get_jobs([job["id"] for job in fake.jobs[:20]])
            frame = await tc.fetch(T0, T0 + timedelta(days=10))
        return len(listed), one["id"], len(batch) + len(frame)

    assert asyncio.run(main()) == (150, fake.jobs[3]["id"], 170)


def test_fetch_builds_the_jobs_frame_with_observation_times():
    fake = FakeTaskCenter(130)
    before = datetime.now(UTC)
    with _client(fake) as tc:
        frame = tc.fetch(T0, T0 + timedelta(days=10))
        by_id = tc.fetch(job_ids=[fake.jobs[0]["id"], fake.jobs[1]["id"]])
    after = datetime.now(UTC)
    assert len(frame) == 130 and frame["job_id"].is_unique
    assert set(frame["job_id"]) == {job["id"] for job in fake.jobs}
    assert str(frame["created"].dtype) == "datetime64[us, UTC]"
    assert frame["observed_at"].between(pd.Timestamp(before), pd.Timestamp(after)).all()
    assert frame["project_id"].astype(str).eq(PROJECT).all()
    assert frame["duration_s"].eq(300.0).all()
    assert list(by_id["job_id"]) == [fake.jobs[0]["id"], fake.jobs[1]["id"]]
    assert set(by_id["job_name"]) == {"Create_MongoDB"}


def test_fetch_defaults_to_the_last_30_days_and_rejects_unknown_filters():
    fake = FakeTaskCenter(0)
    with _client(fake) as tc:
        tc.fetch()
        with pytest.raises(TypeError, match="instance"):
            tc.fetch(instance="x")
    assert _span(fake.requests[0]) == timedelta(days=30)


def test_fetch_with_failed_ids_warns_and_records_them():
    fake = FakeTaskCenter(2)
    with _client(fake) as tc, pytest.warns(PartialResultWarning) as warned:
        frame = tc.fetch(job_ids=[fake.jobs[0]["id"], "gone"])
    assert len(frame) == 1 and frame.attrs["failed_job_ids"] == ["gone"]
    assert warned[0].filename == __file__

    async def main() -> None:
        async with _client(fake, AsyncTaskCenter) as atc:
            with pytest.warns(PartialResultWarning) as async_warned:
                await atc.fetch(job_ids=["gone"])
            assert async_warned[0].filename == __file__

    asyncio.run(main())


def test_fetch_many_tags_each_row_with_its_target():
    fake_a, fake_b = FakeTaskCenter(5), FakeTaskCenter(8)
    for job in fake_b.jobs:  # job ids are UUIDs, unique across task centers; both fakes number from 1
        job["id"] = str(uuid.UUID(int=1000 + int(uuid.UUID(job["id"]))))
    tc_a = _client(fake_a)
    tc_b = TaskCenter(
        region="cn-north-4",
        endpoint="http://127.0.0.1:9",
        project_id=PROJECT,
        auth=AkSkAuth("AKIDEXAMPLE", SECRET),
        transport=httpx.MockTransport(fake_b),
        progress=False,
    )
    with tc_a, tc_b:
        frame = tc_a.fetch_many([tc_a, tc_b], T0, T0 + timedelta(days=2))
    assert len(frame) == 13
    assert frame["region"].isna().sum() == 5
    assert (frame["region"] == "cn-north-4").sum() == 8


def test_from_env(monkeypatch):
    env = {
        "HUAWEICLOUD_SDK_AK": "AKIDFROMENV",
        "HUAWEICLOUD_SDK_SK": SECRET,
        "HUAWEICLOUD_SDK_SECURITY_TOKEN": "sts-token-secret",
        "HUAWEICLOUD_SDK_PROJECT_ID": "p-env",
        "HUAWEICLOUD_SDK_REGION": "ap-southeast-1",
        "HUAWEICLOUD_SDK_REGION_DDS_AP_SOUTHEAST_1": "http://127.0.0.1:8123",
    }
    for name in ("DDSJOBS_ENDPOINT", *env):
        monkeypatch.delenv(name, raising=False)
    tc = TaskCenter.from_env(env)
    assert (tc.region, tc.project_id, tc.endpoint) == ("ap-southeast-1", "p-env", "http://127.0.0.1:8123")
    assert SECRET not in repr(tc) and "sts-token-secret" not in repr(tc)
    with pytest.raises(ValueError, match="HUAWEICLOUD_SDK_SK"):
        TaskCenter.from_env({"HUAWEICLOUD_SDK_AK": "a", "HUAWEICLOUD_SDK_PROJECT_ID": "p"})
    with pytest.raises(ValueError, match="unknown DDS region"):
        TaskCenter.from_env({**env, "HUAWEICLOUD_SDK_REGION": "mars-1"})


def test_from_env_endpoint_precedence_and_a_clear_error_without_a_region():
    base = {"HUAWEICLOUD_SDK_AK": "AK", "HUAWEICLOUD_SDK_SK": "SK", "HUAWEICLOUD_SDK_PROJECT_ID": "p"}
    region = {**base, "HUAWEICLOUD_SDK_REGION": "cn-north-4"}
    override = {**region, "HUAWEICLOUD_SDK_REGION_DDS_CN_NORTH_4": "https://sdk.example"}
    ours = {**override, "DDSJOBS_ENDPOINT": "https://ours.example"}
    cases = [
        (region, {}, "https://dds.cn-north-4.myhuaweicloud.com"),
        (override, {}, "https://sdk.example"),
        (ours, {}, "https://ours.example"),
        (ours, {"endpoint": "https://arg.example"}, "https://arg.example"),
        (region, {"region": "eu-west-101"}, "https://dds.eu-west-101.myhuaweicloud.eu"),
        ({**base, "DDSJOBS_ENDPOINT": "http://127.0.0.1:9"}, {}, "http://127.0.0.1:9"),
    ]
    for env, options, expected in cases:
        assert TaskCenter.from_env(env, progress=False, **options).endpoint == expected
    with pytest.raises(ValueError, match="HUAWEICLOUD_SDK_REGION"):
        TaskCenter.from_env(base)
    # A blank security token variable means "no temporary credentials", as an unset one does.
    tc = TaskCenter.from_env({**region, "HUAWEICLOUD_SDK_SECURITY_TOKEN": " "}, progress=False)
    assert "temporary" not in repr(tc)


def test_plain_http_to_a_remote_endpoint_is_refused():
    with pytest.raises(ValueError, match="HTTPS"):
        TaskCenter(endpoint="http://dds.cn-north-4.myhuaweicloud.com", project_id="p", auth=TokenAuth("t"))


def test_debug_log_has_method_path_status_attempt_and_no_secret(caplog):
    fake = FakeTaskCenter(1)
    fake.script = [_error(429, "APIGW.0308")]
    caplog.set_level(logging.DEBUG, logger="ddsjobs_analytics")
    with _client(fake, auth=AkSkAuth("AKIDEXAMPLE", SECRET, security_token="sts-secret-token")) as tc:
        tc.get_job(fake.jobs[0]["id"])
    assert f"GET /v3/{PROJECT}/jobs -> 429" in caplog.text
    assert "attempt 1/6 failed (ThrottledError HTTP 429 APIGW.0308); retrying in" in caplog.text
    assert f"GET /v3/{PROJECT}/jobs -> 200" in caplog.text
    for secret in (SECRET, "sts-secret-token"):
        assert secret not in caplog.text


def test_progress_bar_option_and_transport_errors_are_logged(caplog):
    fake = FakeTaskCenter(3)
    fake.script = [httpx.ReadTimeout("slow")]
    caplog.set_level(logging.DEBUG, logger="ddsjobs_analytics")
    with _client(fake, progress=True) as tc:
        assert len(tc.get_jobs([job["id"] for job in fake.jobs])) == 3
    assert "-> ReadTimeout (attempt 1)" in caplog.text
    assert "-> 200 (attempt 2)" in caplog.text


def test_batch_argument_mistakes_are_clear_errors():
    fake = FakeTaskCenter(1)
    with _client(fake) as tc:
        assert tc.get_jobs([]) == [] and not tc.get_jobs([]).failures
        with pytest.raises(TypeError, match="use get_job"):
            tc.get_jobs(fake.jobs[0]["id"])
        with pytest.raises(ValueError, match="not both"):
            tc.fetch(T0, job_ids=[fake.jobs[0]["id"]])
    assert fake.requests == []
