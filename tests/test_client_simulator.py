"""The client against the task-center simulator over real loopback sockets."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from ddsjobs_analytics.client import (
    AkSkAuth,
    AuthError,
    InvalidRequestError,
    NotFoundError,
    PartialResultWarning,
    PasswordAuth,
    RateLimiter,
    RetryPolicy,
    ServerError,
    TaskCenter,
    ThrottledError,
    TokenAuth,
    TransportError,
)
from ddsjobs_analytics.simulator import Options, running

IAM_PATH = "/v3/auth/tokens"


class Sleeps:
    """Records the retry waits; sleeps a tiny fraction of them so the tests stay fast."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(min(seconds, 0.01))


@pytest.fixture(scope="module")
def shared_sim() -> Iterator:
    with running(jobs=2500, seed=11, regions=("cn-north-4", "ap-southeast-1"), history_days=60) as sim:
        yield sim


@pytest.fixture
def sim(shared_sim):
    """The shared simulator with default options and no queued faults, and the log position now."""
    shared_sim.set(**{name: value for name, value in vars(Options()).items()})
    with shared_sim.service.lock:
        shared_sim.service._faults.clear()
    shared_sim.mark = len(shared_sim.requests)
    yield shared_sim


def _new_requests(sim):
    return sim.requests[sim.mark :]


def _client(sim, auth=None, **options) -> TaskCenter:
    options.setdefault("retry", RetryPolicy(sleep=Sleeps()))
    return TaskCenter(
        region=sim.region,
        endpoint=sim.url,
        project_id=options.pop("project_id", sim.project_id),
        auth=auth or AkSkAuth(sim.ak, sim.sk),
        progress=False,
        **options,
    )


def _ids(records) -> list[str]:
    return [record["id"] for record in records]


def _span(record) -> timedelta:
    from ddsjobs_analytics.simulator import parse_api_time

    query = dict(record.query)
    return timedelta(seconds=parse_api_time(query["end_time"]) - parse_api_time(query["start_time"]))


def test_45_days_in_two_windows_exactly_once(sim):
    sim.set(horizon_days=60)
    start, end = sim.now - timedelta(days=45), sim.now
    with _client(sim) as tc:
        jobs = tc.list_jobs(start, end)
    truth = sim.truth(start, end)
    assert len(truth) > 500  # several pages per window
    assert len(_ids(jobs)) == len(set(_ids(jobs)))
    assert sorted(_ids(jobs)) == sorted(_ids(truth))
    lists = [r for r in _new_requests(sim) if r.path.startswith("/v3.1/")]
    windows = {(dict(r.query)["start_time"], dict(r.query)["end_time"]) for r in lists}
    assert len(windows) == 2 and len(lists) > 4
    assert all(_span(r) <= timedelta(days=30) for r in lists)
    assert all(r.status == 200 for r in lists)


def test_paging_while_jobs_arrive_every_record_exactly_once(sim):
    sim.set(shift_during_paging=3, total_count_omitted=True)
    start = sim.now - timedelta(days=20)
    before = set(_ids(sim.truth(start, sim.now)))
    with _client(sim) as tc:
        jobs = tc.list_jobs(start, sim.now)
    after = set(_ids(sim.truth(start, sim.now)))
    ids = _ids(jobs)
    assert len(ids) == len(set(ids))
    assert before <= set(ids) <= after
    assert len(after - set(ids)) == 3  # only the jobs created after the last request are unseen


def test_throttling_with_and_without_retry_after(sim):
    sim.set(retry_after=0.25)
    sim.inject("429", 2)
    sim.inject("429-retry-after", 1)
    sleeps = Sleeps()
    job_id = _ids(sim.truth(sim.now - timedelta(days=3), sim.now))[0]
    with _client(sim, retry=RetryPolicy(sleep=sleeps)) as tc:
        assert tc.get_job(job_id)["id"] == job_id
    assert [r.status for r in _new_requests(sim)] == [429, 429, 429, 200]
    assert sleeps.waits[2] == 0.25  # the server's Retry-After, not a jittered guess
    assert all(0 <= wait <= 0.5 * 2**i for i, wait in enumerate(sleeps.waits[:2]))


def test_server_errors_and_drops_are_retried_then_typed(sim):
    job_id = _ids(sim.truth(sim.now - timedelta(days=3), sim.now))[0]
    sim.inject("500")
    sim.inject("drop")
    sim.inject("503")
    with _client(sim, max_retries=3) as tc:
        assert tc.get_job(job_id)["id"] == job_id
        sim.inject("503", 4)
        with pytest.raises(ServerError) as caught:
            tc.get_job(job_id)
        sim.inject("429", 4)
        with pytest.raises(ThrottledError):
            tc.get_job(job_id)
    assert caught.value.status == 503
    assert len(_new_requests(sim)) == 4 + 4 + 4


def test_timeouts_are_retried_then_a_transport_error(sim):
    sim.set(timeout_s=1.0)
    job_id = _ids(sim.truth(sim.now - timedelta(days=3), sim.now))[0]
    with _client(sim, timeout=0.3, max_retries=1) as tc:
        sim.inject("timeout")
        assert tc.get_job(job_id)["id"] == job_id
        sim.inject("timeout", 2)
        with pytest.raises(TransportError, match="Timeout"):
            tc.get_job(job_id)


def test_wrong_secret_key_is_an_auth_error_and_not_retried(sim):
    with _client(sim, auth=AkSkAuth(sim.ak, "not-the-secret-key")) as tc, pytest.raises(AuthError) as caught:
        tc.list_jobs(sim.now - timedelta(days=1), sim.now)
    assert caught.value.error_code == "APIGW.0301"
    assert len(_new_requests(sim)) == 1
    assert "not-the-secret-key" not in str(caught.value) + repr(caught.value)


def test_unknown_job_ids(sim):
    known = _ids(sim.truth(sim.now - timedelta(days=5), sim.now))[:12]
    with _client(sim) as tc:
        with pytest.raises(NotFoundError):
            tc.get_job("00000000-dead-beef-0000-000000000000")
        with pytest.warns(PartialResultWarning, match="NotFoundError for 2"):
            batch = tc.get_jobs([*known[:6], "unknown-a", *known[6:], "unknown-b"])
    assert _ids(batch) == known
    assert sorted(batch.failures) == ["unknown-a", "unknown-b"]


def test_wrong_project_id_is_an_invalid_request(sim):
    with _client(sim, project_id="0" * 32) as tc, pytest.raises(InvalidRequestError) as caught:
        tc.list_jobs(sim.now - timedelta(days=1), sim.now)
    assert caught.value.error_code == "DBS.280408"


def test_token_auth(sim):
    with _client(sim, auth=TokenAuth(sim.token)) as tc:
        jobs = tc.list_jobs(sim.now - timedelta(days=2), sim.now)
    assert sorted(_ids(jobs)) == sorted(_ids(sim.truth(sim.now - timedelta(days=2), sim.now)))


def test_password_auth_one_iam_call_then_renewal_after_expiry():
    with running(jobs=300, seed=5) as sim:
        auth = PasswordAuth(sim.user, sim.password, sim.domain, iam_endpoint=sim.url)
        ids = _ids(sim.truth(sim.now - timedelta(days=2), sim.now))[:20]
        with _client(sim, auth=auth, max_concurrency=8) as tc:
            assert len(tc.get_jobs(ids)) == len(ids)
            assert [r.path for r in sim.requests].count(IAM_PATH) == 1
            sim.advance(25 * 3600)  # the simulated IAM's token has expired; the client still holds it
            assert tc.get_job(ids[0])["id"] == ids[0]
        paths = [(r.path, r.status) for r in sim.requests]
        assert [p for p, _ in paths].count(IAM_PATH) == 2
        assert (f"/v3/{sim.project_id}/jobs", 401) in paths
        assert sim.password not in repr(tc) + repr(auth)


def test_wrong_password(sim):
    auth = PasswordAuth(sim.user, "wrong-password-123", sim.domain, iam_endpoint=sim.url)
    with _client(sim, auth=auth) as tc, pytest.raises(AuthError) as caught:
        tc.get_job("x")
    assert "wrong-password-123" not in str(caught.value)


def test_rate_limit_is_never_exceeded_in_any_second(sim):
    class RecordingLimiter(RateLimiter):
        """Records the start slot it grants each request (the client's side of the contract)."""

        def __init__(self, rate: float) -> None:
            super().__init__(rate)
            self.slots: list[float] = []

        def reserve(self) -> float:
            wait = super().reserve()
            self.slots.append(time.monotonic() + wait)
            return wait

    limiter = RecordingLimiter(12)
    # The gateway throttles too, with room for loopback scheduling jitter on a loaded machine: the client's
    # own spacing is what is asserted, on the slots it granted, not on when the server happened to read them.
    sim.set(throttle=24)
    ids = _ids(sim.truth(sim.now - timedelta(days=5), sim.now))[:36]
    with _client(sim, rate_limit=limiter, max_concurrency=8, max_retries=0) as tc:
        batch = tc.get_jobs(ids)
    assert len(batch) == len(ids) and not batch.failures
    assert all(r.status == 200 for r in _new_requests(sim))
    assert len(limiter.slots) == len(ids)
    busiest = max(sum(1 for t in limiter.slots if s <= t < s + 1.0) for s in limiter.slots)
    assert busiest <= 12


def test_sync_client_inside_a_running_loop(sim):
    async def cell() -> int:
        with _client(sim) as tc:
            return len(tc.list_jobs(sim.now - timedelta(days=3), sim.now))

    assert asyncio.run(cell()) == len(sim.truth(sim.now - timedelta(days=3), sim.now))


def test_fetch_and_fetch_many_over_two_regions(sim, monkeypatch):
    monkeypatch.setenv("DDSJOBS_ENDPOINT", sim.url)  # every region is served by the simulator
    start = sim.now - timedelta(days=4)
    with _client(sim) as tc:
        frame = tc.fetch(start, sim.now)
        both = tc.fetch_many(list(sim.project_ids.items()), start, sim.now)
    assert sorted(frame["job_id"]) == sorted(_ids(sim.truth(start, sim.now)))
    for region, project_id in sim.project_ids.items():
        rows = both[both["region"] == region]
        assert set(rows["project_id"].astype(str)) == {project_id}
        assert sorted(rows["job_id"]) == sorted(_ids(sim.truth(start, sim.now, project_id=project_id)))


def test_no_secret_in_logs_reprs_or_errors(sim, caplog):
    caplog.set_level(logging.DEBUG)
    sim.inject("429")
    sim.inject("500")
    texts = []
    with _client(sim, auth=AkSkAuth(sim.ak, sim.sk, security_token="temporary-sts-token")) as tc:
        texts.append(repr(tc))
        try:
            tc.get_job("missing-job")
        except NotFoundError as error:
            texts += [str(error), repr(error)]
    with _client(sim, auth=TokenAuth(sim.token)) as tc:
        texts.append(repr(tc))
        tc.list_jobs(sim.now - timedelta(days=1), sim.now)
    texts.append(caplog.text)
    assert "-> 429" in caplog.text and "-> 500" in caplog.text
    for secret in (sim.sk, sim.token, "temporary-sts-token"):
        assert all(secret not in text for text in texts)


def test_an_iam_token_never_reaches_the_debug_log(sim, caplog):
    # httpcore logs response headers at DEBUG, X-Subject-Token included, unless the client masks them.
    caplog.set_level(logging.DEBUG)
    auth = PasswordAuth(sim.user, sim.password, sim.domain, project_id=sim.project_id, iam_endpoint=sim.url)
    with _client(sim, auth=auth) as tc:
        tc.list_jobs(sim.now - timedelta(days=1), sim.now)
    issued = [t for t in sim.service.tokens._tokens if t != sim.token]
    assert issued and "receive_response_headers" in caplog.text  # the header lines were logged…
    for secret in (*issued, sim.password, sim.sk):  # …without the token
        assert secret not in caplog.text
    assert "(b'X-Subject-Token', b'<hidden>')" in caplog.text
    assert all(secret not in str(w.message) for w in caplog.records for secret in issued)


def test_random_faults_every_record_exactly_once_and_failures_named(sim):
    """Mixed random 500/503/drops plus the gateway's throttle: a 45-day listing is exact; a batch by id
    either returns each job or names it in ``failures`` (and in the warning), never loses one silently."""
    sim.set(horizon_days=60, error_rate=0.15, drop_rate=0.05, throttle=100)
    start, end = sim.now - timedelta(days=45), sim.now
    truth = sim.truth(start, end)
    fast = RetryPolicy(sleep=Sleeps(), base=0.01)
    limit = RateLimiter(100)  # one limiter for both clients, as for one caller
    with _client(sim, retry=fast, max_retries=8, rate_limit=limit) as tc:
        jobs = tc.list_jobs(start, end)
    assert sorted(_ids(jobs)) == sorted(_ids(truth)) and len(jobs) == len(set(_ids(jobs)))
    ids = [*_ids(truth)[:150], "no-such-job"]
    with _client(sim, retry=fast, max_retries=0, rate_limit=limit) as tc:
        with pytest.warns(PartialResultWarning) as warned:
            batch = tc.get_jobs(ids)
        with pytest.warns(PartialResultWarning):
            frame = tc.fetch(job_ids=ids)
    got = _ids(batch)
    assert got == [i for i in ids if i in set(got)]  # request order
    assert set(got).isdisjoint(batch.failures) and set(got) | set(batch.failures) == set(ids)
    # Not retried here (max_retries=0), so the unknown id may meet a fault first; either way it is named.
    assert isinstance(batch.failures["no-such-job"], (NotFoundError, ServerError, TransportError))
    faults = {i: e for i, e in batch.failures.items() if i != "no-such-job"}
    assert faults and all(isinstance(e, (ServerError, TransportError)) for e in faults.values())
    assert f"{len(batch.failures)} of {len(ids)} job ids failed" in str(warned[0].message)
    failed = set(frame.attrs["failed_job_ids"])
    assert set(frame["job_id"]).isdisjoint(failed) and set(frame["job_id"]) | failed == set(ids)
    requests = _new_requests(sim)
    assert {r.fault for r in requests} >= {"500", "503", "drop"}
    assert not [r for r in requests if r.fault == "throttle"]  # the client's rate limit kept it under
